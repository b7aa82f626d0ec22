{#- HubSpot deals typed; the contract flag follows the configured pipeline and stage. -#}
with deals as (
    select record_id, r, r->'properties' as p
    from {{ versions.latest('hubspot', 'deals') }} as latest
    where coalesce(r->>'archived', 'false') <> 'true'
),

contract_stage as (
    select display_order
    from {{ s.staging }}.stg_hubspot__deal_stages
    where pipeline_id = '{{ cfg.contract_pipeline_id }}' and stage_id = '{{ cfg.contract_stage_id }}'
),

typed as (
    select
        deals.record_id as deal_id,
        p->>'dealname' as deal_name,
        p->>'amount' as amount_text,
        {{ parse.decimal("p->>'amount'") }} as amount,
        upper(coalesce(p->>'deal_currency_code', '{{ cfg.default_currency }}')) as currency,
        p->>'pipeline' as pipeline_id,
        p->>'dealstage' as stage_id,
        {{ parse.local_date("p->>'createdate'") }} as created_date,
        {{ parse.hubspot_date("p->>'closedate'") }} as close_date,
        p->>'hubspot_owner_id' as owner_id,
        lower(p->>'billing_model') as billing_model,
        p->>'billing_project_id' as project_id,
        p->>'billing_terms_days' as terms_text,
        {{ parse.integer("p->>'billing_terms_days'") }} as terms_days,
        p->>'billing_tax_rate' as tax_rate_text,
        {{ parse.decimal("p->>'billing_tax_rate'", 'decimal(9,6)') }} as tax_rate,
        nullif(p->>'billing_po_number', '') as po_number,
        {#- a closed-won deal without a signing date was signed when it closed -#}
        coalesce(
            {{ parse.hubspot_date("p->>'billing_signed_date'") }},
            case when stages.is_closed and stages.probability >= 1
                then {{ parse.hubspot_date("p->>'closedate'") }} end
        ) as signed_date,
        {{ parse.hubspot_date("p->>'billing_effective_date'") }} as effective_date,
        coalesce(nullif(p->>'billing_contract_code', ''), 'C-' || deals.record_id) as contract_code,
        {{ parse.integer("p->>'billing_hours_tolerance_minutes'") }} as hours_tolerance_minutes,
        coalesce(
            stages.display_order >= (select display_order from contract_stage)
            and p->>'pipeline' = '{{ cfg.contract_pipeline_id }}'
            and not (stages.is_closed and stages.probability = 0),
            false
        ) as is_contract
    from deals
    left join {{ s.staging }}.stg_hubspot__deal_stages as stages
        on stages.pipeline_id = deals.p->>'pipeline' and stages.stage_id = deals.p->>'dealstage'
),

checked as (
    select
        typed.*,
        case
            when created_date is null then 'bad_created_date'
            when amount_text is not null and (amount is null or not {{ parse.has_places('amount_text', 3) }})
                then 'bad_amount'
            when currencies.code is null then 'unknown_currency'
            when tax_rate_text is not null
                and (tax_rate is null or tax_rate < 0 or tax_rate >= 1 or not {{ parse.has_places('tax_rate_text', 6) }})
                then 'bad_tax_rate'
            when terms_text is not null and (terms_days is null or terms_days < 0) then 'bad_terms'
            when not is_contract then null
            when billing_model is null or billing_model not in ('time_and_materials', 'milestone')
                then 'unknown_billing_model'
            when project_id is null or project_id = '' then 'missing_project'
        end as base_rule
    from typed
    left join {{ s.staging }}.currencies as currencies on currencies.code = typed.currency
),

{#- One contract per project and per code: the earliest deal keeps it, later ones are quarantined. -#}
ranked as (
    select
        checked.*,
        case when is_contract and base_rule is null then row_number() over (
            partition by is_contract and base_rule is null, project_id
            order by created_date, length(deal_id), deal_id
        ) end as project_rank,
        case when is_contract and base_rule is null then row_number() over (
            partition by is_contract and base_rule is null, contract_code
            order by created_date, length(deal_id), deal_id
        ) end as code_rank
    from checked
),

final as (
    select
        deal_id, deal_name, amount, currency, pipeline_id, stage_id, created_date, close_date,
        owner_id, billing_model, project_id, terms_days, tax_rate, po_number, signed_date,
        effective_date, contract_code, hours_tolerance_minutes, is_contract,
        case
            when base_rule is not null then base_rule
            when code_rank > 1 then 'duplicate_contract_code'
            when project_rank > 1 then 'project_already_contracted'
        end as _rule
    from ranked
)

select * from final
