with final as (
    select
        record_id as person_id,
        trim(coalesce(r->>'firstName', '') || ' ' || coalesce(r->>'lastName', '')) as person_name,
        r->>'email' as email,
        {{ parse.integer("r->>'userCost'") }} as cost_rate_minor,
        cast(null as text) as _rule
    from {{ versions.latest('teamwork', 'people') }} as latest
)

select * from final
