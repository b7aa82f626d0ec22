{#-
  The name of every person, task and project time is logged by or on, for invoice lines and
  reports: Teamwork's from its people, tasks and projects; Harvest's from the newest time
  entry that names them (Harvest entries carry the names; their ids are prefixed harvest:).
#}
with harvest_named as (
    select 'person' as kind, person_id as id, person_name as name, updated_on, entry_id
    from {{ s.build }}.int_timesheet_entries
    where source = 'harvest' and person_id is not null and person_name is not null
    union all
    select 'task', task_id, task_name, updated_on, entry_id
    from {{ s.build }}.int_timesheet_entries
    where source = 'harvest' and task_id is not null and task_name is not null
    union all
    select 'project', project_id, project_name, updated_on, entry_id
    from {{ s.build }}.int_timesheet_entries
    where source = 'harvest' and project_id is not null and project_name is not null
),

harvest_names as (
    select kind, id, name
    from (
        select
            harvest_named.*,
            row_number() over (
                partition by kind, id
                order by updated_on desc nulls last, length(entry_id) desc,
                    {{ d.sort_key('entry_id') }} desc
            ) as newest
        from harvest_named
    ) as ranked
    where newest = 1
),

final as (
    select 'person' as kind, person_id as id, person_name as name
    from {{ s.staging }}.stg_teamwork__people
    union all
    select 'task', task_id, task_name
    from {{ s.staging }}.stg_teamwork__tasks
    union all
    select 'project', project_id, project_name
    from {{ s.staging }}.stg_teamwork__projects
    union all
    select kind, id, name from harvest_names
)

select * from final
