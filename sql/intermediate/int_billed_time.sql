{#-
  The time already billed on each invoice of a time-based contract that can still be adjusted
  (signed, open, time and materials or hybrid): its time lines, and the adjustment lines that
  later changed it (on other invoices, `reference` = the adjusted invoice). Late edits
  (int_adjustment_entries, int_adjustments) are measured against it. On a contract billing a
  Harvest project, each entry brings its own rate, so a person's time can be on lines of two
  rates: `own_rate_minor` (the line's rate) keeps those groups apart; null on Teamwork's.
#}
with contracts as (
    select contract_code, minor_factor, unit,
        {{ timesheets.is_harvest_project('project_id') }} as has_own_rates
    from {{ s.build }}.int_contracts
    where is_open and is_signed and billing_model in ('time_and_materials', 'hybrid')
),

lines as (
    select
        case when lines.line_type = 'adjustment' then lines.reference else lines.invoice_number end
            as adjusted_invoice,
        lines.invoice_number,
        lines.line_no,
        case when lines.task_id is not null then 'task' else 'person' end as rate_basis,
        coalesce(lines.task_id, lines.person_id) as rated_id,
        lines.line_type,
        lines.minutes,
        lines.unit_price,
        lines.amount
    from {{ s.marts }}.invoice_lines as lines
    where lines.line_type in ('time', 'adjustment')
),

final as (
    select
        invoices.contract_code,
        contracts.minor_factor,
        contracts.unit,
        case when contracts.has_own_rates
            then {{ money.round_to_minor('lines.unit_price', 'contracts.minor_factor') }}
        end as own_rate_minor,
        lines.*
    from lines
    inner join {{ s.marts }}.invoices as invoices on invoices.invoice_number = lines.adjusted_invoice
    inner join contracts on contracts.contract_code = invoices.contract_code
    where invoices.kind = 'invoice'
)

select * from final
