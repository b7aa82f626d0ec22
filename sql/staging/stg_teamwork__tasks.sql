with final as (
    select
        record_id as task_id,
        r->>'name' as task_name,
        coalesce(r->>'tasklistId', r->'tasklist'->>'id') as tasklist_id,
        r->>'status' as status,
        {{ parse.integer("r->>'progress'") }} as progress,
        {{ parse.integer("r->>'estimateMinutes'") }} as estimate_minutes,
        {{ parse.local_date("r->>'completedAt'") }} as completed_date,
        cast(null as text) as _rule
    from {{ versions.latest('teamwork', 'tasks') }} as latest
    where coalesce(r->>'status', '') <> 'deleted'
)

select * from final
