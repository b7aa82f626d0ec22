{#- Successful PaymentIntents: the money that arrived, in the currency's minor unit. #}
with events as (
    select record_id, r, r->'data'->'object' as pi
    from {{ versions.latest('stripe', 'events') }} as latest
    where r->>'type' = 'payment_intent.succeeded'
),

typed as (
    select
        record_id as event_id,
        pi->>'id' as payment_id,
        {{ parse.integer("pi->>'amount_received'") }} as amount_minor,
        upper(pi->>'currency') as currency,
        pi->>'customer' as customer_id,
        pi->>'latest_charge' as charge_id,
        nullif(pi->'metadata'->>'invoice_number', '') as invoice_number_ref,
        nullif(pi->'metadata'->>'contract_code', '') as contract_code_ref,
        {{ parse.integer("r->>'created'") }} as created_epoch,
        cast(to_timestamp({{ parse.integer("r->>'created'") }}) as date) as payment_date
    from events
),

final as (
    select
        typed.*,
        case
            when payment_date is null then 'bad_date'
            when payment_date > {{ as_of }} then null
            when amount_minor is null or amount_minor <= 0 then 'bad_amount'
            when currencies.code is null then 'unknown_currency'
        end as _rule
    from typed
    left join {{ s.staging }}.currencies as currencies on currencies.code = typed.currency
)

select * from final
