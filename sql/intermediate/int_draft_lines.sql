{#-
  Proposed invoice lines, one per draft and line. Time lines: one per person and rate for a
  contract's closed period, amount = half-up(sum of minutes x rate / 60). Milestone lines: the
  completed milestone's value (tax-inclusive, as fixed prices are).
-#}
with time_groups as (
    select
        entries.draft_key,
        entries.contract_code,
        entries.period,
        min(entries.period_start) as period_start,
        min(entries.period_end) as period_end,
        entries.person_id,
        entries.rate_minor,
        sum(entries.minutes) as minutes
    from {{ s.build }}.int_time_entries as entries
    where entries.disposition = 'billable'
    group by entries.draft_key, entries.contract_code, entries.period, entries.person_id, entries.rate_minor
),

time_lines as (
    select
        groups.draft_key,
        groups.contract_code,
        'time' as trigger_type,
        groups.period as trigger_id,
        groups.period_start,
        groups.period_end,
        groups.period_end as trigger_date,
        'time' as line_type,
        coalesce(people.person_name, 'Person ' || groups.person_id) as description,
        groups.person_id,
        groups.minutes,
        {{ money.hours('groups.minutes') }} as quantity,
        {{ money.from_minor('groups.rate_minor', 'contracts.unit') }} as unit_price,
        {{ money.time_amount_minor('groups.minutes', 'groups.rate_minor') }} as amount_minor,
        contracts.unit
    from time_groups as groups
    inner join {{ s.build }}.int_contracts as contracts on contracts.contract_code = groups.contract_code
    left join {{ s.staging }}.stg_teamwork__people as people on people.person_id = groups.person_id
),

milestone_values as (
    select links.milestone_id, max(tags.billing_value) as billing_value
    from {{ s.staging }}.stg_teamwork__milestone_tags as links
    inner join {{ s.staging }}.stg_teamwork__tags as tags on tags.tag_id = links.tag_id
    where tags.billing_value is not null
    group by links.milestone_id
),

milestone_lines as (
    select
        contracts.contract_code || ':milestone:' || milestones.milestone_id as draft_key,
        contracts.contract_code,
        'milestone' as trigger_type,
        milestones.milestone_id as trigger_id,
        milestones.completed_date as period_start,
        milestones.completed_date as period_end,
        milestones.completed_date as trigger_date,
        'milestone' as line_type,
        'Milestone: ' || milestones.milestone_name as description,
        cast(null as text) as person_id,
        cast(null as bigint) as minutes,
        cast(1 as decimal(12,2)) as quantity,
        cast(milestone_values.billing_value as {{ d.money }}) as unit_price,
        {{ money.round_to_minor('milestone_values.billing_value', 'contracts.minor_factor') }} as amount_minor,
        contracts.unit
    from {{ s.staging }}.stg_teamwork__milestones as milestones
    inner join milestone_values on milestone_values.milestone_id = milestones.milestone_id
    inner join {{ s.build }}.int_contracts as contracts on contracts.project_id = milestones.project_id
    where contracts.billing_model = 'milestone'
      and contracts.is_signed
      and milestones.is_completed
      and milestones.completed_date <= {{ as_of }}
      and contracts.contract_code || ':milestone:' || milestones.milestone_id
          not in (select draft_key from {{ s.marts }}.invoices)
),

lines as (
    select * from time_lines
    union all
    select * from milestone_lines
),

final as (
    select
        lines.*,
        {{ money.from_minor('lines.amount_minor', 'lines.unit') }} as amount,
        row_number() over (
            partition by lines.draft_key
            order by lines.description, lines.person_id, lines.unit_price
        ) as line_no
    from lines
)

select * from final
