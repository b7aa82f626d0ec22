{#-
  Every staged time entry with its billing period (the contract's cycle), its rate (the
  task's billing:rate, else the person's project rate), the draft it belongs to, and where it
  goes (disposition; docs/decisions.md lists them):
    on_invoice, not_yet_effective, non_billable, no_contract, before_effective_date,
    contract_not_signed, contract_closed, fixed_fee, retainer, waiting_for_milestone,
    after_issue, over_cap, open_period, unpriced, billable
  `billable_minutes` is what the draft prices: the minutes, less any beyond the hours cap.
-#}
with invoiced as (
    select distinct record_id as entry_id
    from {{ s.marts }}.invoice_line_sources
    where source = 'teamwork' and stream = 'time'
),

task_rates as (
    select links.task_id, max(tags.hourly_rate) as hourly_rate
    from {{ s.staging }}.stg_teamwork__task_tags as links
    inner join {{ s.staging }}.stg_teamwork__tags as tags on tags.tag_id = links.tag_id
    where tags.hourly_rate is not null
    group by links.task_id
),

milestone_tasks as (
    select tasks.task_id, min(lists.milestone_id) as milestone_id
    from {{ s.staging }}.stg_teamwork__milestone_tasklists as lists
    inner join {{ s.staging }}.stg_teamwork__tasks as tasks on tasks.tasklist_id = lists.tasklist_id
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
        contracts.cap_minutes,
        {{ periods.first_day('entries.entry_date', 'contracts.billing_cycle', 'contracts.cycle_anchor') }}
            as period_start,
        coalesce(
            {{ money.round_to_minor('task_rates.hourly_rate', 'contracts.minor_factor') }},
            rates.rate_minor
        ) as rate_minor,
        case when task_rates.hourly_rate is not null then 'task' else 'person' end as rate_basis,
        case when contracts.billing_model = 'hybrid' then milestone_tasks.milestone_id end
            as milestone_id,
        invoiced.entry_id is not null as is_invoiced
    from {{ s.staging }}.stg_teamwork__time_entries as entries
    left join {{ s.build }}.int_contracts as contracts on contracts.project_id = entries.project_id
    left join {{ s.staging }}.stg_teamwork__rates as rates
        on rates.project_id = entries.project_id and rates.person_id = entries.person_id
    left join task_rates on task_rates.task_id = entries.task_id
    left join milestone_tasks on milestone_tasks.task_id = entries.task_id
    left join invoiced on invoiced.entry_id = entries.entry_id
),

{#- hours caps: minutes count toward the cap in the order they were worked -#}
capped as (
    select
        entries.*,
        coalesce(sum(case when is_billable and entry_date <= {{ as_of }} then minutes else 0 end) over (
            partition by contract_code
            order by entry_date, length(entry_id), entry_id
            rows between unbounded preceding and 1 preceding
        ), 0) as minutes_before
    from entries
),

periods as (
    select
        capped.*,
        {{ periods.last_day('period_start', 'billing_cycle') }} as period_end,
        {{ periods.id('period_start', 'billing_cycle') }} as period,
        case
            when cap_minutes is null then minutes
            else greatest(least(minutes, cap_minutes - minutes_before), 0)
        end as billable_minutes,
        case when cap_minutes is not null and minutes_before + minutes >= cap_minutes
             and minutes_before < cap_minutes then entry_date end as cap_reached_on
    from capped
),

keyed as (
    select
        periods.*,
        case
            when pending_milestones.draft_key is not null then pending_milestones.draft_key
            else contract_code || ':time:' || period
        end as draft_key,
        {#- a period bills once it has ended, or at once when the hours cap is reached in it -#}
        coalesce(
            period_end < {{ as_of }}
            or max(cap_reached_on) over (partition by contract_code, period) <= {{ as_of }},
            false
        ) as period_closed,
        least(
            period_end,
            coalesce(max(cap_reached_on) over (partition by contract_code, period), period_end)
        ) as trigger_date
    from periods
    left join pending_milestones on pending_milestones.milestone_id = periods.milestone_id
),

final as (
    select
        keyed.*,
        case
            when is_invoiced then 'on_invoice'
            when entry_date > {{ as_of }} then 'not_yet_effective'
            when not is_billable then 'non_billable'
            when contract_code is null then 'no_contract'
            when entry_date < billing_starts then 'before_effective_date'
            when not is_open then 'contract_closed'
            when not is_signed then 'contract_not_signed'
            when billing_model in ('milestone', 'installments') then 'fixed_fee'
            when billing_model = 'retainer' then 'retainer'
            when milestone_id is not null and draft_key not like '%:milestone:%'
                then 'waiting_for_milestone'
            when billable_minutes = 0 then 'over_cap'
            when draft_key in (select draft_key from {{ s.marts }}.invoices) then 'after_issue'
            when milestone_id is null and not period_closed then 'open_period'
            when rate_minor is null then 'unpriced'
            else 'billable'
        end as disposition
    from keyed
)

select * from final
