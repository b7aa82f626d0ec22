{#- Tags; billing tags (billing:value=12000.00) carry milestone terms, docs/sources.md. -#}
with tags as (
    select
        record_id as tag_id,
        r->>'name' as tag_name,
        coalesce(r->>'projectId', r->'project'->>'id') as project_id,
        lower(r->>'name') as lowered
    from {{ versions.latest('teamwork', 'tags') }} as latest
),

typed as (
    select
        tag_id,
        tag_name,
        project_id,
        case when lowered like 'billing:value=%' then substr(tag_name, 15) end as value_text
    from tags
),

final as (
    select
        tag_id,
        tag_name,
        project_id,
        {{ parse.decimal('value_text') }} as billing_value,
        case
            when value_text is not null
                and ({{ parse.decimal('value_text') }} is null
                     or {{ parse.decimal('value_text') }} < 0
                     or not {{ parse.has_places('value_text', 3) }})
                then 'bad_billing_tag'
        end as _rule
    from typed
)

select * from final
