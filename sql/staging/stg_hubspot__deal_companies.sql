{#-
  A deal's client. Candidates come from the association batch reads, and from the deal pages
  themselves when they were listed with `associations=companies`. The primary company
  (typeId 5, or type deal_to_company) wins, else the lowest company id.
#}
with targets as (
    select record_id as deal_id, {{ d.json_elements("r->'to'") }} as target
    from {{ versions.latest('hubspot', 'deal_companies') }} as latest
),

batch_read as (
    select deal_id, {{ d.json_scalar_text("target->'toObjectId'") }} as company_id, target
    from targets
),

association_types as (
    select deal_id, company_id, {{ d.json_elements("target->'associationTypes'") }} as association
    from batch_read
),

batch_primaries as (
    select distinct deal_id, company_id
    from association_types
    where association->>'typeId' = '5'
),

embedded as (
    select
        record_id as deal_id,
        {{ d.json_elements("r->'associations'->'companies'->'results'") }} as association
    from {{ versions.latest('hubspot', 'deals') }} as latest
),

candidates as (
    select
        batch_read.deal_id,
        batch_read.company_id,
        batch_primaries.company_id is not null as is_primary
    from batch_read
    left join batch_primaries
        on batch_primaries.deal_id = batch_read.deal_id
        and batch_primaries.company_id = batch_read.company_id
    union all
    select
        deal_id,
        association->>'id' as company_id,
        association->>'type' = 'deal_to_company' as is_primary
    from embedded
),

ranked as (
    select
        deal_id,
        company_id,
        row_number() over (
            partition by deal_id
            order by case when is_primary then 0 else 1 end, length(company_id), company_id
        ) as preference
    from candidates
    where company_id is not null
),

final as (
    select deal_id, company_id, cast(null as text) as _rule
    from ranked
    where preference = 1
)

select * from final
