{#-
  Issued invoices with their status as of the run. PENDING -> PAID when payments cover the
  total; PENDING -> OVERDUE when as_of is past the due date with a balance left.
-#}
with applications as (
    select
        invoice_number,
        sum(applied_amount) as amount_paid,
        max(applied_date) as last_payment_date
    from {{ s.build }}.payment_applications
    group by invoice_number
),

balances as (
    select
        invoices.*,
        coalesce(applications.amount_paid, 0) as amount_paid,
        invoices.total - coalesce(applications.amount_paid, 0) as balance_due,
        applications.last_payment_date
    from {{ s.build }}.int_issued_invoices as invoices
    left join applications on applications.invoice_number = invoices.invoice_number
),

final as (
    select
        invoice_number,
        kind,
        series_year,
        series_seq,
        draft_key,
        contract_code,
        client_id,
        client_name,
        currency,
        issue_date,
        due_date,
        terms_days,
        po_number,
        trigger_type,
        trigger_id,
        period_start,
        period_end,
        trigger_date,
        prices_include_tax,
        tax_rate,
        lines_total,
        subtotal,
        tax,
        total,
        cast(amount_paid as {{ d.money }}) as amount_paid,
        cast(balance_due as {{ d.money }}) as balance_due,
        case
            when balance_due <= 0 then 'PAID'
            when {{ as_of }} > due_date then 'OVERDUE'
            else 'PENDING'
        end as status,
        case when balance_due <= 0 then last_payment_date end as paid_date,
        case when balance_due > 0 then cast({{ as_of }} - due_date as integer) end as days_past_due,
        {{ as_of }} as as_of
    from balances
)

select * from final
