with final as (
    select
        record_id as company_id,
        r->'properties'->>'name' as company_name,
        cast(null as text) as _rule
    from {{ versions.latest('hubspot', 'companies') }} as latest
    where coalesce(r->>'archived', 'false') <> 'true'
)

select * from final
