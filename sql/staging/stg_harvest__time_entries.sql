{#- Harvest v2 time entries typed to the columns of stg_teamwork__time_entries (docs/sources.md,
    Harvest). Ids are prefixed `harvest:` (project, person, task) so they never meet Teamwork's;
    the entry id stays Harvest's own, its source telling it apart. `hours` (decimal hours, read
    as DECIMAL from the JSON text, never through a float) x 60, half-up to whole minutes. The
    rate is the entry's own `billable_rate`, in the contract currency. A running timer is typed
    but not checked: it is not billed until it stops (int_time_entries: timer_running). #}
with entries as (
    select record_id, r
    from {{ versions.latest('harvest', 'time_entries') }} as latest
),

typed as (
    select
        record_id as entry_id,
        'harvest:' || (r->'project'->>'id') as project_id,
        'harvest:' || (r->'user'->>'id') as person_id,
        'harvest:' || (r->'task'->>'id') as task_id,
        cast(round({{ parse.decimal("r->>'hours'", 'decimal(18,6)') }} * 60, 0) as bigint) as minutes,
        coalesce(r->>'billable', 'false') = 'true' as is_billable,
        {{ parse.iso_date("r->>'spent_date'") }} as entry_date,
        r->>'notes' as description,
        {{ parse.local_date("r->>'created_at'") }} as created_on,
        {{ parse.local_date("r->>'updated_at'") }} as updated_on,
        coalesce(r->>'is_running', 'false') = 'true' as is_running,
        coalesce(r->>'is_billed', 'false') = 'true' as is_billed,
        {{ parse.decimal("r->>'hours'", 'decimal(18,6)') }} as hours,
        {{ parse.decimal("r->>'billable_rate'") }} as billable_rate,
        r->>'billable_rate' as billable_rate_text,
        r->'user'->>'name' as person_name,
        r->'task'->>'name' as task_name,
        r->'project'->>'name' as project_name
    from entries
),

final as (
    select
        entry_id, project_id, person_id, task_id, minutes, is_billable, entry_date, description,
        created_on, updated_on,
        greatest(coalesce(created_on, entry_date), entry_date) as known_on,
        is_running, is_billed, hours, billable_rate, person_name, task_name, project_name,
        case
            when project_id is null then 'missing_project'
            when person_id is null then 'missing_person'
            when entry_date is null then 'bad_date'
            when entry_date > {{ as_of }} or created_on > {{ as_of }} then null
            when is_running then null
            when minutes is null or minutes <= 0 then 'minutes_not_positive'
            when minutes > 1440 then 'minutes_over_a_day'
            when billable_rate_text is not null
                and (billable_rate is null or billable_rate < 0
                     or not {{ parse.has_places('billable_rate_text', 3) }})
                then 'bad_rate'
        end as _rule
    from typed
)

select * from final
