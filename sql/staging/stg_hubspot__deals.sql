{#- HubSpot deals typed: contracts, change orders and pipeline deals, with every billing term. #}
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
        {#- a closed-won deal without a signing date was signed when it closed #}
        coalesce(
            {{ parse.hubspot_date("p->>'billing_signed_date'") }},
            case when stages.is_closed and stages.probability >= 1
                then {{ parse.hubspot_date("p->>'closedate'") }} end
        ) as signed_date,
        {{ parse.hubspot_date("p->>'billing_effective_date'") }} as effective_date,
        coalesce(nullif(p->>'billing_contract_code', ''), 'C-' || deals.record_id) as contract_code,
        {{ parse.integer("p->>'billing_hours_tolerance_minutes'") }} as hours_tolerance_minutes,
        p->>'billing_billed_pct_tolerance' as billed_pct_tolerance_text,
        {{ parse.decimal("p->>'billing_billed_pct_tolerance'", 'decimal(9,4)') }} as billed_pct_tolerance,
        p->>'billing_over_estimate_tolerance_pct' as over_estimate_tolerance_pct_text,
        {{ parse.decimal("p->>'billing_over_estimate_tolerance_pct'", 'decimal(9,4)') }} as over_estimate_tolerance_pct,
        p->>'billing_overage_review_pct' as overage_review_pct_text,
        {{ parse.decimal("p->>'billing_overage_review_pct'", 'decimal(9,4)') }} as overage_review_pct,
        p->>'billing_late_edit_review_pct' as late_edit_review_pct_text,
        p->>'billing_late_fee_pct' as late_fee_pct_text,
        {{ parse.decimal("p->>'billing_late_fee_pct'", 'decimal(9,4)') }} as late_fee_pct,
        p->>'billing_late_fee_grace_days' as late_fee_grace_days_text,
        {{ parse.integer("p->>'billing_late_fee_grace_days'") }} as late_fee_grace_days,
        {{ parse.decimal("p->>'billing_late_edit_review_pct'", 'decimal(9,4)') }} as late_edit_review_pct,
        lower(coalesce(nullif(p->>'billing_cycle', ''), 'monthly')) as billing_cycle,
        p->>'billing_hours_cap' as hours_cap_text,
        {{ parse.decimal("p->>'billing_hours_cap'") }} as hours_cap,
        p->>'billing_hours_estimate' as hours_estimate_text,
        {{ parse.decimal("p->>'billing_hours_estimate'") }} as hours_estimate,
        p->>'billing_retainer_fee' as retainer_fee_text,
        {{ parse.decimal("p->>'billing_retainer_fee'") }} as retainer_fee,
        p->>'billing_retainer_hours' as retainer_hours_text,
        {{ parse.decimal("p->>'billing_retainer_hours'") }} as retainer_hours,
        p->>'billing_overage_rate' as overage_rate_text,
        {{ parse.decimal("p->>'billing_overage_rate'") }} as overage_rate,
        {{ parse.hubspot_date("p->>'billing_end_date'") }} as end_date,
        nullif(p->>'billing_payment_schedule', '') as payment_schedule,
        nullif(p->>'billing_parent_deal_id', '') as parent_deal_id,
        p->>'pipeline' = '{{ cfg.change_order_pipeline_id }}'
            and nullif(p->>'billing_parent_deal_id', '') is not null as is_change_order,
        coalesce(stages.is_closed and stages.probability >= 1, false) as is_closed_won,
        coalesce(stages.is_closed and stages.probability = 0, false) as is_closed_lost,
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

schedules as (
    select
        deal_id,
        sum(percent) as percent_total,
        min(case when is_valid then 1 else 0 end) as all_valid
    from {{ s.staging }}.stg_hubspot__payment_schedules__checked
    group by deal_id
),

fee_changes as (
    select deal_id, min(case when is_valid then 1 else 0 end) as all_valid
    from {{ s.staging }}.stg_hubspot__retainer_fee_changes__checked
    group by deal_id
),

checked as (
    select
        typed.*,
        parents.is_contract as parent_is_contract,
        case
            when typed.created_date is null then 'bad_created_date'
            when typed.amount_text is not null
                and (typed.amount is null or not {{ parse.has_places('typed.amount_text', 3) }})
                then 'bad_amount'
            when currencies.code is null then 'unknown_currency'
            when typed.tax_rate_text is not null
                and (typed.tax_rate is null or typed.tax_rate < 0 or typed.tax_rate >= 1
                     or not {{ parse.has_places('typed.tax_rate_text', 6) }})
                then 'bad_tax_rate'
            when typed.terms_text is not null and (typed.terms_days is null or typed.terms_days < 0)
                then 'bad_terms'
            when typed.is_change_order and not coalesce(parents.is_contract, false)
                then 'unknown_parent_deal'
            when typed.is_change_order and typed.currency <> parents.currency
                then 'change_order_currency'
            when not typed.is_contract then null
            when typed.billing_model is null or typed.billing_model not in
                ('time_and_materials', 'milestone', 'hybrid', 'retainer', 'installments')
                then 'unknown_billing_model'
            when typed.project_id is null or typed.project_id = '' then 'missing_project'
            when typed.billing_cycle not in ('monthly', 'weekly', 'biweekly') then 'unknown_cycle'
            when (typed.billing_model = 'installments' and typed.payment_schedule is null)
                or (typed.payment_schedule is not null
                    and (schedules.all_valid = 0 or schedules.percent_total <> 100))
                then 'bad_schedule'
            when (typed.billing_model = 'retainer' and typed.retainer_fee is null)
                or (typed.retainer_fee_text is not null and not coalesce(typed.retainer_fee >= 0, false))
                or (typed.retainer_hours_text is not null and not coalesce(typed.retainer_hours >= 0, false))
                or (typed.overage_rate_text is not null and not coalesce(typed.overage_rate >= 0, false))
                or (typed.hours_cap_text is not null and not coalesce(typed.hours_cap > 0, false))
                or fee_changes.all_valid = 0
                then 'bad_retainer_terms'
            when typed.hours_estimate_text is not null and not coalesce(typed.hours_estimate > 0, false)
                then 'bad_hours_estimate'
            when (typed.billed_pct_tolerance_text is not null and not coalesce(typed.billed_pct_tolerance >= 0, false))
                or (typed.over_estimate_tolerance_pct_text is not null and not coalesce(typed.over_estimate_tolerance_pct >= 0, false))
                or (typed.overage_review_pct_text is not null and not coalesce(typed.overage_review_pct >= 0, false))
                or (typed.late_edit_review_pct_text is not null and not coalesce(typed.late_edit_review_pct >= 0, false))
                then 'bad_tolerance'
            when (typed.late_fee_pct_text is not null and not coalesce(typed.late_fee_pct between 0 and 100, false))
                or (typed.late_fee_grace_days_text is not null and not coalesce(typed.late_fee_grace_days >= 0, false))
                then 'bad_late_fee'
        end as base_rule
    from typed
    left join {{ s.staging }}.currencies as currencies on currencies.code = typed.currency
    left join schedules on schedules.deal_id = typed.deal_id
    left join fee_changes on fee_changes.deal_id = typed.deal_id
    left join typed as parents on parents.deal_id = typed.parent_deal_id
),

{#- One contract per project and per code: the earliest deal keeps it, later ones are quarantined. #}
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
        effective_date, contract_code, hours_tolerance_minutes, is_contract, billing_cycle,
        hours_cap, hours_estimate, retainer_fee, retainer_hours, overage_rate, end_date, payment_schedule,
        parent_deal_id, is_change_order, is_closed_won, is_closed_lost, billed_pct_tolerance, over_estimate_tolerance_pct, overage_review_pct, late_edit_review_pct,
        late_fee_pct, late_fee_grace_days,
        case
            when base_rule is not null then base_rule
            when code_rank > 1 then 'duplicate_contract_code'
            when project_rank > 1 then 'project_already_contracted'
        end as _rule
    from ranked
)

select * from final
