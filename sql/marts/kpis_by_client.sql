{#-
  How fast each client pays, per currency, a snapshot per as_of: over every invoice the client
  was issued by as_of, those paid in full (marts.invoices paid_date) give
    avg_days_to_pay   paid_date - issue_date
    avg_days_late     paid_date - due_date (negative: paid early)
  both averaged half-up to 2 places; null while nothing is paid.
#}
with issued as (
    select
        client_id,
        client_name,
        currency,
        count(*) as invoices_issued,
        sum(case when paid_date is not null then 1 else 0 end) as invoices_paid,
        sum(cast(paid_date - issue_date as integer)) as days_to_pay_total,
        sum(cast(paid_date - due_date as integer)) as days_late_total,
        sum(case when balance_due > 0 then balance_due else 0 end) as open_balance
    from {{ s.build }}.invoices
    where kind = 'invoice' and issue_date <= {{ as_of }}
    group by client_id, client_name, currency
),

final as (
    select
        {{ as_of }} as as_of,
        client_id,
        client_name,
        currency,
        cast(invoices_issued as integer) as invoices_issued,
        cast(invoices_paid as integer) as invoices_paid,
        {{ stats.average('days_to_pay_total', 'invoices_paid') }} as avg_days_to_pay,
        {{ stats.average('days_late_total', 'invoices_paid') }} as avg_days_late,
        cast(open_balance as {{ d.money }}) as open_balance
    from issued
)

select * from final
