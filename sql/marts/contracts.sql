{#-
  Contracts (CF-03) with the fields of 003 and their status as of the run:
  DRAFTING until signed, SIGNED once signed, ACTIVE from the first PAID invoice.
-#}
with invoice_totals as (
    select
        contract_code,
        sum(total) as amount_invoiced,
        sum(amount_paid) as amount_paid,
        max(case when status = 'PAID' then 1 else 0 end) as has_paid_invoice,
        count(*) as invoice_count
    from {{ s.build }}.invoices
    where kind = 'invoice' and issue_date <= {{ as_of }}
    group by contract_code
),

valued as (
    select
        contracts.*,
        case
            when contracts.prices_include_tax
                then {{ money.tax_in_gross_minor(money.round_to_minor('contracts.amount', 'contracts.minor_factor'), 'contracts.tax_ppm') }}
            else {{ money.tax_on_net_minor(money.round_to_minor('contracts.amount', 'contracts.minor_factor'), 'contracts.tax_ppm') }}
        end as tax_minor,
        {{ money.round_to_minor('contracts.amount', 'contracts.minor_factor') }} as amount_minor
    from {{ s.build }}.int_contracts as contracts
),

final as (
    select
        valued.contract_code,
        valued.deal_id,
        valued.deal_name,
        valued.client_id,
        valued.client_name,
        valued.project_id,
        valued.project_name,
        valued.sales_rep_id,
        valued.sales_rep_name,
        valued.billing_model,
        case
            when not valued.is_signed then 'DRAFTING'
            when coalesce(invoice_totals.has_paid_invoice, 0) = 1 then 'ACTIVE'
            else 'SIGNED'
        end as status,
        valued.signed_date,
        valued.effective_date,
        valued.currency,
        valued.prices_include_tax,
        valued.tax_rate,
        valued.terms_days,
        valued.po_number,
        {{ money.from_minor('case when valued.prices_include_tax then valued.amount_minor else valued.amount_minor + valued.tax_minor end', 'valued.unit') }} as total_value,
        {{ money.from_minor('case when valued.prices_include_tax then valued.amount_minor - valued.tax_minor else valued.amount_minor end', 'valued.unit') }} as pre_tax_value,
        {{ money.from_minor('valued.tax_minor', 'valued.unit') }} as tax_amount,
        cast(coalesce(invoice_totals.amount_invoiced, 0) as {{ d.money }}) as amount_invoiced,
        cast(coalesce(invoice_totals.amount_paid, 0) as {{ d.money }}) as amount_paid,
        cast(
            {{ money.from_minor('case when valued.prices_include_tax then valued.amount_minor else valued.amount_minor + valued.tax_minor end', 'valued.unit') }}
            - coalesce(invoice_totals.amount_paid, 0) as {{ d.money }}
        ) as remaining_balance,
        cast(coalesce(invoice_totals.invoice_count, 0) as integer) as invoice_count,
        {{ as_of }} as as_of
    from valued
    left join invoice_totals on invoice_totals.contract_code = valued.contract_code
)

select * from final
