{#-
  Every natural key billflow has proposed: the drafts of this run (READY, HELD, or ISSUED now)
  and the keys issued by earlier runs, shown with their invoice's figures, never recomputed.
#}
with holds as (
    select
        draft_key,
        string_agg(check_name, ',' order by check_name) as hold_codes,
        string_agg(check_name || ': ' || detail, '; ' order by check_name) as hold_reasons
    from {{ s.build }}.reconciliation
    where not passed
    group by draft_key
),

pending as (
    select
        drafts.draft_key,
        drafts.contract_code,
        drafts.trigger_type,
        drafts.trigger_id,
        drafts.period_start,
        drafts.period_end,
        drafts.trigger_date,
        drafts.currency,
        cast(drafts.line_count as integer) as line_count,
        {{ money.hours('drafts.minutes_considered + drafts.minutes_overage') }} as hours_billable,
        {{ money.hours('coalesce(drafts.minutes_priced, 0) + drafts.minutes_overage') }} as hours_priced,
        drafts.lines_total,
        drafts.subtotal,
        drafts.tax,
        drafts.total,
        case
            when invoices.invoice_number is not null then 'ISSUED'
            when holds.draft_key is not null then 'HELD'
            else 'READY'
        end as status,
        holds.hold_codes,
        holds.hold_reasons,
        invoices.invoice_number
    from {{ s.build }}.int_drafts as drafts
    left join holds on holds.draft_key = drafts.draft_key
    left join {{ s.build }}.int_issued_invoices as invoices
        on invoices.draft_key = drafts.draft_key and invoices.is_new
),

line_minutes as (
    select
        invoice_number,
        count(*) as line_count,
        coalesce(sum(case when line_type in ('time', 'overage') then minutes end), 0) as minutes
    from {{ s.build }}.invoice_lines
    group by invoice_number
),

issued_before as (
    select
        invoices.draft_key,
        invoices.contract_code,
        invoices.trigger_type,
        invoices.trigger_id,
        invoices.period_start,
        invoices.period_end,
        invoices.trigger_date,
        invoices.currency,
        cast(line_minutes.line_count as integer) as line_count,
        {{ money.hours('line_minutes.minutes') }} as hours_billable,
        {{ money.hours('line_minutes.minutes') }} as hours_priced,
        invoices.lines_total,
        invoices.subtotal,
        invoices.tax,
        invoices.total,
        'ISSUED' as status,
        cast(null as text) as hold_codes,
        cast(null as text) as hold_reasons,
        invoices.invoice_number
    from {{ s.build }}.int_issued_invoices as invoices
    inner join line_minutes on line_minutes.invoice_number = invoices.invoice_number
    where not invoices.is_new and invoices.kind = 'invoice'
),

final as (
    select *, {{ as_of }} as as_of from pending
    union all
    select *, {{ as_of }} as as_of from issued_before
)

select * from final
