{#-
  Tags, with the billing terms they carry (docs/sources.md):
    billing:value=<decimal>           a milestone's fixed value
    billing:partial=<pct>@<pct>       release <pct> of the value at <pct> complete
    billing:type=deliverable          a one-time deliverable
    billing:rate=<decimal>            a task's hourly rate
  A billing tag that does not parse is quarantined (bad_billing_tag).
#}
with tags as (
    select
        record_id as tag_id,
        r->>'name' as tag_name,
        coalesce(r->>'projectId', r->'project'->>'id') as project_id,
        lower(replace(r->>'name', ' ', '')) as lowered
    from {{ versions.latest('teamwork', 'tags') }} as latest
),

typed as (
    select
        tags.*,
        case
            when lowered like 'billing:value=%' then 'value'
            when lowered like 'billing:partial=%' then 'partial'
            when lowered like 'billing:type=%' then 'type'
            when lowered like 'billing:rate=%' then 'rate'
            when lowered like 'billing:%' then 'unknown'
        end as billing_kind,
        substr(lowered, strpos(lowered, '=') + 1) as argument
    from tags
),

parsed as (
    select
        typed.*,
        case when billing_kind in ('value', 'rate') then {{ parse.decimal('argument') }} end as amount,
        case when billing_kind = 'partial'
            then {{ parse.decimal("split_part(argument, '@', 1)", 'decimal(9,4)') }} end as release_percent,
        case when billing_kind = 'partial'
            then {{ parse.decimal("split_part(argument, '@', 2)", 'decimal(9,4)') }} end as at_percent
    from typed
),

final as (
    select
        tag_id,
        tag_name,
        project_id,
        billing_kind,
        case when billing_kind = 'value' then amount end as billing_value,
        case when billing_kind = 'rate' then amount end as hourly_rate,
        release_percent,
        at_percent,
        billing_kind = 'type' and argument = 'deliverable' as is_deliverable,
        case
            when billing_kind = 'unknown' then 'bad_billing_tag'
            when billing_kind in ('value', 'rate')
                and (amount is null or amount < 0 or not {{ parse.has_places('argument', 3) }})
                then 'bad_billing_tag'
            when billing_kind = 'partial'
                and not coalesce(release_percent > 0 and release_percent < 100
                                 and at_percent > 0 and at_percent <= 100, false)
                then 'bad_billing_tag'
            when billing_kind = 'type' and argument <> 'deliverable' then 'bad_billing_tag'
        end as _rule
    from parsed
)

select * from final
