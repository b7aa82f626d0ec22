{#-
  Disputes, from `charge.dispute.*` events: one row per event, with the dispute as it stood
  (status, amount in minor units). `payment_intent` names the payment; older API versions
  give only the charge, resolved later through the payment's latest_charge.
#}
with events as (
    select record_id, r, r->'data'->'object' as dispute
    from {{ versions.latest('stripe', 'events') }} as latest
    where r->>'type' like 'charge.dispute.%'
),

typed as (
    select
        record_id as event_id,
        r->>'type' as event_type,
        dispute->>'id' as dispute_id,
        dispute->>'charge' as charge_id,
        dispute->>'payment_intent' as payment_id,
        {{ parse.integer("dispute->>'amount'") }} as amount_minor,
        upper(dispute->>'currency') as currency,
        dispute->>'status' as dispute_status,
        dispute->>'reason' as reason,
        {{ parse.integer("r->>'created'") }} as created_epoch,
        cast(to_timestamp({{ parse.integer("r->>'created'") }}) as date) as event_date
    from events
),

final as (
    select
        typed.*,
        case
            when event_date is null then 'bad_date'
            when event_date > {{ as_of }} then null
            when dispute_id is null then 'no_dispute_id'
            when amount_minor is null or amount_minor <= 0 then 'bad_amount'
            when charge_id is null and payment_id is null then 'no_charge'
            when currencies.code is null then 'unknown_currency'
        end as _rule
    from typed
    left join {{ s.staging }}.currencies as currencies on currencies.code = typed.currency
)

select * from final
