{#-
  Every staged time entry of every timesheet source (Teamwork, Harvest: int_timesheet_entries),
  keyed by (source, stream, entry_id), with its billing period (the contract's cycle), its rate
  (Teamwork: the task's billing:rate, else the person's project rate; Harvest: the entry's own
  billable_rate, `own_rate_minor`), the draft it belongs to, and where it goes (disposition;
  docs/decisions.md lists them):
    on_invoice, not_yet_effective, timer_running, non_billable, invoiced_in_harvest,
    no_contract, before_effective_date, contract_closed, contract_not_signed, fixed_fee,
    outside_retainer, retainer, waiting_for_milestone, over_cap, late_edit, open_period,
    unpriced, billable
  `billable_minutes` is what the draft (or, for a late edit, the adjustment) prices: the
  minutes, less any beyond the hours cap. The cap is used by the minutes already invoiced,
  then by the entries still to bill (late edits included) in the order they were worked;
  minutes that are never billed do not use it.
#}
with issued_keys as (
    select draft_key from {{ s.marts }}.invoices
),

invoiced as (
    select distinct source, stream, record_id as entry_id
    from {{ s.marts }}.invoice_line_sources
    where {{ timesheets.is_time('source', 'stream') }}
),

{#- the minutes each entry gave the time and adjustment lines it is on #}
billed_entries as (
    select sources.source, sources.stream, sources.record_id as entry_id,
        sum(sources.minutes) as minutes
    from {{ s.marts }}.invoice_line_sources as sources
    inner join {{ s.marts }}.invoice_lines as lines
        on lines.invoice_number = sources.invoice_number and lines.line_no = sources.line_no
    where {{ timesheets.is_time('sources.source', 'sources.stream') }}
      and lines.line_type in ('time', 'adjustment')
    group by sources.source, sources.stream, sources.record_id
),

invoiced_minutes as (
    select
        invoices.contract_code,
        sum(case when lines.line_type = 'credit' then -lines.minutes else lines.minutes end) as minutes
    from {{ s.marts }}.invoice_lines as lines
    inner join {{ s.marts }}.invoices as invoices on invoices.invoice_number = lines.invoice_number
    where lines.line_type in ('time', 'adjustment', 'credit') and lines.minutes is not null
    group by invoices.contract_code
),

task_rates as (
    select links.task_id, max(tags.hourly_rate) as hourly_rate
    from {{ s.staging }}.stg_teamwork__task_tags as links
    inner join {{ s.staging }}.stg_teamwork__tags as tags on tags.tag_id = links.tag_id
    where tags.hourly_rate is not null
    group by links.task_id
),

{#- a hybrid contract's time waits for the milestone of its task until that milestone is billed #}
milestone_tasks as (
    select tasks.task_id, min(lists.milestone_id) as milestone_id
    from {{ s.staging }}.stg_teamwork__milestone_tasklists as lists
    inner join {{ s.staging }}.stg_teamwork__tasks as tasks on tasks.tasklist_id = lists.tasklist_id
    inner join {{ s.build }}.int_milestone_progress as milestones
        on milestones.milestone_id = lists.milestone_id
    where not milestones.is_deliverable
      and milestones.contract_code || ':milestone:' || milestones.milestone_id
          not in (select draft_key from issued_keys)
    group by tasks.task_id
),

pending_milestones as (
    select milestone_id, min(draft_key) as draft_key
    from {{ s.build }}.int_milestone_drafts
    where kind in ('milestone', 'milestone_partial')
    group by milestone_id
),

entries as (
    select
        entries.*,
        contracts.contract_code,
        contracts.billing_model,
        contracts.billing_cycle,
        contracts.is_signed,
        contracts.is_open,
        contracts.billing_starts,
        contracts.cycle_anchor,
        contracts.end_date,
        contracts.cap_minutes,
        {{ periods.first_day('entries.entry_date', 'contracts.billing_cycle', 'contracts.cycle_anchor') }}
            as period_start,
        {#- a Harvest entry carries its rate; Teamwork's come from the task or the project #}
        {{ money.round_to_minor('entries.own_rate', 'contracts.minor_factor') }} as own_rate_minor,
        case
            when entries.source = 'harvest'
                then {{ money.round_to_minor('entries.own_rate', 'contracts.minor_factor') }}
            else coalesce(
                {{ money.round_to_minor('task_rates.hourly_rate', 'contracts.minor_factor') }},
                rates.rate_minor
            )
        end as rate_minor,
        case when task_rates.hourly_rate is not null and entries.source = 'teamwork'
            then 'task' else 'person' end as rate_basis,
        case when contracts.billing_model = 'hybrid' then milestone_tasks.milestone_id end
            as milestone_id,
        invoiced.entry_id is not null as is_invoiced,
        case when invoiced.entry_id is not null
            then coalesce(billed_entries.minutes, entries.minutes) else 0 end as billed_entry_minutes
    from {{ s.build }}.int_timesheet_entries as entries
    left join {{ s.build }}.int_contracts as contracts on contracts.project_id = entries.project_id
    left join {{ s.staging }}.stg_teamwork__rates as rates
        on rates.project_id = entries.project_id and rates.person_id = entries.person_id
    left join task_rates on task_rates.task_id = entries.task_id
    left join milestone_tasks on milestone_tasks.task_id = entries.task_id
    left join invoiced
        on invoiced.source = entries.source and invoiced.stream = entries.stream
        and invoiced.entry_id = entries.entry_id
    left join billed_entries
        on billed_entries.source = entries.source and billed_entries.stream = entries.stream
        and billed_entries.entry_id = entries.entry_id
    where entries._rule is null
),

periods as (
    select
        entries.*,
        {{ periods.last_day('period_start', 'billing_cycle') }} as period_end,
        {{ periods.id('period_start', 'billing_cycle') }} as period,
        contract_code || ':time:' || {{ periods.id('period_start', 'billing_cycle') }} as time_key,
        case when rate_basis = 'task' then task_id else person_id end as rated_id
    from entries
),

{#- the entries an hours cap is spent on: billable time still to bill (and minutes added to an
    invoiced entry since), in the order worked #}
claims as (
    select
        periods.*,
        case when is_invoiced then greatest(minutes - billed_entry_minutes, 0) else minutes end
            as claim_minutes
    from periods
),

cap_candidates as (
    select
        claims.*,
        cap_minutes is not null
            and is_billable and claim_minutes > 0 and is_signed and is_open
            and not is_running and not is_billed_elsewhere
            and known_on <= {{ as_of }}
            and (billing_starts is null or entry_date >= billing_starts) as spends_cap
    from claims
),

capped as (
    select
        cap_candidates.*,
        coalesce(invoiced_minutes.minutes, 0) as invoiced_cap_minutes,
        coalesce(invoiced_minutes.minutes, 0) + coalesce(sum(
            case when cap_candidates.spends_cap then cap_candidates.claim_minutes else 0 end
        ) over (
            partition by cap_candidates.contract_code
            order by
                cap_candidates.entry_date,
                length(cap_candidates.entry_id),
                {{ d.sort_key('cap_candidates.entry_id') }},
                cap_candidates.source
            rows between unbounded preceding and 1 preceding
        ), 0) as minutes_before
    from cap_candidates
    left join invoiced_minutes on invoiced_minutes.contract_code = cap_candidates.contract_code
),

{#- time logged late, once invoices have used the whole cap, is over it whatever its period #}
exhausted as (
    select
        capped.*,
        coalesce(cap_minutes <= invoiced_cap_minutes and is_billable and not is_invoiced, false)
            as cap_exhausted
    from capped
),

limited as (
    select
        exhausted.*,
        case
            when cap_exhausted then 0
            when is_invoiced and cap_minutes is not null
                then least(minutes, billed_entry_minutes) + case when spends_cap
                    then greatest(least(claim_minutes, cap_minutes - minutes_before), 0) else 0 end
            when not spends_cap then minutes
            else greatest(least(claim_minutes, cap_minutes - minutes_before), 0)
        end as billable_minutes,
        case when spends_cap and minutes_before + claim_minutes >= cap_minutes
                and minutes_before < cap_minutes
            then entry_date end as cap_reached_on
    from exhausted
),

keyed as (
    select
        limited.*,
        coalesce(pending_milestones.draft_key, time_key) as draft_key,
        {#- a period bills once it has ended, or at once when the hours cap is reached in it #}
        coalesce(
            period_end < {{ as_of }}
            or max(cap_reached_on) over (partition by contract_code, period) <= {{ as_of }},
            false
        ) as period_closed,
        least(
            period_end,
            coalesce(max(cap_reached_on) over (partition by contract_code, period), period_end)
        ) as trigger_date
    from limited
    left join pending_milestones on pending_milestones.milestone_id = limited.milestone_id
),

final as (
    select
        keyed.*,
        case
            when is_invoiced then 'on_invoice'
            when known_on > {{ as_of }} then 'not_yet_effective'
            when is_running then 'timer_running'
            when not is_billable then 'non_billable'
            when is_billed_elsewhere then 'invoiced_in_harvest'
            when contract_code is null then 'no_contract'
            when entry_date < billing_starts then 'before_effective_date'
            when not is_open then 'contract_closed'
            when not is_signed then 'contract_not_signed'
            when billing_model in ('milestone', 'installments') then 'fixed_fee'
            when billing_model = 'retainer' and (entry_date < cycle_anchor or entry_date > end_date)
                then 'outside_retainer'
            when billing_model = 'retainer' then 'retainer'
            when milestone_id is not null and draft_key not like '%:milestone:%'
                then 'waiting_for_milestone'
            when (spends_cap or cap_exhausted) and billable_minutes = 0 then 'over_cap'
            when draft_key in (select draft_key from issued_keys) then 'late_edit'
            when milestone_id is null and not period_closed then 'open_period'
            when rate_minor is null then 'unpriced'
            else 'billable'
        end as disposition
    from keyed
)

select * from final
