{#- Every status a contract has reached, with when and why (source data or a person's command). #}
with final as (
    select
        contract_code,
        cast(rank as integer) as step,
        from_status,
        status as to_status,
        changed_on,
        cause,
        caused_by,
        actor,
        {{ as_of }} as as_of
    from {{ s.build }}.int_contract_events
)

select * from final
