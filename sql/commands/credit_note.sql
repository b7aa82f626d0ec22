{#-
  The lines and totals of a credit note for chosen lines of an invoice: each line's amount
  negated, and the tax this note takes back computed as (the tax of every line credited so
  far, this note's included) minus (the tax of the lines credited before), per basis, with the
  invoice's rate and the one rounding rule. However an invoice is credited, in one note or in
  several, its credit notes add up to its total to the cent.
#}
with invoice as (
    select invoices.*, currencies.unit, currencies.minor_factor
    from {{ s.marts }}.invoices as invoices
    inner join {{ s.staging }}.currencies as currencies on currencies.code = invoices.currency
    where invoices.invoice_number = {{ invoice_number }}
),

lines as (
    select
        lines.*,
        {{ money.round_to_minor('lines.amount', 'invoice.minor_factor') }} as amount_minor,
        invoice.unit,
        {{ money.ppm('invoice.tax_rate') }} as tax_ppm,
        lines.line_no in ({{ line_numbers }}) as is_credited_now,
        lines.line_no in ({{ prior_line_numbers }}) as was_credited
    from {{ s.marts }}.invoice_lines as lines
    inner join invoice on invoice.invoice_number = lines.invoice_number
),

bases as (
    select
        min(tax_ppm) as tax_ppm,
        min(unit) as unit,
        sum(case when is_credited_now and tax_inclusive then amount_minor else 0 end) as gross_now,
        sum(case when is_credited_now and not tax_inclusive then amount_minor else 0 end) as net_now,
        sum(case when was_credited and tax_inclusive then amount_minor else 0 end) as gross_before,
        sum(case when was_credited and not tax_inclusive then amount_minor else 0 end) as net_before,
        {#- late fees are outside the scope of tax: crediting one takes back no tax #}
        sum(case when is_credited_now and line_type = 'late_fee' then amount_minor else 0 end)
            as untaxed_now,
        sum(case when was_credited and line_type = 'late_fee' then amount_minor else 0 end)
            as untaxed_before
    from lines
),

taxed as (
    select
        bases.*,
        {{ money.tax_in_gross_minor('gross_now + gross_before', 'tax_ppm') }}
            - {{ money.tax_in_gross_minor('gross_before', 'tax_ppm') }} as tax_included_minor,
        {{ money.tax_on_net_minor('net_now + net_before - untaxed_now - untaxed_before', 'tax_ppm') }}
            - {{ money.tax_on_net_minor('net_before - untaxed_before', 'tax_ppm') }}
            as tax_added_minor
    from bases
)

select
    'line' as row_kind,
    cast(row_number() over (order by lines.line_no) as integer) as line_no,
    lines.line_no as credited_line_no,
    'Credit: ' || lines.description as description,
    lines.person_id,
    lines.task_id,
    lines.minutes,
    lines.quantity,
    lines.unit_price,
    {{ money.from_minor('-lines.amount_minor', 'lines.unit') }} as amount,
    lines.tax_inclusive,
    cast(null as {{ d.money }}) as subtotal,
    cast(null as {{ d.money }}) as tax,
    cast(null as {{ d.money }}) as tax_included,
    cast(null as {{ d.money }}) as total
from lines
where lines.is_credited_now
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
    {{ money.from_minor('-(gross_now + net_now)', 'unit') }},
    null,
    {{ money.from_minor('-(gross_now - tax_included_minor + net_now)', 'unit') }},
    {{ money.from_minor('-(tax_included_minor + tax_added_minor)', 'unit') }},
    {{ money.from_minor('-tax_included_minor', 'unit') }},
    {{ money.from_minor('-(gross_now + net_now + tax_added_minor)', 'unit') }}
from taxed
