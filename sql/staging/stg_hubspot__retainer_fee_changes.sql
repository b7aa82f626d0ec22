{#- Retainer fee changes from billing_retainer_fee_changes: `2026-04-16=6000.00;...`, a row each. #}
with deals as (
    select record_id as deal_id, trim(r->'properties'->>'billing_retainer_fee_changes') as changes
    from {{ versions.latest('hubspot', 'deals') }} as latest
    where nullif(trim(r->'properties'->>'billing_retainer_fee_changes'), '') is not null
),

parts as (
    select
        deals.deal_id,
        cast(part_no as integer) as part_no,
        trim(split_part(deals.changes, ';', cast(part_no as integer))) as part
    from deals,
        generate_series(1, length(deals.changes) - length(replace(deals.changes, ';', '')) + 1)
            as numbers(part_no)
),

final as (
    select
        deal_id,
        part_no,
        {{ parse.iso_date("trim(split_part(part, '=', 1))") }} as effective_from,
        {{ parse.decimal("trim(split_part(part, '=', 2))") }} as fee,
        {{ parse.iso_date("trim(split_part(part, '=', 1))") }} is not null
            and coalesce({{ parse.decimal("trim(split_part(part, '=', 2))") }} >= 0, false)
            and {{ parse.has_places("trim(split_part(part, '=', 2))", 3) }} as is_valid,
        cast(null as text) as _rule
    from parts
)

select * from final
