{#-
  One proposal per natural key (contract, trigger type, trigger id), with its totals.
  Tax: fixed-price lines include it (tax = gross x r / (1 + r)); time lines are net and tax is
  added per invoice. Both computed once per draft, half-up.
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

logged as (
    select contract_code || ':time:' || period as draft_key, sum(minutes) as minutes_logged
    from {{ s.build }}.int_time_entries
    where disposition in ('billable', 'unpriced')
    group by contract_code, period
),

{#- a period whose every hour is unpriced still gets a (held) draft -#}
unpriced_only as (
    select
        logged.draft_key,
        min(entries.contract_code) as contract_code,
        'time' as trigger_type,
        min(entries.period) as trigger_id,
        min(entries.period_start) as period_start,
        min(entries.period_end) as period_end,
        min(entries.period_end) as trigger_date,
        0 as lines_minor,
        0 as minutes_priced,
        0 as line_count
    from logged
    inner join {{ s.build }}.int_time_entries as entries
        on entries.contract_code || ':time:' || entries.period = logged.draft_key
    where logged.draft_key not in (select draft_key from line_totals)
    group by logged.draft_key
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
        logged.minutes_logged,
        case
            when contracts.prices_include_tax
                then {{ money.tax_in_gross_minor('drafts.lines_minor', 'contracts.tax_ppm') }}
            else {{ money.tax_on_net_minor('drafts.lines_minor', 'contracts.tax_ppm') }}
        end as tax_minor
    from drafts
    inner join {{ s.build }}.int_contracts as contracts on contracts.contract_code = drafts.contract_code
    left join logged on logged.draft_key = drafts.draft_key
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
        minutes_logged,
        minutes_priced,
        {{ money.from_minor('lines_minor', 'unit') }} as lines_total,
        {{ money.from_minor('case when prices_include_tax then lines_minor - tax_minor else lines_minor end', 'unit') }} as subtotal,
        {{ money.from_minor('tax_minor', 'unit') }} as tax,
        {{ money.from_minor('case when prices_include_tax then lines_minor else lines_minor + tax_minor end', 'unit') }} as total
    from taxed
)

select * from final
