with final as (
    select
        record_id as project_id,
        r->>'name' as project_name,
        r->>'status' as status,
        coalesce(r->>'companyId', r->'company'->>'id') as tw_company_id,
        {{ parse.local_date("r->>'completedAt'") }} as completed_date,
        cast(null as text) as _rule
    from {{ versions.latest('teamwork', 'projects') }} as latest
    where coalesce(r->>'status', '') <> 'deleted'
)

select * from final
