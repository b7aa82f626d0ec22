{#-
  Every proposal of this run with its status: ISSUED (an invoice exists for its natural key),
  HELD (a reconciliation check failed; the reasons in words) or READY.
-#}
with holds as (
    select
        draft_key,
        string_agg(check_name, ',' order by check_name) as hold_codes,
        string_agg(check_name || ': ' || detail, '; ' order by check_name) as hold_reasons
    from {{ s.build }}.reconciliation
    where not passed
    group by draft_key
),

final as (
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
        {{ money.hours('coalesce(drafts.minutes_logged, 0)') }} as hours_logged,
        {{ money.hours('coalesce(drafts.minutes_priced, 0)') }} as hours_priced,
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
        invoices.invoice_number,
        {{ as_of }} as as_of
    from {{ s.build }}.int_drafts as drafts
    left join holds on holds.draft_key = drafts.draft_key
    left join {{ s.build }}.int_issued_invoices as invoices on invoices.draft_key = drafts.draft_key
)

select * from final
