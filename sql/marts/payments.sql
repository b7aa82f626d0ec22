{#- Every effective payment with what was applied and what was not, and why. #}
with final as (
    select
        event_id,
        payment_id,
        payment_date,
        currency,
        {{ money.from_minor('amount_minor', 'unit') }} as amount,
        invoice_number_ref,
        contract_code_ref,
        customer_id,
        {{ money.from_minor('applied_minor', 'unit') }} as applied_amount,
        {{ money.from_minor('amount_minor - applied_minor', 'unit') }} as unapplied_amount,
        case
            when applied_minor = amount_minor then 'applied'
            when applied_minor > 0 then 'partially_applied'
            else 'unapplied'
        end as status,
        case
            when unmatched_reason is not null then unmatched_reason
            when applied_minor < amount_minor
                then 'exceeds the balance of ' || invoice_number || ' (over-payment)'
        end as unapplied_reason
    from {{ s.build }}.int_payment_matches
)

select * from final
