{#- Milestone to task list links: a milestone's tasks are the tasks of these lists. #}
with milestones as (
    select record_id as milestone_id, r
    from {{ versions.latest('teamwork', 'milestones') }} as latest
    where r->>'deletedOn' is null
),

from_ids as (
    select milestone_id, {{ d.json_elements("r->'tasklistIds'") }} as tasklist
    from milestones
),

from_relationships as (
    select milestone_id, {{ d.json_elements("r->'tasklists'") }} as tasklist
    from milestones
),

final as (
    select milestone_id, {{ d.json_scalar_text('tasklist') }} as tasklist_id, cast(null as text) as _rule
    from from_ids
    union
    select milestone_id, tasklist->>'id' as tasklist_id, cast(null as text) as _rule
    from from_relationships
)

select * from final
