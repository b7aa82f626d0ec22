{#-
  Contracts (CF-03) with the fields of 003 and their status as of the run (the lifecycle is in
  int_contract_events). The total value is what the client pays in all, tax included: the
  deal amount (fixed prices include tax; time-based amounts are net, so their tax is added)
  plus every approved change order (tax included).
#}
with invoice_totals as (
    select
        contract_code,
        sum(case when status <> 'VOID' then total - amount_credited else 0 end) as amount_invoiced,
        sum(amount_paid) as amount_paid,
        count(*) as invoice_count
    from {{ s.build }}.invoices
    where kind = 'invoice' and issue_date <= {{ as_of }}
    group by contract_code
),

change_orders as (
    select
        orders.contract_code,
        sum(orders.amount_minor) as amount_minor,
        sum({{ money.tax_in_gross_minor('orders.amount_minor', 'contracts.tax_ppm') }}) as tax_minor,
        max(orders.version) as version
    from {{ s.build }}.int_change_orders as orders
    inner join {{ s.build }}.int_contracts as contracts on contracts.contract_code = orders.contract_code
    group by orders.contract_code
),

current_status as (
    select contract_code, status
    from {{ s.build }}.int_contract_events
    where is_current
),

valued as (
    select
        contracts.*,
        {{ money.round_to_minor('contracts.amount', 'contracts.minor_factor') }} as amount_minor,
        case
            when contracts.prices_include_tax
                then {{ money.tax_in_gross_minor(money.round_to_minor('contracts.amount', 'contracts.minor_factor'), 'contracts.tax_ppm') }}
            else {{ money.tax_on_net_minor(money.round_to_minor('contracts.amount', 'contracts.minor_factor'), 'contracts.tax_ppm') }}
        end as tax_minor
    from {{ s.build }}.int_contracts as contracts
),

totals as (
    select
        valued.*,
        case when valued.prices_include_tax then valued.amount_minor
            else valued.amount_minor + valued.tax_minor end
            + coalesce(change_orders.amount_minor, 0) as total_minor,
        valued.tax_minor + coalesce(change_orders.tax_minor, 0) as all_tax_minor,
        coalesce(change_orders.amount_minor, 0) as change_orders_minor,
        coalesce(change_orders.version, 1) as version
    from valued
    left join change_orders on change_orders.contract_code = valued.contract_code
),

final as (
    select
        totals.contract_code,
        totals.deal_id,
        totals.deal_name,
        totals.client_id,
        totals.client_name,
        totals.project_id,
        totals.project_name,
        totals.sales_rep_id,
        totals.sales_rep_name,
        totals.billing_model,
        totals.billing_cycle,
        current_status.status,
        totals.signed_date,
        totals.effective_date,
        totals.currency,
        totals.prices_include_tax,
        totals.tax_rate,
        totals.terms_days,
        totals.po_number,
        totals.late_fee_pct,
        totals.late_fee_grace_days,
        cast(totals.version as integer) as version,
        {{ money.from_minor('totals.total_minor', 'totals.unit') }} as total_value,
        {{ money.from_minor('totals.total_minor - totals.all_tax_minor', 'totals.unit') }} as pre_tax_value,
        {{ money.from_minor('totals.all_tax_minor', 'totals.unit') }} as tax_amount,
        {{ money.from_minor('totals.change_orders_minor', 'totals.unit') }} as change_orders_value,
        cast(coalesce(invoice_totals.amount_invoiced, 0) as {{ d.money }}) as amount_invoiced,
        cast(coalesce(invoice_totals.amount_paid, 0) as {{ d.money }}) as amount_paid,
        cast(
            {{ money.from_minor('totals.total_minor', 'totals.unit') }} - coalesce(invoice_totals.amount_paid, 0)
            as {{ d.money }}
        ) as remaining_balance,
        cast(coalesce(invoice_totals.invoice_count, 0) as integer) as invoice_count,
        'contracts/' || totals.contract_code || '.html' as contract_document,
        commands.liquidation_record,
        {{ as_of }} as as_of
    from totals
    inner join current_status on current_status.contract_code = totals.contract_code
    left join invoice_totals on invoice_totals.contract_code = totals.contract_code
    left join {{ s.build }}.int_commands as commands on commands.contract_code = totals.contract_code
)

select * from final
