{#-
  Late edits (docs/billing.md): every time entry added, changed or deleted after its invoice
  was issued, with the adjustment that carries the change: PENDING (waiting for the
  contract's next draft), HELD or READY on a draft, or ISSUED on an invoice or credit note.
#}
with open_changes as (
    select
        entries.adjusted_invoice,
        entries.entry_id,
        entries.rate_basis,
        entries.rated_id,
        entries.delta_minutes,
        entries.changed_on,
        lines.draft_key,
        lines.line_no
    from {{ s.build }}.int_adjustment_entries as entries
    left join {{ s.build }}.int_draft_lines as lines
        on lines.line_type = 'adjustment'
        and lines.reference = entries.adjusted_invoice
        and case when lines.task_id is not null then 'task' else 'person' end = entries.rate_basis
        and coalesce(lines.task_id, lines.person_id) = entries.rated_id
        and (entries.source <> 'harvest' or entries.own_rate_minor is not distinct from lines.rate_minor)
),

pending as (
    select
        changes.adjusted_invoice,
        changes.entry_id,
        changes.rate_basis,
        changes.rated_id,
        changes.delta_minutes,
        changes.changed_on,
        changes.draft_key,
        case
            when changes.draft_key is null then 'PENDING'
            when issued.invoice_number is not null then 'ISSUED'
            else coalesce(drafts.status, 'PENDING')
        end as status,
        issued.invoice_number,
        changes.line_no
    from open_changes as changes
    left join {{ s.build }}.invoice_drafts as drafts on drafts.draft_key = changes.draft_key
    left join {{ s.build }}.int_issued_invoices as issued
        on issued.draft_key = changes.draft_key and issued.is_new
),

issued_before as (
    select
        lines.reference as adjusted_invoice,
        sources.record_id as entry_id,
        case when lines.task_id is not null then 'task' else 'person' end as rate_basis,
        coalesce(lines.task_id, lines.person_id) as rated_id,
        sources.minutes as delta_minutes,
        greatest(entries.known_on, coalesce(entries.updated_on, entries.known_on)) as changed_on,
        invoices.draft_key,
        'ISSUED' as status,
        invoices.invoice_number,
        lines.line_no
    from {{ s.marts }}.invoice_lines as lines
    inner join {{ s.marts }}.invoices as invoices on invoices.invoice_number = lines.invoice_number
    inner join {{ s.marts }}.invoice_line_sources as sources
        on sources.invoice_number = lines.invoice_number and sources.line_no = lines.line_no
    left join {{ s.build }}.int_timesheet_entries as entries
        on entries.source = sources.source and entries.stream = sources.stream
        and entries.entry_id = sources.record_id and entries._rule is null
    where lines.line_type = 'adjustment'
),

final as (
    select
        rows.adjusted_invoice,
        rows.entry_id,
        adjusted.contract_code,
        rows.rate_basis,
        rows.rated_id,
        rows.delta_minutes,
        {{ money.hours('rows.delta_minutes') }} as delta_hours,
        rows.changed_on,
        rows.draft_key,
        rows.status,
        rows.invoice_number,
        rows.line_no,
        coalesce(rows.invoice_number, rows.draft_key, 'pending') as carried_by,
        {{ as_of }} as as_of
    from (
        select * from pending
        union all
        select * from issued_before
    ) as rows
    inner join {{ s.marts }}.invoices as adjusted on adjusted.invoice_number = rows.adjusted_invoice
)

select * from final
