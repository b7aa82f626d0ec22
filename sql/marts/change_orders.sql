{#-
  Change orders: deals of the change-order pipeline and the contract they amend. An approved
  one raises the contract's total (a new version) and is billed once, on the contract's next
  invoice or on its own after `pending_item_days`.
#}
with billed as (
    select sources.record_id as change_order_id, min(sources.invoice_number) as invoice_number
    from {{ s.build }}.invoice_line_sources as sources
    inner join {{ s.build }}.invoice_lines as lines
        on lines.invoice_number = sources.invoice_number and lines.line_no = sources.line_no
    where sources.source = 'hubspot' and sources.stream = 'deals' and lines.line_type = 'change_order'
    group by sources.record_id
),

orders as (
    select
        orders.deal_id,
        orders.deal_name,
        orders.currency,
        orders.amount,
        orders.is_closed_lost,
        contracts.contract_code
    from {{ s.staging }}.stg_hubspot__deals as orders
    inner join {{ s.build }}.int_contracts as contracts on contracts.deal_id = orders.parent_deal_id
    where orders.is_change_order and orders.created_date <= {{ as_of }}
),

final as (
    select
        orders.deal_id as change_order_id,
        orders.contract_code,
        orders.deal_name,
        orders.currency,
        cast(coalesce(orders.amount, 0) as {{ d.money }}) as amount,
        case
            when approved.change_order_id is not null then 'APPROVED'
            when orders.is_closed_lost then 'REJECTED'
            else 'PENDING'
        end as status,
        approved.approved_on,
        approved.version,
        billed.invoice_number,
        {{ as_of }} as as_of
    from orders
    left join {{ s.build }}.int_change_orders as approved on approved.change_order_id = orders.deal_id
    left join billed on billed.change_order_id = orders.deal_id
)

select * from final
