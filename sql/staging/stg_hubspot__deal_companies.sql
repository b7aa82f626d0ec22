{#- A deal's client: its primary company (association typeId 5), else the lowest company id. -#}
with targets as (
    select record_id as deal_id, {{ d.json_elements("r->'to'") }} as target
    from {{ raw.latest('hubspot', 'deal_companies') }} as latest
),

companies as (
    select deal_id, {{ d.json_scalar_text("target->'toObjectId'") }} as company_id, target
    from targets
),

association_types as (
    select deal_id, company_id, {{ d.json_elements("target->'associationTypes'") }} as association
    from companies
),

primaries as (
    select distinct deal_id, company_id
    from association_types
    where association->>'typeId' = '5'
),

ranked as (
    select
        companies.deal_id,
        companies.company_id,
        row_number() over (
            partition by companies.deal_id
            order by
                case when primaries.company_id is null then 1 else 0 end,
                length(companies.company_id),
                companies.company_id
        ) as preference
    from companies
    left join primaries
        on primaries.deal_id = companies.deal_id and primaries.company_id = companies.company_id
),

final as (
    select deal_id, company_id, cast(null as text) as _rule
    from ranked
    where preference = 1
)

select * from final
