{#-
  Open receivables at as_of by client, currency and aging bucket, from marts.ar_aging. Only
  buckets where the client has an open invoice have a row (a client x bucket grid would be
  mostly zeros); ar_aging_daily is the zero-filled total per currency.
#}
with grouped as (
    select
        client_id,
        client_name,
        currency,
        bucket,
        bucket_order,
        count(*) as invoices,
        sum(balance_due) as balance,
        max(days_past_due) as max_days_past_due
    from {{ s.build }}.ar_aging
    group by client_id, client_name, currency, bucket, bucket_order
),

final as (
    select
        {{ as_of }} as as_of,
        client_id,
        client_name,
        currency,
        bucket,
        cast(bucket_order as integer) as bucket_order,
        cast(invoices as integer) as invoices,
        cast(balance as {{ d.money }}) as balance,
        cast(max_days_past_due as integer) as max_days_past_due
    from grouped
)

select * from final
