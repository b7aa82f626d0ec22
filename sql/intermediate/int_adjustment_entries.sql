{#-
  Late edits, entry by entry: time added to, changed in or deleted from a period whose invoice
  is issued (docs/billing.md). Each row is an entry whose minutes now, in a (person or task
  rate) group, differ from what the invoice's lines and earlier adjustments took from it.
  An entry belongs to the invoice that billed it (lineage), else to the one issued for its
  period. Credit notes are commercial decisions: they do not make credited time billable
  again. A quarantined entry, and a Harvest timer still running, is left out (neither
  credited nor billed) until it is fixed or stopped; a deletion counts from the day it was
  made. Entries are keyed by (source, stream, entry_id): Teamwork and Harvest ids never meet.
  `own_rate_minor` is set for Harvest entries, whose rate is their own: the rate the entry
  was billed at, else its billable_rate now. It splits a person's group by rate, so each
  group has one rate (Teamwork groups have the one rate of the person or task: null here).
#}
with contracts as (
    select * from {{ s.build }}.int_contracts
    where is_open and is_signed and billing_model in ('time_and_materials', 'hybrid')
),

issued as (
    select invoices.invoice_number, invoices.contract_code, invoices.draft_key
    from {{ s.marts }}.invoices as invoices
    inner join contracts on contracts.contract_code = invoices.contract_code
    where invoices.kind = 'invoice'
),

billed_entries as (
    select
        lines.adjusted_invoice,
        sources.source,
        sources.stream,
        sources.record_id as entry_id,
        lines.rate_basis,
        lines.rated_id,
        lines.own_rate_minor,
        sum(sources.minutes) as billed_minutes
    from {{ s.marts }}.invoice_line_sources as sources
    inner join {{ s.build }}.int_billed_time as lines
        on lines.invoice_number = sources.invoice_number and lines.line_no = sources.line_no
    where {{ timesheets.is_time('sources.source', 'sources.stream') }}
    group by lines.adjusted_invoice, sources.source, sources.stream, sources.record_id,
        lines.rate_basis, lines.rated_id, lines.own_rate_minor
),

quarantined as (
    select source, stream, entry_id from {{ s.build }}.int_timesheet_entries
    where _rule is not null
),

{#- Harvest has no deletion feed: only Teamwork marks entries deleted #}
deleted as (
    select 'teamwork' as source, 'time' as stream, latest.record_id as entry_id,
        {{ parse.local_date("coalesce(latest.r->>'deletedAt', latest.r->>'updatedAt')") }} as deleted_on
    from {{ versions.latest('teamwork', 'time') }} as latest
    where latest.r->>'deleted' = 'true'
),

{#- each entry's minutes now, on the invoice it belongs to: the one that billed it, else the
    one issued for its period #}
current_entries as (
    select
        coalesce(billed.adjusted_invoice, issued.invoice_number) as adjusted_invoice,
        entries.source,
        entries.stream,
        entries.entry_id,
        entries.rate_basis,
        entries.rated_id,
        entries.rate_minor,
        coalesce(billed.own_rate_minor, entries.own_rate_minor) as own_rate_minor,
        greatest(entries.known_on, coalesce(entries.updated_on, entries.known_on)) as changed_on,
        case
            when entries.is_billable
                and entries.known_on <= {{ as_of }}
                and (entries.billing_starts is null or entries.entry_date >= entries.billing_starts)
                and entries.disposition in ('on_invoice', 'late_edit', 'over_cap')
                then entries.billable_minutes
            else 0
        end as minutes_now
    from {{ s.build }}.int_time_entries as entries
    inner join contracts on contracts.contract_code = entries.contract_code
    left join (
        select adjusted_invoice, source, stream, entry_id, max(own_rate_minor) as own_rate_minor
        from billed_entries
        group by adjusted_invoice, source, stream, entry_id
    ) as billed
        on billed.source = entries.source and billed.stream = entries.stream
        and billed.entry_id = entries.entry_id
    left join issued on issued.draft_key = entries.draft_key and not entries.is_invoiced
    where coalesce(billed.adjusted_invoice, issued.invoice_number) is not null
      and not entries.is_running
      and not exists (
        select 1 from quarantined
        where quarantined.source = entries.source and quarantined.stream = entries.stream
          and quarantined.entry_id = entries.entry_id
      )
),

{#- + the minutes an entry gives its group now, - the minutes each billed group took from it #}
group_changes as (
    select adjusted_invoice, source, stream, entry_id, rate_basis, rated_id, own_rate_minor,
        rate_minor, changed_on, minutes_now as minutes
    from current_entries
    where minutes_now <> 0
    union all
    select
        billed.adjusted_invoice,
        billed.source,
        billed.stream,
        billed.entry_id,
        billed.rate_basis,
        billed.rated_id,
        billed.own_rate_minor,
        cast(null as bigint),
        coalesce(now.changed_on, deleted.deleted_on),
        -billed.billed_minutes
    from billed_entries as billed
    left join current_entries as now
        on now.adjusted_invoice = billed.adjusted_invoice
        and now.source = billed.source and now.stream = billed.stream
        and now.entry_id = billed.entry_id
    left join deleted
        on deleted.source = billed.source and deleted.stream = billed.stream
        and deleted.entry_id = billed.entry_id
    where now.entry_id is not null or deleted.deleted_on <= {{ as_of }}
),

final as (
    select adjusted_invoice, source, stream, entry_id, rate_basis, rated_id, own_rate_minor,
        max(rate_minor) as rate_minor, max(changed_on) as changed_on, sum(minutes) as delta_minutes
    from group_changes
    group by adjusted_invoice, source, stream, entry_id, rate_basis, rated_id, own_rate_minor
    having sum(minutes) <> 0
)

select * from final
