{#-
  Installment terms from billing_payment_schedule, one row per part:
  `25:signature;40:milestone=4201;35:date=2026-06-30` (percent of the total : trigger).
  Each part says whether it parses; the deal is quarantined (bad_schedule) when one does not or
  the percents do not add up to 100.
#}
with deals as (
    select record_id as deal_id, trim(r->'properties'->>'billing_payment_schedule') as schedule
    from {{ versions.latest('hubspot', 'deals') }} as latest
    where nullif(trim(r->'properties'->>'billing_payment_schedule'), '') is not null
),

parts as (
    select
        deals.deal_id,
        cast(part_no as integer) as part_no,
        trim(split_part(deals.schedule, ';', cast(part_no as integer))) as part
    from deals,
        generate_series(1, length(deals.schedule) - length(replace(deals.schedule, ';', '')) + 1)
            as numbers(part_no)
),

typed as (
    select
        deal_id,
        part_no,
        part,
        {{ parse.decimal("trim(split_part(part, ':', 1))", 'decimal(9,4)') }} as percent,
        lower(trim(split_part(part, ':', 2))) as trigger_text
    from parts
),

final as (
    select
        deal_id,
        part_no,
        percent,
        case
            when trigger_text = 'signature' then 'signature'
            when trigger_text like 'milestone=%' then 'milestone'
            when trigger_text like 'date=%' then 'date'
        end as trigger_type,
        nullif(substr(trigger_text, strpos(trigger_text, '=') + 1), trigger_text) as trigger_ref,
        case
            when trigger_text like 'date=%'
                then {{ parse.iso_date("substr(trigger_text, 6)") }}
        end as trigger_on,
        coalesce(percent > 0, false)
            and (
                trigger_text = 'signature'
                or (trigger_text like 'milestone=%' and length(trigger_text) > 10)
                or (trigger_text like 'date=%' and {{ parse.iso_date("substr(trigger_text, 6)") }} is not null)
            ) as is_valid,
        cast(null as text) as _rule
    from typed
)

select * from final
