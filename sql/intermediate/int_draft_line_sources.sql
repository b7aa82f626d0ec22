{#- Lineage of every proposed line: the source records it was computed from, and for time the
    minutes each entry gave the line (on an adjustment: the change). A time entry is named by
    its own source and stream (teamwork/time, harvest/time_entries). #}
with lines as (
    select * from {{ s.build }}.int_draft_lines
),

time_sources as (
    select lines.draft_key, lines.line_no, entries.source, entries.stream,
        entries.entry_id as record_id, cast(entries.billable_minutes as bigint) as minutes
    from lines
    inner join {{ s.build }}.int_time_entries as entries
        on entries.draft_key = lines.draft_key
        and entries.disposition = 'billable'
        and entries.rate_basis = case when lines.task_id is not null then 'task' else 'person' end
        and entries.rated_id = coalesce(lines.task_id, lines.person_id)
        and entries.rate_minor = lines.rate_minor
    where lines.line_type = 'time'
),

milestone_sources as (
    select draft_key, line_no, 'teamwork' as source, 'milestones' as stream, reference as record_id,
        cast(null as bigint) as minutes
    from lines
    where line_type in ('milestone', 'milestone_partial', 'deliverable')
),

deal_sources as (
    select lines.draft_key, lines.line_no, 'hubspot' as source, 'deals' as stream,
        case when lines.line_type = 'change_order' then lines.reference else contracts.deal_id end
            as record_id,
        cast(null as bigint) as minutes
    from lines
    inner join {{ s.build }}.int_contracts as contracts on contracts.contract_code = lines.contract_code
    where lines.line_type in ('installment', 'retainer', 'change_order')
),

overage_sources as (
    select lines.draft_key, lines.line_no, entries.source, entries.stream,
        entries.entry_id as record_id, cast(null as bigint) as minutes
    from lines
    inner join {{ s.build }}.int_time_entries as entries
        on entries.contract_code = lines.contract_code
        and entries.period = lines.reference
        and entries.disposition = 'retainer'
    where lines.line_type = 'overage'
),

adjustment_sources as (
    select lines.draft_key, lines.line_no, entries.source, entries.stream,
        entries.entry_id as record_id, cast(entries.delta_minutes as bigint) as minutes
    from lines
    inner join {{ s.build }}.int_adjustment_entries as entries
        on entries.adjusted_invoice = lines.reference
        and entries.rate_basis = case when lines.task_id is not null then 'task' else 'person' end
        and entries.rated_id = coalesce(lines.task_id, lines.person_id)
        and (entries.source <> 'harvest' or entries.own_rate_minor is not distinct from lines.rate_minor)
    where lines.line_type = 'adjustment'
),

{#- a late fee comes from the invoice that was overdue #}
late_fee_sources as (
    select draft_key, line_no, 'billflow' as source, 'invoices' as stream,
        split_part(reference, '#', 1) as record_id, cast(null as bigint) as minutes
    from lines
    where line_type = 'late_fee'
),

final as (
    select * from late_fee_sources
    union all
    select * from time_sources
    union all
    select * from adjustment_sources
    union all
    select * from milestone_sources
    union all
    select * from deal_sources
    union all
    select * from overage_sources
)

select * from final
