{#-
  The monthly audit of the deal-to-cash cycle (seed 002, step 6), one row per month of issue:
    late        invoices issued more than 48 hours after their trigger (issue_date -
                trigger_date > 2 days), with the average and longest wait in days
    corrected   corrections people made after sending: credit notes issued in the month,
                drafts released or discarded in review (audit.commands, by acted_on)
    overdue     the month's invoices that are overdue at as_of
  A month appears once it has an invoice, a credit note or a review decision.
#}
with invoices as (
    select
        {{ d.year_month('issue_date') }} as month,
        cast(issue_date - trigger_date as integer) as trigger_days,
        status
    from {{ s.build }}.invoices
    where kind = 'invoice' and issue_date <= {{ as_of }}
),

issued as (
    select
        month,
        count(*) as invoices_issued,
        count(trigger_days) as invoices_timed,
        sum(case when trigger_days > 2 then 1 else 0 end) as issued_late,
        sum(trigger_days) as trigger_days_total,
        max(trigger_days) as max_trigger_days,
        sum(case when status = 'OVERDUE' then 1 else 0 end) as overdue_invoices
    from invoices
    group by month
),

credit_notes as (
    select {{ d.year_month('issue_date') }} as month, count(*) as credit_notes
    from {{ s.build }}.invoices
    where kind = 'credit_note' and issue_date <= {{ as_of }}
    group by {{ d.year_month('issue_date') }}
),

decisions as (
    select
        {{ d.year_month('acted_on') }} as month,
        sum(case when command = 'review.release' then 1 else 0 end) as drafts_released,
        sum(case when command = 'review.discard' then 1 else 0 end) as drafts_discarded
    from {{ s.audit }}.commands
    where command in ('review.release', 'review.discard') and acted_on <= {{ as_of }}
    group by {{ d.year_month('acted_on') }}
),

months as (
    select month from issued
    union
    select month from credit_notes
    union
    select month from decisions
),

counted as (
    select
        months.month,
        coalesce(issued.invoices_issued, 0) as invoices_issued,
        coalesce(issued.invoices_timed, 0) as invoices_timed,
        coalesce(issued.issued_late, 0) as issued_late,
        issued.trigger_days_total,
        issued.max_trigger_days,
        coalesce(credit_notes.credit_notes, 0) as credit_notes,
        coalesce(decisions.drafts_released, 0) as drafts_released,
        coalesce(decisions.drafts_discarded, 0) as drafts_discarded,
        coalesce(issued.overdue_invoices, 0) as overdue_invoices
    from months
    left join issued on issued.month = months.month
    left join credit_notes on credit_notes.month = months.month
    left join decisions on decisions.month = months.month
),

final as (
    select
        month,
        cast(invoices_issued as integer) as invoices_issued,
        cast(issued_late as integer) as issued_late,
        {{ stats.share('issued_late', 'invoices_timed') }} as late_share,
        {{ stats.average('trigger_days_total', 'invoices_timed') }} as avg_trigger_days,
        cast(max_trigger_days as integer) as max_trigger_days,
        cast(credit_notes as integer) as credit_notes,
        cast(drafts_released as integer) as drafts_released,
        cast(drafts_discarded as integer) as drafts_discarded,
        cast(credit_notes + drafts_released + drafts_discarded as integer) as manual_corrections,
        cast(overdue_invoices as integer) as overdue_invoices,
        {{ stats.share('overdue_invoices', 'invoices_issued') }} as overdue_share,
        {{ as_of }} as as_of
    from counted
)

select * from final
