{#-
  Where every current source record of the fact streams went. For each stream the
  dispositions must add up to the records in raw (newest version of each); the run checks
  this before publish. Time priced in this run is counted from the lines' lineage and the
  status of its draft, not from the rule that chose it. Time entries are counted per source
  stream (teamwork.time, harvest.time_entries), each entry by (source, stream, record id).
#}
with time_entries as (
    select 'teamwork.time' as stream, 'deleted' as disposition, count(*) as records
    from {{ versions.latest('teamwork', 'time') }} as latest where latest.r->>'deleted' = 'true'
    union all
    select source || '.' || stream, 'quarantined', count(*)
    from {{ s.build }}.int_timesheet_entries where _rule is not null
    group by source, stream
    union all
    select source || '.' || stream, disposition, count(*)
    from {{ s.build }}.int_time_entries
    where disposition not in ('billable', 'retainer', 'late_edit')
    group by source, stream, disposition
    union all
    select
        entries.source || '.' || entries.stream,
        case drafts.status
            when 'ISSUED' then 'on_invoice'
            when 'HELD' then 'on_held_draft'
            when 'DISCARDED' then 'on_discarded_draft'
            else 'on_ready_draft'
        end,
        count(distinct sources.record_id)
    from {{ s.build }}.int_draft_line_sources as sources
    inner join {{ s.build }}.invoice_drafts as drafts on drafts.draft_key = sources.draft_key
    inner join {{ s.build }}.int_time_entries as entries
        on entries.source = sources.source and entries.stream = sources.stream
        and entries.entry_id = sources.record_id
        and entries.disposition in ('billable', 'retainer', 'late_edit')
    group by entries.source, entries.stream, drafts.status
    union all
    select
        entries.source || '.' || entries.stream,
        case entries.disposition when 'retainer' then 'covered_by_retainer' else 'adjustment_pending' end,
        count(*)
    from {{ s.build }}.int_time_entries as entries
    where entries.disposition in ('retainer', 'late_edit')
      and not exists (
        select 1 from {{ s.build }}.int_draft_line_sources as sources
        where sources.source = entries.source and sources.stream = entries.stream
          and sources.record_id = entries.entry_id
      )
    group by entries.source, entries.stream, entries.disposition
),

events as (
    select 'stripe.events' as stream, 'not_a_payment' as disposition, count(*) as records
    from {{ s.staging }}.stg_stripe__events
    where coalesce(event_type, '') <> 'payment_intent.succeeded'
      and coalesce(event_type, '') <> 'charge.refunded'
      and coalesce(event_type, '') not like 'charge.dispute.%'
    union all
    select 'stripe.events', 'quarantined', count(*)
    from {{ s.staging }}.stg_stripe__refunds__checked where _rule is not null
    union all
    select 'stripe.events', 'not_yet_effective', count(*)
    from {{ s.staging }}.stg_stripe__refunds where refund_date > {{ as_of }}
    union all
    select 'stripe.events', 'refund', count(*)
    from {{ s.staging }}.stg_stripe__refunds where refund_date <= {{ as_of }}
    union all
    select 'stripe.events', 'quarantined', count(*)
    from {{ s.staging }}.stg_stripe__disputes__checked where _rule is not null
    union all
    select 'stripe.events', 'not_yet_effective', count(*)
    from {{ s.staging }}.stg_stripe__disputes where event_date > {{ as_of }}
    union all
    select 'stripe.events', 'dispute', count(*)
    from {{ s.staging }}.stg_stripe__disputes where event_date <= {{ as_of }}
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
    select 'hubspot.deals' as stream, 'archived' as disposition, count(*) as records
    from {{ versions.latest('hubspot', 'deals') }} as latest where latest.r->>'archived' = 'true'
    union all
    select 'hubspot.deals', 'quarantined', count(*)
    from {{ s.staging }}.stg_hubspot__deals__checked where _rule is not null
    union all
    select 'hubspot.deals', 'pipeline_deal', count(*)
    from {{ s.staging }}.stg_hubspot__deals where not is_contract and not is_change_order
    union all
    select 'hubspot.deals', 'change_order', count(*)
    from {{ s.staging }}.stg_hubspot__deals where is_change_order
    union all
    select 'hubspot.deals', 'not_yet_effective', count(*)
    from {{ s.staging }}.stg_hubspot__deals where is_contract and created_date > {{ as_of }}
    union all
    select 'hubspot.deals', 'contract', count(*)
    from {{ s.build }}.contracts
),

totals as (
    select 'teamwork.time' as stream, count(*) as records
    from {{ versions.latest('teamwork', 'time') }} as latest
    union all
    select 'harvest.time_entries', count(*) from {{ versions.latest('harvest', 'time_entries') }} as latest
    union all
    select 'stripe.events', count(*) from {{ versions.latest('stripe', 'events') }} as latest
    union all
    select 'hubspot.deals', count(*) from {{ versions.latest('hubspot', 'deals') }} as latest
),

dispositions as (
    select stream, disposition, records from time_entries
    union all
    select stream, disposition, records from events
    union all
    select stream, disposition, records from deals
),

final as (
    select stream, disposition, cast(sum(records) as bigint) as records
    from dispositions
    group by stream, disposition
    having sum(records) > 0
    union all
    select stream, '_in_raw' as disposition, cast(records as bigint) from totals
)

select * from final
