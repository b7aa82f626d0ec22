{#-
  Refunds, from `charge.refunded` events: the charge's cumulative `amount_refunded` (minor
  units) as of each event. The charge names its PaymentIntent, which names the payment.
#}
with events as (
    select record_id, r, r->'data'->'object' as charge
    from {{ versions.latest('stripe', 'events') }} as latest
    where r->>'type' = 'charge.refunded'
),

typed as (
    select
        record_id as event_id,
        charge->>'id' as charge_id,
        charge->>'payment_intent' as payment_id,
        {{ parse.integer("charge->>'amount_refunded'") }} as refunded_to_date_minor,
        upper(charge->>'currency') as currency,
        {{ parse.integer("r->>'created'") }} as created_epoch,
        cast(to_timestamp({{ parse.integer("r->>'created'") }}) as date) as refund_date
    from events
),

final as (
    select
        typed.*,
        case
            when refund_date is null then 'bad_date'
            when refund_date > {{ as_of }} then null
            when refunded_to_date_minor is null or refunded_to_date_minor <= 0 then 'bad_amount'
            when payment_id is null then 'no_payment_intent'
            when currencies.code is null then 'unknown_currency'
        end as _rule
    from typed
    left join {{ s.staging }}.currencies as currencies on currencies.code = typed.currency
)

select * from final
