{#-
  Proposed invoice lines of every trigger of the matrix (docs/billing.md), one row per line:
    time          one per (draft, person or task rate, rate): half-up(minutes x rate / 60), net
    milestone, milestone_partial, deliverable, installment    fixed prices, tax included
    retainer      the cycle's prorated fee, in advance, net
    overage       the previous cycle's hours beyond the allocation, in arrears, net
    change_order  an approved change order, tax included, on the contract's next draft, or
                  alone once it has waited `pending_item_days`
    adjustment    a late edit of an issued invoice's time (int_adjustments), net, the same
                  way: on the contract's next draft, or alone after `pending_item_days`
#}
with contracts as (
    select * from {{ s.build }}.int_contracts
),

time_groups as (
    select
        entries.draft_key,
        entries.contract_code,
        min(entries.period) as period,
        min(entries.period_start) as period_start,
        min(entries.period_end) as period_end,
        min(entries.trigger_date) as trigger_date,
        entries.rate_basis,
        entries.rated_id,
        entries.rate_minor,
        sum(entries.billable_minutes) as minutes
    from {{ s.build }}.int_time_entries as entries
    where entries.disposition = 'billable'
    group by entries.draft_key, entries.contract_code, entries.rate_basis, entries.rated_id,
        entries.rate_minor
),

{#- time on a hybrid milestone's draft bills under the milestone's trigger #}
time_lines as (
    select
        groups.draft_key,
        groups.contract_code,
        coalesce(milestones.kind, 'time') as trigger_type,
        coalesce(milestones.milestone_id, groups.period) as trigger_id,
        coalesce(milestones.trigger_date, groups.period_start) as period_start,
        coalesce(milestones.trigger_date, groups.period_end) as period_end,
        coalesce(milestones.trigger_date, groups.trigger_date) as trigger_date,
        'time' as line_type,
        coalesce(
            names.name,
            case groups.rate_basis when 'task' then 'Task ' else 'Person ' end || groups.rated_id
        ) as description,
        case when groups.rate_basis = 'person' then groups.rated_id end as person_id,
        case when groups.rate_basis = 'task' then groups.rated_id end as task_id,
        cast(groups.minutes as bigint) as minutes,
        {{ money.hours('groups.minutes') }} as quantity,
        {{ money.from_minor('groups.rate_minor', 'contracts.unit') }} as unit_price,
        {{ money.time_amount_minor('groups.minutes', 'groups.rate_minor') }} as amount_minor,
        false as tax_inclusive,
        cast(groups.rate_minor as bigint) as rate_minor,
        cast(null as text) as reference,
        contracts.unit
    from time_groups as groups
    inner join contracts on contracts.contract_code = groups.contract_code
    left join {{ s.build }}.int_milestone_drafts as milestones on milestones.draft_key = groups.draft_key
    left join {{ s.build }}.int_timesheet_names as names
        on names.kind = groups.rate_basis and names.id = groups.rated_id
),

milestone_lines as (
    select
        drafts.draft_key,
        drafts.contract_code,
        drafts.kind as trigger_type,
        drafts.milestone_id as trigger_id,
        drafts.trigger_date as period_start,
        drafts.trigger_date as period_end,
        drafts.trigger_date,
        drafts.kind as line_type,
        drafts.description,
        cast(null as text) as person_id,
        cast(null as text) as task_id,
        cast(null as bigint) as minutes,
        cast(1 as decimal(12,2)) as quantity,
        {{ money.from_minor('drafts.amount_minor', 'drafts.unit') }} as unit_price,
        drafts.amount_minor,
        true as tax_inclusive,
        cast(null as bigint) as rate_minor,
        drafts.milestone_id as reference,
        drafts.unit
    from {{ s.build }}.int_milestone_drafts as drafts
    inner join contracts on contracts.contract_code = drafts.contract_code
    where drafts.has_value
),

installment_lines as (
    select
        installments.draft_key,
        installments.contract_code,
        'installment' as trigger_type,
        cast(installments.installment_no as text) as trigger_id,
        installments.due_trigger_date as period_start,
        installments.due_trigger_date as period_end,
        installments.due_trigger_date as trigger_date,
        'installment' as line_type,
        'Installment ' || cast(installments.installment_no as text) || ' of '
            || cast(installments.installments as text) || ' ('
            || cast(cast(installments.percent as decimal(9,2)) as text) || '%), '
            || installments.label as description,
        cast(null as text) as person_id,
        cast(null as text) as task_id,
        cast(null as bigint) as minutes,
        cast(1 as decimal(12,2)) as quantity,
        installments.amount as unit_price,
        installments.amount_minor,
        true as tax_inclusive,
        cast(null as bigint) as rate_minor,
        cast(installments.installment_no as text) as reference,
        installments.unit
    from {{ s.build }}.int_installments as installments
    inner join contracts on contracts.contract_code = installments.contract_code
    where installments.due_trigger_date <= {{ as_of }}
      and contracts.is_signed and contracts.is_open
),

retainer_lines as (
    select
        cycles.contract_code || ':retainer:' || cycles.period as draft_key,
        cycles.contract_code,
        'retainer' as trigger_type,
        cycles.period as trigger_id,
        cycles.period_start,
        cycles.period_end,
        cycles.period_start as trigger_date,
        'retainer' as line_type,
        'Retainer ' || cycles.period
            || case when cycles.active_days < cycles.cycle_days
                then ' (' || cast(cycles.active_days as text) || ' of ' || cast(cycles.cycle_days as text) || ' days)'
                else '' end as description,
        cast(null as text) as person_id,
        cast(null as text) as task_id,
        cast(null as bigint) as minutes,
        cast(1 as decimal(12,2)) as quantity,
        {{ money.from_minor('cycles.fee_minor', 'cycles.unit') }} as unit_price,
        cycles.fee_minor as amount_minor,
        false as tax_inclusive,
        cast(null as bigint) as rate_minor,
        cycles.period as reference,
        cycles.unit
    from {{ s.build }}.int_retainer_periods as cycles
    inner join contracts on contracts.contract_code = cycles.contract_code
    where cycles.active_days > 0 and contracts.is_open
      {#- a cycle that overlaps one already invoiced (its start date moved) is not billed again #}
      and not exists (
        select 1 from {{ s.marts }}.invoices as issued
        where issued.contract_code = cycles.contract_code
          and issued.trigger_type = 'retainer'
          and issued.period_start <= cycles.period_end
          and issued.period_end >= cycles.period_start
      )
),

overages as (
    select
        cycles.*,
        lead(cycles.period) over (partition by cycles.contract_code order by cycles.period_start)
            as next_period
    from {{ s.build }}.int_retainer_periods as cycles
),

overage_lines as (
    select
        case when overages.has_next
            then overages.contract_code || ':retainer:' || overages.next_period
            else overages.contract_code || ':overage:' || overages.period
        end as draft_key,
        overages.contract_code,
        case when overages.has_next then 'retainer' else 'overage' end as trigger_type,
        case when overages.has_next then overages.next_period else overages.period end as trigger_id,
        overages.period_start,
        overages.period_end,
        overages.period_end as trigger_date,
        'overage' as line_type,
        'Hours beyond the allocation, ' || overages.period as description,
        cast(null as text) as person_id,
        cast(null as text) as task_id,
        cast(overages.overage_minutes as bigint) as minutes,
        {{ money.hours('overages.overage_minutes') }} as quantity,
        {{ money.from_minor('overages.overage_rate_minor', 'overages.unit') }} as unit_price,
        overages.overage_minor as amount_minor,
        false as tax_inclusive,
        cast(null as bigint) as rate_minor,
        overages.period as reference,
        overages.unit
    from overages
    where overages.overage_minutes > 0
      and overages.overage_minor > 0
      and overages.has_ended
      and (not overages.has_next or overages.next_period is not null)
),

all_triggered as (
    select * from time_lines
    union all
    select * from milestone_lines
    union all
    select * from installment_lines
    union all
    select * from retainer_lines
    union all
    select * from overage_lines
),

triggered as (
    select *
    from all_triggered
    where draft_key not in (select draft_key from {{ s.marts }}.invoices)
),

issued_change_orders as (
    select distinct record_id
    from {{ s.marts }}.invoice_line_sources
    where source = 'hubspot' and stream = 'deals'
),

hosts as (
    select draft_key, min(trigger_type) as trigger_type, min(trigger_id) as trigger_id,
        min(period_start) as period_start, max(period_end) as period_end,
        max(trigger_date) as trigger_date
    from triggered
    group by draft_key
),

{#- the draft a change order or an adjustment rides on: the contract's time draft if it has
    one (adjustments are time), else its first by key #}
first_drafts as (
    select contract_code, draft_key
    from (
        select
            contract_code,
            draft_key,
            row_number() over (
                partition by contract_code
                order by case when trigger_type = 'time' then 0 else 1 end,
                    {{ d.sort_key('draft_key') }}
            ) as rank
        from (select distinct contract_code, draft_key, trigger_type from triggered) as drafts
    ) as ranked
    where rank = 1
),

pending_change_orders as (
    select
        orders.*,
        {{ pending.draft_key(as_of, 'orders.approved_on',
            "orders.contract_code || ':change_order:' || orders.change_order_id") }} as draft_key
    from {{ s.build }}.int_change_orders as orders
    inner join contracts on contracts.contract_code = orders.contract_code
    left join first_drafts on first_drafts.contract_code = orders.contract_code
    where orders.change_order_id not in (select record_id from issued_change_orders)
      and contracts.is_signed and contracts.is_open
),

change_order_lines as (
    select
        pending.draft_key,
        pending.contract_code,
        {{ pending.trigger('change_order', 'pending.change_order_id', 'pending.approved_on') }},
        'change_order' as line_type,
        'Change order: ' || pending.deal_name as description,
        cast(null as text) as person_id,
        cast(null as text) as task_id,
        cast(null as bigint) as minutes,
        cast(1 as decimal(12,2)) as quantity,
        {{ money.from_minor('pending.amount_minor', 'pending.unit') }} as unit_price,
        pending.amount_minor,
        true as tax_inclusive,
        cast(null as bigint) as rate_minor,
        pending.change_order_id as reference,
        pending.unit
    from pending_change_orders as pending
    left join hosts as host on host.draft_key = pending.draft_key
    where pending.draft_key is not null
),

pending_adjustments as (
    select
        adjustments.*,
        {{ pending.draft_key(as_of, 'adjustments.detected_on',
            "adjustments.contract_code || ':adjustment:' || adjustments.adjusted_invoice") }}
            as draft_key
    from {{ s.build }}.int_adjustments as adjustments
    left join first_drafts on first_drafts.contract_code = adjustments.contract_code
),

adjustment_lines as (
    select
        pending.draft_key,
        pending.contract_code,
        {{ pending.trigger('adjustment', 'pending.adjusted_invoice', 'pending.detected_on') }},
        'adjustment' as line_type,
        'Adjustment to ' || pending.adjusted_invoice || ': '
            || coalesce(
                names.name,
                case pending.rate_basis when 'task' then 'Task ' else 'Person ' end
                    || pending.rated_id
            )
            || case when pending.delta_minutes > 0 then ', time added' else ', time removed' end
            as description,
        case when pending.rate_basis = 'person' then pending.rated_id end as person_id,
        case when pending.rate_basis = 'task' then pending.rated_id end as task_id,
        cast(pending.delta_minutes as bigint) as minutes,
        {{ money.hours('pending.delta_minutes') }} as quantity,
        {{ money.from_minor('coalesce(pending.rate_minor, 0)', 'pending.unit') }} as unit_price,
        coalesce(pending.amount_minor, 0) as amount_minor,
        false as tax_inclusive,
        cast(pending.rate_minor as bigint) as rate_minor,
        pending.adjusted_invoice as reference,
        pending.unit
    from pending_adjustments as pending
    left join hosts as host on host.draft_key = pending.draft_key
    left join {{ s.build }}.int_timesheet_names as names
        on names.kind = pending.rate_basis and names.id = pending.rated_id
    where pending.draft_key is not null
),

{#- late fees ride on the contract's next draft; one that finds none within
    pending_item_days of its assessment goes on its own draft #}
pending_late_fees as (
    select
        fees.*,
        {{ pending.draft_key(as_of, 'fees.assessed_on',
            "fees.contract_code || ':late_fee:' || fees.reference") }} as draft_key
    from {{ s.build }}.int_late_fees as fees
    left join first_drafts on first_drafts.contract_code = fees.contract_code
),

late_fee_lines as (
    select
        pending.draft_key,
        pending.contract_code,
        {{ pending.trigger('late_fee', 'pending.reference', 'pending.assessed_on') }},
        'late_fee' as line_type,
        'Late fee: ' || cast(cast(pending.late_fee_pct as decimal(9,2)) as text) || '% of '
            || {{ money.as_text('pending.overdue_balance', 'pending.minor_factor') }}
            || ' overdue on ' || pending.overdue_invoice || ', '
            || cast(pending.assessed_on - pending.due_date as text) || ' days past due on '
            || cast(pending.assessed_on as text) as description,
        cast(null as text) as person_id,
        cast(null as text) as task_id,
        cast(null as bigint) as minutes,
        cast(1 as decimal(12,2)) as quantity,
        {{ money.from_minor('pending.amount_minor', 'pending.unit') }} as unit_price,
        pending.amount_minor,
        false as tax_inclusive,
        cast(null as bigint) as rate_minor,
        pending.reference,
        pending.unit
    from pending_late_fees as pending
    left join hosts as host on host.draft_key = pending.draft_key
    where pending.draft_key is not null and pending.amount_minor > 0
),

lines as (
    select * from triggered
    union all
    select * from change_order_lines
    union all
    select * from adjustment_lines
    union all
    select * from late_fee_lines
),

final as (
    select
        lines.*,
        {{ money.from_minor('lines.amount_minor', 'lines.unit') }} as amount,
        cast(row_number() over (
            partition by lines.draft_key
            order by
                case lines.line_type
                    when 'installment' then 1 when 'milestone' then 2 when 'milestone_partial' then 3
                    when 'deliverable' then 4 when 'retainer' then 5 when 'overage' then 6
                    when 'time' then 7 when 'change_order' then 8 when 'late_fee' then 10
                    else 9 end,
                {{ d.sort_key('lines.description') }}, {{ d.sort_key('lines.person_id') }},
                {{ d.sort_key('lines.task_id') }}, lines.unit_price, {{ d.sort_key('lines.reference') }}
        ) as integer) as line_no
    from lines
)

select * from final
