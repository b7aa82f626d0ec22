{#-
  Issued documents with their status as of the run (003):
    invoices      PENDING -> PAID when payments and credits cover the total, PENDING -> OVERDUE
                  when as_of is past the due date with a balance left; VOID when credit notes
                  cancel the whole total before anything was paid (terminal)
    credit notes  APPLIED: their (negative) total reduces the invoice they credit
#}
with applications as (
    select
        invoice_number,
        sum(applied_amount) as amount_paid,
        max(applied_date) as last_payment_date
    from {{ s.build }}.payment_applications
    group by invoice_number
),

credits as (
    select credits_invoice_number as invoice_number, -sum(total) as amount_credited,
        max(issue_date) as last_credit_date
    from {{ s.build }}.int_issued_invoices
    where kind = 'credit_note' and issue_date <= {{ as_of }}
    group by credits_invoice_number
),

balances as (
    select
        invoices.*,
        coalesce(applications.amount_paid, 0) as amount_paid,
        coalesce(credits.amount_credited, 0) as amount_credited,
        case when invoices.kind = 'credit_note' then 0
            else invoices.total - coalesce(applications.amount_paid, 0) - coalesce(credits.amount_credited, 0)
        end as balance_due,
        greatest(applications.last_payment_date, credits.last_credit_date) as settled_date
    from {{ s.build }}.int_issued_invoices as invoices
    left join applications on applications.invoice_number = invoices.invoice_number
    left join credits on credits.invoice_number = invoices.invoice_number
    {#- a dry run of a past date sees only the documents issued by then #}
    where invoices.issue_date <= {{ as_of }}
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
        tax_rate,
        lines_total,
        subtotal,
        tax,
        tax_included,
        total,
        credits_invoice_number,
        memo,
        cast(amount_paid as {{ d.money }}) as amount_paid,
        cast(amount_credited as {{ d.money }}) as amount_credited,
        cast(balance_due as {{ d.money }}) as balance_due,
        case
            when kind = 'credit_note' then 'APPLIED'
            when amount_credited >= total and amount_paid = 0 then 'VOID'
            when balance_due <= 0 then 'PAID'
            when {{ as_of }} > due_date then 'OVERDUE'
            else 'PENDING'
        end as status,
        case when kind = 'invoice' and balance_due <= 0 and amount_paid > 0 then settled_date end
            as paid_date,
        case when balance_due > 0 then cast({{ as_of }} - due_date as integer) end as days_past_due,
        {{ as_of }} as as_of
    from balances
)

select * from final
