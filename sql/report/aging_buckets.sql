{#-
  Every aging bucket with its open balance at as_of, all clients together, zero-filled
  (marts.ar_aging_daily): the aging chart's legend order and the table's total row.
#}
select currency, bucket, bucket_order, invoices, balance
from {{ s.marts }}.ar_aging_daily
where as_of = {{ as_of }}{% if currency %} and currency = {{ currency }}{% endif %}
order by currency, bucket_order
