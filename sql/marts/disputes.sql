{#- Stripe disputes (charge.dispute.*): one row per dispute as it stands at as_of (its latest
    event), with the payment and invoice it concerns. A lost dispute reverses the payment
    like a refund (int_payment_reversals). #}
with events as (
    select
        disputes.*,
        row_number() over (
            partition by dispute_id
            order by created_epoch desc, {{ d.sort_key('event_id') }} desc
        ) as latest,
        min(event_date) over (partition by dispute_id) as opened_date
    from {{ s.staging }}.stg_stripe__disputes as disputes
    where event_date <= {{ as_of }}
),

final as (
    select
        events.dispute_id,
        events.event_id as latest_event_id,
        events.dispute_status as status,
        events.reason,
        events.currency,
        {{ money.from_minor('events.amount_minor', 'currencies.unit') }} as amount,
        events.opened_date,
        case when events.dispute_status in ('won', 'lost', 'warning_closed')
            then events.event_date end as closed_date,
        payments.event_id as payment_event_id,
        payments.payment_id,
        payments.invoice_number,
        payments.client_id
    from events
    inner join {{ s.staging }}.currencies as currencies on currencies.code = events.currency
    left join {{ s.build }}.int_payment_matches as payments
        on payments.payment_id = events.payment_id
        or (events.payment_id is null and payments.charge_id = events.charge_id)
    where events.latest = 1
)

select * from final
