with final as (
    select
        record_id as event_id,
        r->>'type' as event_type,
        {{ parse.integer("r->>'created'") }} as created_epoch,
        cast(to_timestamp({{ parse.integer("r->>'created'") }}) as date) as event_date,
        coalesce(r->>'livemode', 'false') = 'true' as is_live,
        cast(null as text) as _rule
    from {{ versions.latest('stripe', 'events') }} as latest
)

select * from final
