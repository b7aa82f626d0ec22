{#- One row per pipeline stage; stage ids are unique within their pipeline only. #}
with pipelines as (
    select record_id as pipeline_id, r->>'label' as pipeline_label, r
    from {{ versions.latest('hubspot', 'pipelines') }} as p
),

stages as (
    select pipeline_id, pipeline_label, {{ d.json_elements("r->'stages'") }} as stage
    from pipelines
),

final as (
    select
        cast(pipeline_id as text) as pipeline_id,
        pipeline_label,
        stage->>'id' as stage_id,
        stage->>'label' as stage_label,
        {{ parse.integer("stage->>'displayOrder'") }} as display_order,
        {{ parse.decimal("stage->'metadata'->>'probability'", 'decimal(9,6)') }} as probability,
        coalesce(stage->'metadata'->>'isClosed', 'false') = 'true' as is_closed,
        cast(null as text) as _rule
    from stages
)

select * from final
