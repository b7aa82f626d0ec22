{#-
  Receivables KPIs, one row per currency invoiced by as_of, a snapshot per as_of (docs/decisions.md,
  KPIs). The window is the 90 days ending on as_of: issue_date > as_of - 90 and <= as_of.
    dso             open receivables at as_of / net invoiced in the window x 90 (DESIGN);
                    net invoiced = invoices issued in the window less credit notes issued in it;
                    null when that is not positive
    overdue_share   open invoices past due / open invoices
    dispute_rate    disputes opened in the window (marts.disputes opened_date) / payments
                    received in it (marts.payments payment_date); null without payments
    days to pay     over every invoice paid by as_of: paid_date - issue_date, paid_date - due_date
  Money is computed in thousandths (every amount has at most 3 decimals), so the division is
  exact integer arithmetic rounded half-up once (macros/stats.sql).
#}
{%- set window_days = 90 %}
with currencies as (
    select distinct currency
    from {{ s.build }}.invoices
    where issue_date <= {{ as_of }}
),

open_items as (
    select
        currency,
        count(*) as invoices_open,
        sum(case when days_past_due > 0 then 1 else 0 end) as invoices_overdue,
        sum(balance_due) as open_receivables,
        sum(case when days_past_due > 0 then balance_due else 0 end) as overdue_receivables
    from {{ s.build }}.ar_aging
    group by currency
),

invoiced as (
    select
        currency,
        sum(case when kind = 'invoice' then total else 0 end) as invoiced,
        sum(case when kind = 'credit_note' then -total else 0 end) as credited
    from {{ s.build }}.invoices
    where issue_date > {{ as_of }} - {{ window_days }} and issue_date <= {{ as_of }}
    group by currency
),

paid as (
    select
        currency,
        count(*) as invoices_paid,
        sum(cast(paid_date - issue_date as integer)) as days_to_pay_total,
        sum(cast(paid_date - due_date as integer)) as days_late_total
    from {{ s.build }}.invoices
    where kind = 'invoice' and paid_date is not null and paid_date <= {{ as_of }}
    group by currency
),

received as (
    select currency, count(*) as payments
    from {{ s.build }}.payments
    where payment_date > {{ as_of }} - {{ window_days }} and payment_date <= {{ as_of }}
    group by currency
),

disputed as (
    select currency, count(*) as disputes
    from {{ s.build }}.disputes
    where opened_date > {{ as_of }} - {{ window_days }} and opened_date <= {{ as_of }}
    group by currency
),

figures as (
    select
        currencies.currency,
        coalesce(open_items.open_receivables, 0) as open_receivables,
        coalesce(open_items.overdue_receivables, 0) as overdue_receivables,
        coalesce(open_items.invoices_open, 0) as invoices_open,
        coalesce(open_items.invoices_overdue, 0) as invoices_overdue,
        coalesce(invoiced.invoiced, 0) as invoiced,
        coalesce(invoiced.credited, 0) as credited,
        coalesce(paid.invoices_paid, 0) as invoices_paid,
        paid.days_to_pay_total,
        paid.days_late_total,
        coalesce(received.payments, 0) as payments,
        coalesce(disputed.disputes, 0) as disputes
    from currencies
    left join open_items on open_items.currency = currencies.currency
    left join invoiced on invoiced.currency = currencies.currency
    left join paid on paid.currency = currencies.currency
    left join received on received.currency = currencies.currency
    left join disputed on disputed.currency = currencies.currency
),

thousandths as (
    select
        figures.*,
        cast(open_receivables * 1000 as {{ d.wide_int }}) as open_milli,
        cast((invoiced - credited) * 1000 as {{ d.wide_int }}) as net_invoiced_milli
    from figures
),

final as (
    select
        {{ as_of }} as as_of,
        currency,
        cast(open_receivables as {{ d.money }}) as open_receivables,
        cast(overdue_receivables as {{ d.money }}) as overdue_receivables,
        cast(invoiced as {{ d.money }}) as invoiced_90d,
        cast(credited as {{ d.money }}) as credited_90d,
        cast(invoiced - credited as {{ d.money }}) as net_invoiced_90d,
        {{ stats.average('open_milli * ' ~ window_days, 'net_invoiced_milli') }} as dso,
        cast(invoices_open as integer) as invoices_open,
        cast(invoices_overdue as integer) as invoices_overdue,
        {{ stats.share('invoices_overdue', 'invoices_open') }} as overdue_share,
        cast(payments as integer) as payments_90d,
        cast(disputes as integer) as disputes_90d,
        {{ stats.share('disputes', 'payments') }} as dispute_rate,
        cast(invoices_paid as integer) as invoices_paid,
        {{ stats.average('days_to_pay_total', 'invoices_paid') }} as avg_days_to_pay,
        {{ stats.average('days_late_total', 'invoices_paid') }} as avg_days_late
    from thousandths
)

select * from final
