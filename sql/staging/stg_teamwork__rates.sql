{#- Person rates per project, integer minor units per hour; the project id is in the page name. -#}
with final as (
    select
        {{ d.regexp_group('page', 'project_([0-9]+)') }} as project_id,
        r->'user'->>'id' as person_id,
        {{ parse.integer("r->>'effectiveRate'") }} as rate_minor,
        case
            when {{ parse.integer("r->>'effectiveRate'") }} is null
                or {{ parse.integer("r->>'effectiveRate'") }} < 0 then 'bad_rate'
        end as _rule,
        record_id
    from {{ raw.latest('teamwork', 'rates') }} as latest
)

select * from final
