{#- The commands people gave about contracts, in effect by as_of: one row per contract. #}
with commands as (
    select
        target,
        command,
        actor,
        acted_on,
        details->>'reason' as reason,
        details->>'record' as record,
        row_number() over (
            partition by target, command order by acted_on, acted_at, command_id
        ) as nth
    from {{ s.audit }}.commands
    where command in ('contract.cancel', 'contract.liquidate') and acted_on <= {{ as_of }}
),

final as (
    select
        target as contract_code,
        min(case when command = 'contract.cancel' then acted_on end) as cancelled_on,
        min(case when command = 'contract.cancel' then reason end) as cancel_reason,
        min(case when command = 'contract.cancel' then actor end) as cancelled_by,
        min(case when command = 'contract.liquidate' then acted_on end) as liquidated_on,
        min(case when command = 'contract.liquidate' then record end) as liquidation_record,
        min(case when command = 'contract.liquidate' then actor end) as liquidated_by
    from commands
    where nth = 1
    group by target
)

select * from final
