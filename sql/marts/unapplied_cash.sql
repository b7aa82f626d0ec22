{#- Money received and not applied to any invoice at as_of, per payment, with the reason:
    unmatched payments wait for a person; client credit is applied by the next run to the
    client's next open invoice in its currency. #}
with final as (
    select
        {{ as_of }} as as_of,
        payments.event_id,
        payments.payment_id,
        payments.payment_date,
        payments.client_id,
        clients.client_name,
        payments.customer_id,
        payments.currency,
        payments.amount,
        payments.unapplied_amount,
        case when payments.matched_by is not null then 'client_credit' else 'unmatched' end
            as kind,
        payments.unapplied_reason as reason,
        cast({{ as_of }} - payments.payment_date as integer) as days_unapplied
    from {{ s.build }}.payments as payments
    left join (
        select client_id, min(client_name) as client_name
        from {{ s.build }}.int_contracts
        group by client_id
    ) as clients on clients.client_id = payments.client_id
    where payments.unapplied_amount > 0
)

select * from final
