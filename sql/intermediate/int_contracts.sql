{#-
  Contracts as of the run: clean contract deals the run can see, with their terms resolved
  and the events of their lifecycle (signing, cancellation, liquidation) as of as_of.
#}
with deals as (
    select *
    from {{ s.staging }}.stg_hubspot__deals
    where is_contract and created_date <= {{ as_of }}
),

final as (
    select
        deals.contract_code,
        deals.deal_id,
        deals.deal_name,
        deal_companies.company_id as client_id,
        coalesce(companies.company_name, 'Company ' || deal_companies.company_id) as client_name,
        deals.project_id,
        coalesce(projects.project_name, harvest_projects.name) as project_name,
        projects.completed_date as project_completed_date,
        deals.owner_id as sales_rep_id,
        owners.owner_name as sales_rep_name,
        deals.billing_model,
        deals.billing_model in ('milestone', 'installments') as prices_include_tax,
        deals.billing_cycle,
        deals.currency,
        currencies.minor_factor,
        currencies.unit,
        coalesce(deals.amount, 0) as amount,
        coalesce(deals.tax_rate, 0) as tax_rate,
        {{ money.ppm('coalesce(deals.tax_rate, 0)') }} as tax_ppm,
        cast(coalesce(deals.terms_days, {{ cfg.default_terms_days }}) as integer) as terms_days,
        deals.po_number,
        case when deals.signed_date <= {{ as_of }} then deals.signed_date end as signed_date,
        coalesce(
            deals.effective_date,
            case when deals.signed_date <= {{ as_of }} then deals.signed_date end
        ) as effective_date,
        deals.effective_date as billing_starts,
        {#- the anchor of two-week cycles and the start of a retainer #}
        coalesce(deals.effective_date, deals.signed_date) as cycle_anchor,
        deals.end_date,
        cast(coalesce(deals.hours_tolerance_minutes, {{ cfg.hours_tolerance_minutes }}) as integer)
            as hours_tolerance_minutes,
        cast(round(deals.hours_cap * 60, 0) as bigint) as cap_minutes,
        cast(round(deals.hours_estimate * 60, 0) as bigint) as estimate_minutes,
        cast(coalesce(deals.billed_pct_tolerance, {{ cfg.billed_pct_tolerance }}) as decimal(9,4)) as billed_pct_tolerance,
        cast(coalesce(deals.over_estimate_tolerance_pct, {{ cfg.over_estimate_tolerance_pct }}) as decimal(9,4)) as over_estimate_tolerance_pct,
        cast(coalesce(deals.overage_review_pct, {{ cfg.overage_review_pct }}) as decimal(9,4)) as overage_review_pct,
        cast(coalesce(deals.late_edit_review_pct, {{ cfg.late_edit_review_pct }}) as decimal(9,4)) as late_edit_review_pct,
        cast(coalesce(deals.late_fee_pct, {{ cfg.late_fee_pct }}) as decimal(9,4)) as late_fee_pct,
        cast(coalesce(deals.late_fee_grace_days, {{ cfg.late_fee_grace_days }}) as integer)
            as late_fee_grace_days,
        coalesce(companies.requires_po, false) as requires_po,
        {{ money.round_to_minor('deals.retainer_fee', 'currencies.minor_factor') }} as retainer_fee_minor,
        cast(round(coalesce(deals.retainer_hours, 0) * 60, 0) as bigint) as retainer_minutes,
        {{ money.round_to_minor('deals.overage_rate', 'currencies.minor_factor') }} as overage_rate_minor,
        coalesce(deals.signed_date <= {{ as_of }}, false) as is_signed,
        deals.created_date,
        commands.cancelled_on is null and commands.liquidated_on is null as is_open
    from deals
    inner join {{ s.staging }}.currencies as currencies on currencies.code = deals.currency
    left join {{ s.staging }}.stg_hubspot__deal_companies as deal_companies
        on deal_companies.deal_id = deals.deal_id
    left join {{ s.staging }}.stg_hubspot__companies as companies
        on companies.company_id = deal_companies.company_id
    left join {{ s.staging }}.stg_hubspot__owners as owners on owners.owner_id = deals.owner_id
    left join {{ s.staging }}.stg_teamwork__projects as projects on projects.project_id = deals.project_id
    {#- a Harvest project (billing_project_id harvest:<id>) is named by its time entries #}
    left join {{ s.build }}.int_timesheet_names as harvest_projects
        on harvest_projects.kind = 'project' and harvest_projects.id = deals.project_id
        and {{ timesheets.is_harvest_project('deals.project_id') }}
    left join {{ s.build }}.int_commands as commands on commands.contract_code = deals.contract_code
)

select * from final
