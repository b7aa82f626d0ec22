{#-
  The cash forecast item by item: every receipt build.int_forecast_items expects (an open
  invoice, an installment or retainer cycle not invoiced yet, a pipeline deal) with its HubSpot
  deal and the deal's owner, so that a sales rep can be shown the forecast of their own deals
  (row-level security, docs/operations.md). week_start is the Monday of the week the item lands
  in, as marts.cash_forecast counts it: an expected date already past lands in as_of's week;
  null when the item has no expected date (left out of the forecast).
#}
with contracts as (
    select contract_code, deal_id, sales_rep_id from {{ s.build }}.contracts
),

deals as (
    select deal_id, owner_id from {{ s.staging }}.stg_hubspot__deals
),

final as (
    select
        {{ as_of }} as as_of,
        items.source,
        items.item_ref,
        items.contract_code,
        case when items.source = 'pipeline' then items.item_ref else contracts.deal_id end
            as deal_id,
        case when items.source = 'pipeline' then deals.owner_id else contracts.sales_rep_id end
            as sales_rep_id,
        items.client_id,
        items.client_name,
        items.currency,
        items.amount,
        items.expected_date,
        case when items.expected_date is not null then
            cast(date_trunc('week', greatest(items.expected_date, {{ as_of }})) as date)
        end as week_start,
        items.detail
    from {{ s.build }}.int_forecast_items as items
    left join contracts on contracts.contract_code = items.contract_code
    left join deals on items.source = 'pipeline' and deals.deal_id = items.item_ref
)

select * from final
