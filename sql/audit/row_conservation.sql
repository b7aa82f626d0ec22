{#-
  Where every current source record of the fact streams went. For each stream the
  dispositions must add up to the records staged (checked by the run before publish); the
  'billed' and payment counts come from the lines and applications themselves, not from the
  rule that chose them.
-#}
with time_entries as (
    select 'teamwork.time' as stream, 'quarantined' as disposition, count(*) as records
    from {{ s.staging }}.stg_teamwork__time_entries__checked where _rule is not null
    union all
    select 'teamwork.time', disposition, count(*)
    from {{ s.build }}.int_time_entries where disposition <> 'billable'
    group by disposition
    union all
    select 'teamwork.time', 'billed', count(distinct record_id)
    from {{ s.build }}.int_draft_line_sources where stream = 'time'
),

events as (
    select 'stripe.events' as stream, 'not_a_payment' as disposition, count(*) as records
    from {{ s.staging }}.stg_stripe__events where event_type <> 'payment_intent.succeeded'
    union all
    select 'stripe.events', 'quarantined', count(*)
    from {{ s.staging }}.stg_stripe__payments__checked where _rule is not null
    union all
    select 'stripe.events', 'not_yet_effective', count(*)
    from {{ s.staging }}.stg_stripe__payments where payment_date > {{ as_of }}
    union all
    select 'stripe.events', 'payment_' || status, count(*)
    from {{ s.build }}.payments group by status
),

deals as (
    select 'hubspot.deals' as stream, 'quarantined' as disposition, count(*) as records
    from {{ s.staging }}.stg_hubspot__deals__checked where _rule is not null
    union all
    select 'hubspot.deals', 'pipeline_deal', count(*)
    from {{ s.staging }}.stg_hubspot__deals where not is_contract
    union all
    select 'hubspot.deals', 'not_yet_effective', count(*)
    from {{ s.staging }}.stg_hubspot__deals where is_contract and created_date > {{ as_of }}
    union all
    select 'hubspot.deals', 'contract', count(*)
    from {{ s.build }}.contracts
),

totals as (
    select 'teamwork.time' as stream, count(*) as records
    from {{ s.staging }}.stg_teamwork__time_entries__checked
    union all
    select 'stripe.events', count(*) from {{ s.staging }}.stg_stripe__events
    union all
    select 'hubspot.deals', count(*) from {{ s.staging }}.stg_hubspot__deals__checked
),

final as (
    select stream, disposition, cast(records as bigint) as records from time_entries where records > 0
    union all
    select stream, disposition, cast(records as bigint) from events where records > 0
    union all
    select stream, disposition, cast(records as bigint) from deals where records > 0
    union all
    select stream, '_staged' as disposition, cast(records as bigint) from totals
)

select * from final
