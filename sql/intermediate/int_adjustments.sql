{#-
  Late edits priced: one adjustment per (adjusted invoice, person or task rate), from the
  entries of int_adjustment_entries. The invoice is never edited; the adjustment is billed on
  the contract's next draft, or on its own after `pending_item_days` (int_draft_lines).
  The amount makes the invoice and its adjustments add up to what the group bills now:
    half-up(minutes now x rate / 60) - what was billed for the group
  at the rate the invoice used; a group the invoice did not have is priced at today's rate
  (none: the draft is held by MISSING_RATE). A Harvest group is also keyed by its rate
  (`own_rate_minor`, int_adjustment_entries), which prices it.
#}
with billed_groups as (
    select
        adjusted_invoice,
        rate_basis,
        rated_id,
        own_rate_minor,
        sum(minutes) as billed_minutes,
        {{ money.round_to_minor('sum(amount)', 'min(minor_factor)') }} as billed_minor,
        {{ money.round_to_minor(
            "max(case when line_type = 'time' then unit_price end)", 'min(minor_factor)') }}
            as invoiced_rate_minor,
        {{ money.round_to_minor('max(unit_price)', 'min(minor_factor)') }} as any_rate_minor
    from {{ s.build }}.int_billed_time
    group by adjusted_invoice, rate_basis, rated_id, own_rate_minor
),

groups as (
    select adjusted_invoice, rate_basis, rated_id, own_rate_minor,
        max(rate_minor) as current_rate_minor,
        max(changed_on) as detected_on, sum(delta_minutes) as delta_minutes
    from {{ s.build }}.int_adjustment_entries
    group by adjusted_invoice, rate_basis, rated_id, own_rate_minor
),

priced as (
    select
        invoices.contract_code,
        groups.adjusted_invoice,
        groups.rate_basis,
        groups.rated_id,
        groups.own_rate_minor,
        groups.detected_on,
        groups.delta_minutes,
        coalesce(billed.billed_minutes, 0) as billed_minutes,
        coalesce(billed.billed_minor, 0) as billed_minor,
        coalesce(
            groups.own_rate_minor, billed.invoiced_rate_minor, billed.any_rate_minor,
            groups.current_rate_minor
        ) as rate_minor,
        contracts.unit
    from groups
    inner join {{ s.marts }}.invoices as invoices on invoices.invoice_number = groups.adjusted_invoice
    inner join {{ s.build }}.int_contracts as contracts on contracts.contract_code = invoices.contract_code
    left join billed_groups as billed
        on billed.adjusted_invoice = groups.adjusted_invoice
        and billed.rate_basis = groups.rate_basis
        and billed.rated_id = groups.rated_id
        and billed.own_rate_minor is not distinct from groups.own_rate_minor
    where groups.delta_minutes <> 0
),

final as (
    select
        priced.*,
        priced.billed_minutes + priced.delta_minutes as minutes_now,
        {{ money.time_amount_minor('priced.billed_minutes + priced.delta_minutes', 'priced.rate_minor') }}
            - priced.billed_minor as amount_minor
    from priced
)

select * from final
