with final as (
    select
        record_id as milestone_id,
        r->>'name' as milestone_name,
        coalesce(r->>'projectId', r->'project'->>'id') as project_id,
        coalesce(r->>'completed', 'false') = 'true' as is_completed,
        {{ parse.local_date("r->>'completedOn'") }} as completed_date,
        {{ parse.local_date("r->>'deadline'") }} as deadline,
        cast(null as text) as _rule
    from {{ versions.latest('teamwork', 'milestones') }} as latest
    where r->>'deletedOn' is null and coalesce(r->>'status', '') <> 'deleted'
)

select * from final
