{#-
  The milestone triggers due by as_of and not issued yet, one row per draft:
    milestone           a completed milestone bills its value, less a part released before
    milestone_partial   <release>% of the value once the milestone is <at>% complete, once
    deliverable         a one-time deliverable bills its value on the day it is accepted
  Milestones bill on milestone and hybrid contracts; deliverables on any contract.
#}
with issued as (
    select draft_key from {{ s.marts }}.invoices
),

released as (
    select invoices.draft_key, sum(lines.amount) as amount
    from {{ s.marts }}.invoices as invoices
    inner join {{ s.marts }}.invoice_lines as lines on lines.invoice_number = invoices.invoice_number
    where lines.line_type = 'milestone_partial'
    group by invoices.draft_key
),

milestones as (
    select progress.*, contracts.minor_factor, contracts.unit
    from {{ s.build }}.int_milestone_progress as progress
    inner join {{ s.build }}.int_contracts as contracts
        on contracts.contract_code = progress.contract_code
    where contracts.is_signed and contracts.is_open
),

deliverables as (
    select
        contract_code || ':deliverable:' || milestone_id as draft_key,
        contract_code,
        milestone_id,
        'deliverable' as kind,
        completed_date as trigger_date,
        'Deliverable accepted: ' || milestone_name as description,
        {{ money.round_to_minor('billing_value', 'minor_factor') }} as amount_minor,
        true as has_value,
        unit
    from milestones
    where is_deliverable and completed_date is not null and billing_value is not null
),

finals as (
    select
        milestones.contract_code || ':milestone:' || milestones.milestone_id as draft_key,
        milestones.contract_code,
        milestones.milestone_id,
        'milestone' as kind,
        milestones.completed_date as trigger_date,
        'Milestone: ' || milestones.milestone_name as description,
        {{ money.round_to_minor('coalesce(milestones.billing_value, 0) - coalesce(released.amount, 0)', 'milestones.minor_factor') }}
            as amount_minor,
        milestones.billing_value is not null as has_value,
        milestones.unit
    from milestones
    left join released
        on released.draft_key = milestones.contract_code || ':milestone:' || milestones.milestone_id || ':partial'
    where not milestones.is_deliverable
      and milestones.billing_model in ('milestone', 'hybrid')
      and milestones.completed_date is not null
      and (milestones.billing_value is not null or milestones.billing_model = 'hybrid')
),

partials as (
    select
        contract_code || ':milestone:' || milestone_id || ':partial' as draft_key,
        contract_code,
        milestone_id,
        'milestone_partial' as kind,
        threshold_date as trigger_date,
        'Milestone ' || milestone_name || ': ' || cast(cast(release_percent as decimal(9,2)) as text)
            || '% at ' || cast(cast(at_percent as decimal(9,2)) as text) || '% complete' as description,
        {{ money.half_up_div(money.round_to_minor('billing_value', 'minor_factor') ~ ' * cast(round(release_percent * 10000, 0) as ' ~ d.wide_int ~ ')', '1000000') }}
            as amount_minor,
        true as has_value,
        unit
    from milestones
    where not is_deliverable
      and billing_model in ('milestone', 'hybrid')
      and completed_date is null
      and release_percent is not null
      and billing_value is not null
      and threshold_date is not null
),

final as (
    select * from deliverables
    union all
    select * from finals
    union all
    select * from partials
)

select * from final
where draft_key not in (select draft_key from issued)
