{#- The contract list (marts.contracts), by contract code. -#}
select
    contract_code,
    client_name,
    deal_name,
    billing_model,
    status,
    currency,
    signed_date,
    total_value,
    amount_invoiced,
    amount_paid,
    remaining_balance
from {{ s.marts }}.contracts
{% if currency %}
where currency = {{ currency }}
{% endif %}
order by contract_code
