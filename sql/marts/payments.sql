{#- Every effective payment: how it was matched, what was applied, credited, refunded, and
    what is left unapplied, and why. #}
with credit as (
    select event_id, sum(applied_minor) as applied_minor
    from {{ s.build }}.int_client_credits
    group by event_id
),

reversed as (
    select payment_event_id as event_id, sum(reversed_minor) as reversed_minor,
        sum(case when invoice_number is null then reversed_minor else 0 end) as from_unapplied_minor
    from {{ s.build }}.int_payment_reversals
    group by payment_event_id
),

figures as (
    select
        payments.*,
        coalesce(credit.applied_minor, 0) as credit_minor,
        coalesce(reversed.reversed_minor, 0) as reversed_minor,
        payments.amount_minor - payments.applied_minor - coalesce(credit.applied_minor, 0)
            - coalesce(reversed.from_unapplied_minor, 0) as unapplied_minor
    from {{ s.build }}.int_payment_matches as payments
    left join credit on credit.event_id = payments.event_id
    left join reversed on reversed.event_id = payments.event_id
),

final as (
    select
        event_id,
        payment_id,
        payment_date,
        currency,
        {{ money.from_minor('amount_minor', 'unit') }} as amount,
        invoice_number_ref,
        contract_code_ref,
        customer_id,
        client_id,
        invoice_number,
        matched_by,
        {{ money.from_minor('applied_minor', 'unit') }} as applied_amount,
        {{ money.from_minor('credit_minor', 'unit') }} as credit_applied_amount,
        {{ money.from_minor('reversed_minor', 'unit') }} as refunded_amount,
        {{ money.from_minor('unapplied_minor', 'unit') }} as unapplied_amount,
        case
            when reversed_minor >= amount_minor then 'refunded'
            when reversed_minor > 0 then 'partially_refunded'
            when applied_minor + credit_minor = amount_minor then 'applied'
            when applied_minor + credit_minor > 0 then 'partially_applied'
            else 'unapplied'
        end as status,
        case
            when unapplied_minor <= 0 then null
            when unmatched_reason is not null then unmatched_reason
            when client_id is not null
                then 'over-payment of ' || invoice_number || ': client credit, applied to the '
                    || 'client''s oldest open invoice in ' || currency || ' from the next run'
            else 'exceeds the balance of ' || invoice_number || ' (over-payment)'
        end as unapplied_reason
    from figures
)

select * from final
