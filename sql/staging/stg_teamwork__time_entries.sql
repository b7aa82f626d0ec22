{#- Teamwork timelogs typed. The entry date: see docs/sources.md (hasStartTime). #}
with entries as (
    select record_id, r
    from {{ versions.latest('teamwork', 'time') }} as latest
    where coalesce(r->>'deleted', 'false') <> 'true'
),

typed as (
    select
        record_id as entry_id,
        coalesce(r->>'projectId', r->'project'->>'id') as project_id,
        coalesce(r->>'userId', r->'user'->>'id') as person_id,
        coalesce(r->>'taskId', r->'task'->>'id') as task_id,
        {{ parse.integer("r->>'minutes'") }} as minutes,
        coalesce(r->>'isBillable', r->>'billable', 'false') = 'true' as is_billable,
        case
            when coalesce(r->>'hasStartTime', 'false') = 'true'
                then {{ parse.local_date("r->>'timeLogged'") }}
            else {{ parse.utc_date("r->>'timeLogged'") }}
        end as entry_date,
        r->>'description' as description
    from entries
),

final as (
    select
        typed.*,
        case
            when project_id is null then 'missing_project'
            when person_id is null then 'missing_person'
            when entry_date is null then 'bad_date'
            when entry_date > {{ as_of }} then null
            when minutes is null or minutes <= 0 then 'minutes_not_positive'
            when minutes > 1440 then 'minutes_over_a_day'
        end as _rule
    from typed
)

select * from final
