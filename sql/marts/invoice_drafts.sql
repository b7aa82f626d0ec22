{#-
  Every natural key billflow has proposed: the drafts of this run (READY, HELD, DISCARDED by a
  person, or ISSUED now) and the keys issued by earlier runs, shown with their invoice's
  figures, never recomputed. A review decision shows with the draft it was made on; when the
  draft has changed since, the decision no longer applies and the draft is checked afresh.
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
            when reviews.decision = 'DISCARDED' and reviews.applies then 'DISCARDED'
            when reviews.decision = 'RELEASED' and reviews.applies then 'READY'
            when holds.draft_key is not null then 'HELD'
            else 'READY'
        end as status,
        case when invoices.invoice_number is null then holds.hold_codes end as hold_codes,
        case when invoices.invoice_number is null then holds.hold_reasons end as hold_reasons,
        invoices.invoice_number,
        {#- an issued key shows as every later run will show it #}
        case when invoices.invoice_number is null then drafts.evidence_hash end as evidence_hash,
        reviews.decision as review_decision,
        reviews.actor as reviewed_by,
        reviews.acted_on as reviewed_on,
        reviews.note as review_note,
        case when invoices.invoice_number is null then reviews.applies end as review_applies
    from {{ s.build }}.int_drafts as drafts
    left join holds on holds.draft_key = drafts.draft_key
    left join {{ s.build }}.int_reviews as reviews on reviews.draft_key = drafts.draft_key
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
        invoices.invoice_number,
        cast(null as text) as evidence_hash,
        reviews.decision as review_decision,
        reviews.actor as reviewed_by,
        reviews.acted_on as reviewed_on,
        reviews.note as review_note,
        cast(null as boolean) as review_applies
    from {{ s.build }}.int_issued_invoices as invoices
    inner join line_minutes on line_minutes.invoice_number = invoices.invoice_number
    left join {{ s.build }}.int_reviews as reviews on reviews.draft_key = invoices.draft_key
    where not invoices.is_new and invoices.kind = 'invoice'
),

final as (
    select *, {{ as_of }} as as_of from pending
    union all
    select *, {{ as_of }} as as_of from issued_before
)

select * from final
