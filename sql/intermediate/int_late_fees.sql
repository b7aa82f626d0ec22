{#-
  Late fees (DESIGN, Payments; docs/billing.md): the contract's clause (deal property
  billing_late_fee_pct, else the setting late_fee_pct, 1.5) of an invoice's overdue balance
  for each full 30 days past due after the grace days (billing_late_fee_grace_days, else
  late_fee_grace_days, 0). Period k is assessed on due date + grace + 30 x k, on the balance
  open at the start of that day: the invoice's total less the payments and credit notes dated
  before it, as the runs before published them, and less the late fees billed on the invoice
  itself, so a fee is never charged on a fee. Simple interest: each period on its own balance.
  A period already on an issued invoice (a line with reference <invoice>#<k>) is not drafted
  again. Only what earlier runs issued is assessed, so a rerun of the same day finds the same.
#}
with invoices as (
    select
        invoices.invoice_number,
        invoices.contract_code,
        invoices.currency,
        invoices.due_date,
        invoices.total,
        contracts.late_fee_pct,
        contracts.late_fee_grace_days,
        currencies.minor_factor,
        currencies.unit
    from {{ s.marts }}.invoices as invoices
    inner join {{ s.build }}.int_contracts as contracts
        on contracts.contract_code = invoices.contract_code
    inner join {{ s.staging }}.currencies as currencies on currencies.code = invoices.currency
    where invoices.kind = 'invoice'
      and invoices.issue_date < {{ as_of }}
      and contracts.late_fee_pct > 0
),

periods as (
    select invoices.*, periods.period_no,
        cast(invoices.due_date + cast(invoices.late_fee_grace_days + 30 * periods.period_no as integer) as date)
            as assessed_on
    from invoices
    cross join generate_series(1, {{ cfg.late_fee_max_periods }}) as periods(period_no)
    where cast(invoices.due_date + cast(invoices.late_fee_grace_days + 30 * periods.period_no as integer) as date)
        <= {{ as_of }}
),

paid as (
    select periods.invoice_number, periods.period_no, sum(applications.applied_amount) as amount
    from periods
    inner join {{ s.marts }}.payment_applications as applications
        on applications.invoice_number = periods.invoice_number
        and applications.applied_date < periods.assessed_on
    group by periods.invoice_number, periods.period_no
),

credited as (
    select periods.invoice_number, periods.period_no, -sum(notes.total) as amount
    from periods
    inner join {{ s.marts }}.invoices as notes
        on notes.kind = 'credit_note'
        and notes.credits_invoice_number = periods.invoice_number
        and notes.issue_date < periods.assessed_on
    group by periods.invoice_number, periods.period_no
),

fees_on_invoice as (
    select invoice_number, sum(amount) as amount
    from {{ s.marts }}.invoice_lines
    where line_type = 'late_fee'
    group by invoice_number
),

billed as (
    select reference from {{ s.marts }}.invoice_lines where line_type = 'late_fee'
),

assessed as (
    select
        periods.*,
        periods.total - coalesce(paid.amount, 0) - coalesce(credited.amount, 0)
            - coalesce(fees_on_invoice.amount, 0) as overdue_balance
    from periods
    left join paid
        on paid.invoice_number = periods.invoice_number and paid.period_no = periods.period_no
    left join credited
        on credited.invoice_number = periods.invoice_number
        and credited.period_no = periods.period_no
    left join fees_on_invoice on fees_on_invoice.invoice_number = periods.invoice_number
),

final as (
    select
        contract_code,
        invoice_number as overdue_invoice,
        cast(period_no as integer) as period_no,
        due_date,
        assessed_on,
        currency,
        unit,
        minor_factor,
        cast(overdue_balance as {{ d.money }}) as overdue_balance,
        late_fee_pct,
        {{ money.round_to_minor('overdue_balance * late_fee_pct / 100', 'minor_factor') }}
            as amount_minor,
        invoice_number || '#' || cast(period_no as text) as reference
    from assessed
    where overdue_balance > 0
      and invoice_number || '#' || cast(period_no as text) not in (select reference from billed)
)

select * from final
