{#-
  Open receivables per currency and aging bucket, one snapshot per as_of (publish: snapshot,
  so earlier runs' rows stay and trends can be queried over runs). Zero-filled: every bucket
  of every currency invoiced by as_of has a row, so a bucket that empties shows 0, not a gap.
#}
with buckets as (
    {{ aging.buckets() }}
),

currencies as (
    select distinct currency
    from {{ s.build }}.invoices
    where kind = 'invoice' and issue_date <= {{ as_of }}
),

open_items as (
    select currency, bucket, count(*) as invoices, sum(balance_due) as balance
    from {{ s.build }}.ar_aging
    group by currency, bucket
),

final as (
    select
        {{ as_of }} as as_of,
        currencies.currency,
        buckets.bucket,
        cast(buckets.bucket_order as integer) as bucket_order,
        cast(coalesce(open_items.invoices, 0) as integer) as invoices,
        cast(coalesce(open_items.balance, 0) as {{ d.money }}) as balance
    from currencies
    cross join buckets
    left join open_items
        on open_items.currency = currencies.currency and open_items.bucket = buckets.bucket
)

select * from final
