{#-
  Retainer cycles: the prorated fee, the hours it covers, the hours used, and the overage.
  `flagged` marks a cycle whose hours already exceed the allocation, before it closes, so the
  client can be told before the overage is billed.
#}
with billed as (
    select lines.reference as period, invoices.contract_code, min(invoices.invoice_number) as invoice_number
    from {{ s.build }}.invoice_lines as lines
    inner join {{ s.build }}.int_issued_invoices as invoices on invoices.invoice_number = lines.invoice_number
    where lines.line_type = 'overage'
    group by lines.reference, invoices.contract_code
),

final as (
    select
        cycles.contract_code,
        cycles.period,
        cycles.period_start,
        cycles.period_end,
        cycles.active_days,
        cycles.cycle_days,
        {{ money.from_minor('cycles.fee_minor', 'cycles.unit') }} as fee,
        {{ money.hours('cycles.allocation_minutes') }} as allocation_hours,
        {{ money.hours('cycles.used_minutes') }} as used_hours,
        {{ money.hours('cycles.overage_minutes') }} as overage_hours,
        {{ money.from_minor('cycles.overage_minor', 'cycles.unit') }} as overage_amount,
        cycles.used_minutes > cycles.allocation_minutes as flagged,
        case when cycles.has_ended then 'closed' else 'open' end as cycle_status,
        billed.invoice_number as overage_invoice_number,
        {{ as_of }} as as_of
    from {{ s.build }}.int_retainer_periods as cycles
    left join billed on billed.contract_code = cycles.contract_code and billed.period = cycles.period
)

select * from final
