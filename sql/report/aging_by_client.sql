{#-
  AR aging by client and bucket at as_of (marts.ar_aging_by_client), each client with its whole
  open balance; clients ordered by that balance, largest first.
#}
with aging as (
    select
        currency,
        coalesce(client_name, client_id, '(no client)') as client_name,
        bucket,
        bucket_order,
        invoices,
        balance,
        max_days_past_due
    from {{ s.marts }}.ar_aging_by_client
    where as_of = {{ as_of }}{% if currency %} and currency = {{ currency }}{% endif %}
),

final as (
    select
        aging.*,
        sum(balance) over (partition by currency, client_name) as client_balance
    from aging
)

select * from final
order by currency, client_balance desc, client_name, bucket_order
