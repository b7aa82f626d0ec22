{#- Teamwork timelogs typed. The entry date: see docs/sources.md (hasStartTime). `known_on` is
    the day it was entered (createdAt, in the company time zone): a run does not see an entry
    before that day, so an entry entered after its period was invoiced is a late edit, and a
    rerun of a past as_of sees what that day saw. #}
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
        r->>'description' as description,
        {{ parse.local_date("coalesce(r->>'createdAt', r->>'dateCreated')") }} as created_on,
        {{ parse.local_date("r->>'updatedAt'") }} as updated_on
    from entries
),

final as (
    select
        typed.*,
        greatest(coalesce(created_on, entry_date), entry_date) as known_on,
        case
            when project_id is null then 'missing_project'
            when person_id is null then 'missing_person'
            when entry_date is null then 'bad_date'
            when entry_date > {{ as_of }} or created_on > {{ as_of }} then null
            when minutes is null or minutes <= 0 then 'minutes_not_positive'
            when minutes > 1440 then 'minutes_over_a_day'
        end as _rule
    from typed
)

select * from final
