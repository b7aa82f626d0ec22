{#-
  Approved change orders (closed-won deals of the change-order pipeline) and the contract they
  amend, with the contract version each one makes (the original is version 1).
#}
with approved as (
    select
        orders.deal_id as change_order_id,
        orders.deal_name,
        contracts.contract_code,
        contracts.currency,
        contracts.unit,
        {{ money.round_to_minor('coalesce(orders.amount, 0)', 'contracts.minor_factor') }} as amount_minor,
        orders.close_date as approved_on
    from {{ s.staging }}.stg_hubspot__deals as orders
    inner join {{ s.build }}.int_contracts as contracts on contracts.deal_id = orders.parent_deal_id
    where orders.is_change_order
      and orders.is_closed_won
      and orders.close_date <= {{ as_of }}
),

final as (
    select
        approved.*,
        cast(1 + row_number() over (
            partition by contract_code order by approved_on, length(change_order_id), change_order_id
        ) as integer) as version
    from approved
)

select * from final
