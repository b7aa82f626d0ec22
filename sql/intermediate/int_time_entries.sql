{#-
  Every staged time entry with its billing period and where it goes (disposition):
  not_yet_effective, non_billable, no_contract, before_effective_date, contract_not_signed,
  fixed_fee, open_period, unpriced or billable. Row conservation counts these.
-#}
with entries as (
    select
        entries.*,
        cast(date_trunc('month', entries.entry_date) as date) as period_start
    from {{ s.staging }}.stg_teamwork__time_entries as entries
),

enriched as (
    select
        entries.*,
        {{ d.year_month('entries.period_start') }} as period,
        cast(entries.period_start + interval '1 month' - interval '1 day' as date) as period_end,
        contracts.contract_code,
        contracts.billing_model,
        contracts.is_signed,
        contracts.billing_starts,
        rates.rate_minor
    from entries
    left join {{ s.build }}.int_contracts as contracts on contracts.project_id = entries.project_id
    left join {{ s.staging }}.stg_teamwork__rates as rates
        on rates.project_id = entries.project_id and rates.person_id = entries.person_id
),

final as (
    select
        enriched.*,
        case
            when entry_date > {{ as_of }} then 'not_yet_effective'
            when not is_billable then 'non_billable'
            when contract_code is null then 'no_contract'
            when entry_date < billing_starts then 'before_effective_date'
            when not is_signed then 'contract_not_signed'
            when billing_model = 'milestone' then 'fixed_fee'
            when period_end >= {{ as_of }} then 'open_period'
            when rate_minor is null then 'unpriced'
            else 'billable'
        end as disposition
    from enriched
)

select * from final
