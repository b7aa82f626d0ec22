{#- Person rates per project, integer minor units per hour. The record key, made at landing
    from the page's file name, is <project id>:<person id>. #}
with final as (
    select
        split_part(record_id, ':', 1) as project_id,
        r->'user'->>'id' as person_id,
        {{ parse.integer("r->>'effectiveRate'") }} as rate_minor,
        case
            when {{ parse.integer("r->>'effectiveRate'") }} is null
                or {{ parse.integer("r->>'effectiveRate'") }} < 0 then 'bad_rate'
        end as _rule,
        record_id
    from {{ versions.latest('teamwork', 'rates') }} as latest
)

select * from final
