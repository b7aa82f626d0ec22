with final as (
    select
        record_id as owner_id,
        trim(coalesce(r->>'firstName', '') || ' ' || coalesce(r->>'lastName', '')) as owner_name,
        r->>'email' as email,
        cast(null as text) as _rule
    from {{ versions.latest('hubspot', 'owners') }} as latest
)

select * from final
