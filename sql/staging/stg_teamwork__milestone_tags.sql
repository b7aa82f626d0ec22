{#- Milestone to tag links, from `tagIds` or the `tags` relationship array. #}
with milestones as (
    select record_id as milestone_id, r
    from {{ versions.latest('teamwork', 'milestones') }} as latest
    where r->>'deletedOn' is null
),

from_ids as (
    select milestone_id, {{ d.json_elements("r->'tagIds'") }} as tag
    from milestones
),

from_relationships as (
    select milestone_id, {{ d.json_elements("r->'tags'") }} as tag
    from milestones
),

final as (
    select milestone_id, {{ d.json_scalar_text('tag') }} as tag_id, cast(null as text) as _rule
    from from_ids
    union
    select milestone_id, tag->>'id' as tag_id, cast(null as text) as _rule
    from from_relationships
)

select * from final
