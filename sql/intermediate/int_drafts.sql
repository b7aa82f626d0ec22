{#-
  One proposal per natural key (contract, trigger type, trigger id) not issued yet, with its
  totals and the time figures reconciliation compares. Tax: fixed-price lines include it
  (tax = gross x r / (1 + r)); time lines are net and tax is added per invoice. Both computed
  once per draft, half-up.
-#}
with line_totals as (
    select
        draft_key,
        min(contract_code) as contract_code,
        min(trigger_type) as trigger_type,
        min(trigger_id) as trigger_id,
        min(period_start) as period_start,
        min(period_end) as period_end,
        min(trigger_date) as trigger_date,
        sum(amount_minor) as lines_minor,
        sum(minutes) as minutes_priced,
        count(*) as line_count
    from {{ s.build }}.int_draft_lines
    group by draft_key
),

{#- minutes this run could bill for a period: priced or waiting for a rate -#}
considered as (
    select
        draft_key,
        min(contract_code) as contract_code,
        min(period) as period,
        min(period_start) as period_start,
        min(period_end) as period_end,
        sum(minutes) as minutes_considered,
        sum(case when disposition = 'unpriced' then minutes else 0 end) as minutes_unpriced
    from {{ s.build }}.int_time_entries
    where disposition in ('billable', 'unpriced')
    group by draft_key
),

{#- a period whose every hour is unpriced still gets a (held) draft -#}
unpriced_only as (
    select
        draft_key,
        contract_code,
        'time' as trigger_type,
        period as trigger_id,
        period_start,
        period_end,
        period_end as trigger_date,
        0 as lines_minor,
        0 as minutes_priced,
        0 as line_count
    from considered
    where draft_key not in (select draft_key from line_totals)
),

drafts as (
    select * from line_totals
    union all
    select * from unpriced_only
),

taxed as (
    select
        drafts.*,
        contracts.currency,
        contracts.unit,
        contracts.prices_include_tax,
        contracts.tax_rate,
        coalesce(considered.minutes_considered, 0) as minutes_considered,
        coalesce(considered.minutes_unpriced, 0) as minutes_unpriced,
        case
            when contracts.prices_include_tax
                then {{ money.tax_in_gross_minor('drafts.lines_minor', 'contracts.tax_ppm') }}
            else {{ money.tax_on_net_minor('drafts.lines_minor', 'contracts.tax_ppm') }}
        end as tax_minor
    from drafts
    inner join {{ s.build }}.int_contracts as contracts on contracts.contract_code = drafts.contract_code
    left join considered on considered.draft_key = drafts.draft_key
),

final as (
    select
        draft_key,
        contract_code,
        trigger_type,
        trigger_id,
        period_start,
        period_end,
        trigger_date,
        currency,
        prices_include_tax,
        tax_rate,
        line_count,
        minutes_considered,
        minutes_unpriced,
        minutes_priced,
        {{ money.from_minor('lines_minor', 'unit') }} as lines_total,
        {{ money.from_minor('case when prices_include_tax then lines_minor - tax_minor else lines_minor end', 'unit') }} as subtotal,
        {{ money.from_minor('tax_minor', 'unit') }} as tax,
        {{ money.from_minor('case when prices_include_tax then lines_minor else lines_minor + tax_minor end', 'unit') }} as total
    from taxed
)

select * from final
