{#-
  The report's headline figures: one row per (currency, figure), read from the marts.
    invoiced      invoices issued from the first of as_of's month to as_of (marts.invoices)
    credited      credit notes issued in that time, as a positive amount
    collected     payments received in that time, applied or not (marts.payments)
    open, overdue open receivables and the part past due (marts.kpis)
    dso           days sales outstanding (marts.kpis), in `quantity`
    held          drafts held for review and their totals (marts.invoice_drafts)
    unbilled      billable hours no draft or invoice covers, in `quantity`, and their estimate
                  at today's rates (marts.unbilled_work; currency null: no contract)
    unapplied     money not applied to an invoice (marts.unapplied_cash)
  Parameters: as_of and month_start (date literals), currency (a literal, or none for all).
#}
with invoiced as (
    select
        currency,
        'invoiced' as figure,
        count(*) as items,
        sum(total) as amount,
        cast(null as decimal(18, 3)) as quantity
    from {{ s.marts }}.invoices
    where kind = 'invoice' and issue_date >= {{ month_start }} and issue_date <= {{ as_of }}
    group by currency
),

credited as (
    select
        currency,
        'credited' as figure,
        count(*) as items,
        sum(-total) as amount,
        cast(null as decimal(18, 3)) as quantity
    from {{ s.marts }}.invoices
    where kind = 'credit_note' and issue_date >= {{ month_start }} and issue_date <= {{ as_of }}
    group by currency
),

collected as (
    select
        currency,
        'collected' as figure,
        count(*) as items,
        sum(amount) as amount,
        cast(null as decimal(18, 3)) as quantity
    from {{ s.marts }}.payments
    where payment_date >= {{ month_start }} and payment_date <= {{ as_of }}
    group by currency
),

receivables as (
    select
        currency,
        'open' as figure,
        invoices_open as items,
        open_receivables as amount,
        cast(null as decimal(18, 3)) as quantity
    from {{ s.marts }}.kpis
    where as_of = {{ as_of }}
    union all
    select
        currency,
        'overdue' as figure,
        invoices_overdue as items,
        overdue_receivables as amount,
        cast(null as decimal(18, 3)) as quantity
    from {{ s.marts }}.kpis
    where as_of = {{ as_of }}
    union all
    select
        currency,
        'dso' as figure,
        cast(null as integer) as items,
        cast(null as decimal(18, 3)) as amount,
        dso as quantity
    from {{ s.marts }}.kpis
    where as_of = {{ as_of }}
),

held as (
    select
        currency,
        'held' as figure,
        count(*) as items,
        sum(total) as amount,
        cast(null as decimal(18, 3)) as quantity
    from {{ s.marts }}.invoice_drafts
    where status = 'HELD'
    group by currency
),

unbilled as (
    select
        currency,
        'unbilled' as figure,
        sum(entries) as items,
        sum(estimated_amount) as amount,
        sum(hours) as quantity
    from {{ s.marts }}.unbilled_work
    group by currency
),

unapplied as (
    select
        currency,
        'unapplied' as figure,
        count(*) as items,
        sum(unapplied_amount) as amount,
        cast(null as decimal(18, 3)) as quantity
    from {{ s.marts }}.unapplied_cash
    group by currency
),

final as (
    select * from invoiced
    union all select * from credited
    union all select * from collected
    union all select * from receivables
    union all select * from held
    union all select * from unbilled
    union all select * from unapplied
)

select currency, figure, items, amount, quantity
from final
{% if currency %}
where currency = {{ currency }} or (figure = 'unbilled' and currency is null)
{% endif %}
order by currency, figure
