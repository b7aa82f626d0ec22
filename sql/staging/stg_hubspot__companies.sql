with final as (
    select
        record_id as company_id,
        r->'properties'->>'name' as company_name,
        nullif(r->'properties'->>'address', '') as address,
        nullif(r->'properties'->>'city', '') as city,
        nullif(r->'properties'->>'state', '') as state,
        nullif(r->'properties'->>'zip', '') as zip,
        nullif(r->'properties'->>'country', '') as country,
        nullif(r->'properties'->>'billing_email', '') as billing_email,
        coalesce(lower(r->'properties'->>'billing_requires_po') in ('true', 'yes', '1'), false)
            as requires_po,
        cast(null as text) as _rule
    from {{ versions.latest('hubspot', 'companies') }} as latest
    where coalesce(r->>'archived', 'false') <> 'true'
)

select * from final
