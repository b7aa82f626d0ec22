{#-
  The lines and totals of a credit note for chosen lines of an invoice: each line's amount
  negated, tax recomputed per basis with the invoice's rate and the one rounding rule, so a
  full credit cancels the invoice to the cent.
-#}
with invoice as (
    select invoices.*, currencies.unit, currencies.minor_factor
    from {{ s.marts }}.invoices as invoices
    inner join {{ s.staging }}.currencies as currencies on currencies.code = invoices.currency
    where invoices.invoice_number = {{ invoice_number }}
),

credited as (
    select
        lines.line_no,
        lines.line_type,
        lines.description,
        lines.person_id,
        lines.task_id,
        lines.minutes,
        lines.quantity,
        lines.unit_price,
        lines.tax_inclusive,
        {{ money.round_to_minor('lines.amount', 'invoice.minor_factor') }} as amount_minor,
        invoice.unit,
        {{ money.ppm('invoice.tax_rate') }} as tax_ppm
    from {{ s.marts }}.invoice_lines as lines
    inner join invoice on invoice.invoice_number = lines.invoice_number
    where lines.line_no in ({{ line_numbers }})
),

totals as (
    select
        sum(case when tax_inclusive then amount_minor else 0 end) as gross_minor,
        sum(case when tax_inclusive then 0 else amount_minor end) as net_minor,
        min(tax_ppm) as tax_ppm,
        min(unit) as unit
    from credited
),

taxed as (
    select
        totals.*,
        {{ money.tax_in_gross_minor('totals.gross_minor', 'totals.tax_ppm') }} as tax_included_minor,
        {{ money.tax_on_net_minor('totals.net_minor', 'totals.tax_ppm') }} as tax_added_minor
    from totals
)

select
    'line' as row_kind,
    cast(row_number() over (order by credited.line_no) as integer) as line_no,
    credited.line_no as credited_line_no,
    'Credit: ' || credited.description as description,
    credited.person_id,
    credited.task_id,
    credited.minutes,
    credited.quantity,
    credited.unit_price,
    {{ money.from_minor('-credited.amount_minor', 'credited.unit') }} as amount,
    credited.tax_inclusive,
    cast(null as {{ d.money }}) as subtotal,
    cast(null as {{ d.money }}) as tax,
    cast(null as {{ d.money }}) as tax_included,
    cast(null as {{ d.money }}) as total
from credited
union all
select
    'totals',
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    {{ money.from_minor('-(gross_minor + net_minor)', 'unit') }},
    null,
    {{ money.from_minor('-(gross_minor - tax_included_minor + net_minor)', 'unit') }},
    {{ money.from_minor('-(tax_included_minor + tax_added_minor)', 'unit') }},
    {{ money.from_minor('-tax_included_minor', 'unit') }},
    {{ money.from_minor('-(gross_minor + net_minor + tax_added_minor)', 'unit') }}
from taxed
