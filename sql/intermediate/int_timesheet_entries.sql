{#-
  Every time entry of every timesheet source, typed and checked (`_rule` is the quarantine
  rule it breaks, null when it is clean), one row per (source, stream, entry_id): Teamwork
  timelogs and Harvest time entries in the same columns. What differs by source:
    own_rate     Harvest: the entry's billable_rate (decimal, the contract currency); it prices
                 the entry instead of the project's person or task rates. Teamwork: null.
    is_running   Harvest: a timer still running (not billed until it stops). Teamwork: false.
    is_billed_elsewhere  Harvest: the entry is on an invoice made in Harvest. Teamwork: false.
    person_name, task_name, project_name  Harvest: the names the entry carries. Teamwork: null
                 (they come from Teamwork's people, tasks and projects).
#}
with teamwork as (
    select
        'teamwork' as source,
        'time' as stream,
        entry_id, project_id, person_id, task_id, minutes, is_billable, entry_date, description,
        created_on, updated_on, known_on,
        cast(null as decimal(18,3)) as own_rate,
        false as is_running,
        false as is_billed_elsewhere,
        cast(null as text) as person_name,
        cast(null as text) as task_name,
        cast(null as text) as project_name,
        _rule
    from {{ s.staging }}.stg_teamwork__time_entries__checked
),

harvest as (
    select
        'harvest' as source,
        'time_entries' as stream,
        entry_id, project_id, person_id, task_id, minutes, is_billable, entry_date, description,
        created_on, updated_on, known_on,
        cast(billable_rate as decimal(18,3)) as own_rate,
        is_running,
        is_billed as is_billed_elsewhere,
        person_name,
        task_name,
        project_name,
        _rule
    from {{ s.staging }}.stg_harvest__time_entries__checked
),

final as (
    select * from teamwork
    union all
    select * from harvest
)

select * from final
