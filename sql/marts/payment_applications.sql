{#- Money applied to invoices: one row per (payment event, invoice). #}
with final as (
    select
        event_id,
        payment_id,
        invoice_number,
        payment_date as applied_date,
        currency,
        {{ money.from_minor('applied_minor', 'unit') }} as applied_amount
    from {{ s.build }}.int_payment_matches
    where applied_minor > 0
)

select * from final
