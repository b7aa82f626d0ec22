{#-
  Client credit (DESIGN, Payments): what a payment paid beyond its invoice is applied to the
  client's oldest open invoices in the same currency (issue date, number), from the day after
  the payment (the next run) or the invoice's issue date if later, first credit first. Both
  sides are laid end to end in that order and cut where they overlap, so one credit may pay
  several invoices and one invoice may take several credits. Open means after the payments
  that name it and credit notes; the reversals of refunds come after (int_payment_reversals).
#}
with credits as (
    select
        event_id, payment_id, client_id, currency, unit, payment_date, excess_minor,
        sum(excess_minor) over (
            partition by client_id, currency
            order by payment_date, created_epoch, {{ d.sort_key('event_id') }}
            rows between unbounded preceding and current row
        ) as credit_to
    from {{ s.build }}.int_payment_matches
    where excess_minor > 0 and client_id is not null and payment_date < {{ as_of }}
),

paid as (
    select invoice_number, sum(applied_minor) as paid_minor
    from {{ s.build }}.int_payment_matches
    where applied_minor > 0
    group by invoice_number
),

credited as (
    select credits_invoice_number as invoice_number, -sum(total) as amount
    from {{ s.build }}.int_issued_invoices
    where kind = 'credit_note' and issue_date <= {{ as_of }}
    group by credits_invoice_number
),

open_invoices as (
    select
        invoices.invoice_number,
        invoices.client_id,
        invoices.currency,
        invoices.issue_date,
        {{ money.round_to_minor('invoices.total - coalesce(credited.amount, 0)', 'currencies.minor_factor') }}
            - coalesce(paid.paid_minor, 0) as open_minor
    from {{ s.build }}.int_issued_invoices as invoices
    inner join {{ s.staging }}.currencies as currencies on currencies.code = invoices.currency
    left join credited on credited.invoice_number = invoices.invoice_number
    left join paid on paid.invoice_number = invoices.invoice_number
    where invoices.kind = 'invoice' and invoices.issue_date <= {{ as_of }}
      and invoices.client_id is not null
),

open_ranges as (
    select
        open_invoices.*,
        sum(open_minor) over (
            partition by client_id, currency
            order by issue_date, {{ d.sort_key('invoice_number') }}
            rows between unbounded preceding and current row
        ) as open_to
    from open_invoices
    where open_minor > 0
),

final as (
    select
        credits.event_id,
        credits.payment_id,
        open_ranges.invoice_number,
        credits.client_id,
        credits.currency,
        credits.unit,
        greatest(cast(credits.payment_date + 1 as date), open_ranges.issue_date) as applied_date,
        least(credits.credit_to, open_ranges.open_to)
            - greatest(credits.credit_to - credits.excess_minor,
                open_ranges.open_to - open_ranges.open_minor) as applied_minor
    from credits
    inner join open_ranges
        on open_ranges.client_id = credits.client_id
        and open_ranges.currency = credits.currency
        and open_ranges.open_to - open_ranges.open_minor < credits.credit_to
        and credits.credit_to - credits.excess_minor < open_ranges.open_to
)

select * from final
