{#-
  Cost visibility: every effective hour logged on a project, billable or not, per month and
  person, priced at the person's cost rate (Teamwork userCost). Non-billable time never
  reaches an invoice line; it is counted here. Harvest time is counted too (ids harvest:<id>,
  names from its entries); Harvest's cost_rate is not read, so its cost is null.
#}
with entries as (
    select
        entries.project_id,
        {{ d.year_month('entries.entry_date') }} as period,
        entries.person_id,
        sum(case when entries.is_billable then entries.minutes else 0 end) as billable_minutes,
        sum(case when entries.is_billable then 0 else entries.minutes end) as non_billable_minutes
    from {{ s.build }}.int_timesheet_entries as entries
    where entries._rule is null and entries.known_on <= {{ as_of }}
    group by entries.project_id, {{ d.year_month('entries.entry_date') }}, entries.person_id
),

final as (
    select
        entries.project_id,
        coalesce(projects.project_name, project_names.name) as project_name,
        contracts.contract_code,
        entries.period,
        entries.person_id,
        coalesce(people.person_name, person_names.name, 'Person ' || entries.person_id) as person_name,
        {{ money.hours('entries.billable_minutes') }} as billable_hours,
        {{ money.hours('entries.non_billable_minutes') }} as non_billable_hours,
        coalesce(contracts.currency, '{{ cfg.default_currency }}') as currency,
        {{ money.from_minor('people.cost_rate_minor', 'coalesce(contracts.unit, currencies.unit)') }} as cost_rate,
        {{ money.from_minor(money.time_amount_minor('entries.billable_minutes + entries.non_billable_minutes', 'people.cost_rate_minor'), 'coalesce(contracts.unit, currencies.unit)') }}
            as cost,
        {{ as_of }} as as_of
    from entries
    left join {{ s.staging }}.stg_teamwork__projects as projects on projects.project_id = entries.project_id
    left join {{ s.build }}.int_contracts as contracts on contracts.project_id = entries.project_id
    left join {{ s.staging }}.stg_teamwork__people as people on people.person_id = entries.person_id
    left join {{ s.build }}.int_timesheet_names as person_names
        on person_names.kind = 'person' and person_names.id = entries.person_id
    left join {{ s.build }}.int_timesheet_names as project_names
        on project_names.kind = 'project' and project_names.id = entries.project_id
    left join {{ s.staging }}.currencies as currencies on currencies.code = '{{ cfg.default_currency }}'
)

select * from final
