{#- Task to tag links, from `tagIds` or the `tags` relationship array. #}
with tasks as (
    select record_id as task_id, r
    from {{ versions.latest('teamwork', 'tasks') }} as latest
),

from_ids as (
    select task_id, {{ d.json_elements("r->'tagIds'") }} as tag
    from tasks
),

from_relationships as (
    select task_id, {{ d.json_elements("r->'tags'") }} as tag
    from tasks
),

final as (
    select task_id, {{ d.json_scalar_text('tag') }} as tag_id, cast(null as text) as _rule
    from from_ids
    union
    select task_id, tag->>'id' as tag_id, cast(null as text) as _rule
    from from_relationships
)

select * from final
