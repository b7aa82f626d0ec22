{#-
  Money applied to invoices, one row per (event, invoice): a payment to the invoice it names
  or matches by amount (kind payment), its excess applied as client credit (client_credit,
  from the day after), and reversals of either (refund, dispute_lost: negative, on the
  refund's or the dispute's event). Rebuilt from the whole event log each run.
#}
with direct as (
    select event_id, payment_id, invoice_number, payment_date as applied_date, currency,
        {{ money.from_minor('applied_minor', 'unit') }} as applied_amount, 'payment' as kind,
        cast(null as text) as reverses_event_id
    from {{ s.build }}.int_payment_matches
    where applied_minor > 0
),

credit as (
    select event_id, payment_id, invoice_number, applied_date, currency,
        {{ money.from_minor('applied_minor', 'unit') }}, 'client_credit', cast(null as text)
    from {{ s.build }}.int_client_credits
),

reversed as (
    select reversals.event_id, payments.payment_id, reversals.invoice_number,
        reversals.reversal_date, payments.currency,
        {{ money.from_minor('-reversals.reversed_minor', 'payments.unit') }}, reversals.kind,
        reversals.payment_event_id
    from {{ s.build }}.int_payment_reversals as reversals
    inner join {{ s.build }}.int_payment_matches as payments
        on payments.event_id = reversals.payment_event_id
    where reversals.invoice_number is not null
),

final as (
    select * from direct
    union all
    select * from credit
    union all
    select * from reversed
)

select * from final
