{#-
  Retainer cycles from the contract's start to the cycle holding as_of (the fee is billed in
  advance, on the cycle's first day), each with:
    fee       the fee of each day in the cycle, prorated by actual days: half-up(sum over the
              fee's segments of fee x days / days in the cycle); a start, an end or a fee
              change mid-cycle is prorated, a whole cycle at one fee bills that fee exactly
    allocation  the hours the fee covers, prorated the same way
    usage     billable minutes logged in the cycle; beyond the allocation they are overage,
              billed in arrears at the overage rate on the next cycle's invoice
#}
with contracts as (
    select *
    from {{ s.build }}.int_contracts
    where billing_model = 'retainer' and is_signed and cycle_anchor is not null
),

cycles as (
    select
        contracts.contract_code,
        contracts.billing_cycle,
        contracts.cycle_anchor,
        contracts.end_date,
        contracts.minor_factor,
        contracts.unit,
        contracts.retainer_fee_minor,
        contracts.retainer_minutes,
        contracts.overage_rate_minor,
        cast(series.cycle_start as date) as cycle_start
    from contracts,
        generate_series(
            cast({{ periods.first_day('contracts.cycle_anchor', 'contracts.billing_cycle', 'contracts.cycle_anchor') }} as timestamp),
            cast({{ as_of }} as timestamp),
            case contracts.billing_cycle
                when 'weekly' then interval '7 days'
                when 'biweekly' then interval '14 days'
                else interval '1 month'
            end
        ) as series(cycle_start)
),

bounded as (
    select
        cycles.*,
        {{ periods.last_day('cycle_start', 'billing_cycle') }} as cycle_end,
        {{ periods.id('cycle_start', 'billing_cycle') }} as period
    from cycles
    where end_date is null or cycle_start <= end_date
),

active as (
    select
        bounded.*,
        greatest(cycle_start, cycle_anchor) as active_from,
        least(cycle_end, coalesce(end_date, cycle_end)) as active_to,
        cast(cycle_end - cycle_start + 1 as integer) as cycle_days
    from bounded
),

{#- the fee schedule: the deal's fee from the start, then each change from its date; on one
    date the change listed last wins #}
segments as (
    select contract_code, cast('0001-01-01' as date) as effective_from,
        retainer_fee_minor as fee_minor, 0 as precedence
    from contracts
    union all
    select
        contracts.contract_code,
        changes.effective_from,
        {{ money.round_to_minor('changes.fee', 'contracts.minor_factor') }},
        changes.part_no
    from {{ s.staging }}.stg_hubspot__retainer_fee_changes as changes
    inner join contracts on contracts.deal_id = changes.deal_id
    where changes.is_valid
),

ranked_segments as (
    select
        segments.*,
        row_number() over (
            partition by contract_code, effective_from order by precedence desc
        ) as rank_on_day
    from segments
),

fee_spans as (
    select
        contract_code,
        effective_from,
        fee_minor,
        coalesce(
            cast(lead(effective_from) over (partition by contract_code order by effective_from) - 1 as date),
            cast('9999-12-31' as date)
        ) as effective_to
    from ranked_segments
    where rank_on_day = 1
),

fees as (
    select
        active.contract_code,
        active.cycle_start,
        sum(
            cast(fee_spans.fee_minor as {{ d.wide_int }})
            * greatest(cast(least(active.active_to, fee_spans.effective_to)
                - greatest(active.active_from, fee_spans.effective_from) + 1 as integer), 0)
        ) as fee_day_minor
    from active
    inner join fee_spans on fee_spans.contract_code = active.contract_code
    group by active.contract_code, active.cycle_start
),

usage as (
    select
        entries.contract_code,
        entries.period_start as cycle_start,
        sum(entries.minutes) as used_minutes
    from {{ s.build }}.int_time_entries as entries
    where entries.billing_model = 'retainer'
      and entries.disposition in ('retainer', 'on_invoice')
      and entries.entry_date >= entries.cycle_anchor
      and (entries.end_date is null or entries.entry_date <= entries.end_date)
    group by entries.contract_code, entries.period_start
),

final as (
    select
        active.contract_code,
        active.period,
        active.cycle_start as period_start,
        active.cycle_end as period_end,
        active.cycle_days,
        cast(greatest(active.active_to - active.active_from + 1, 0) as integer) as active_days,
        active.unit,
        active.overage_rate_minor,
        {{ money.half_up_div('coalesce(fees.fee_day_minor, 0)', 'active.cycle_days') }} as fee_minor,
        {{ money.half_up_div('cast(active.retainer_minutes as ' ~ d.wide_int ~ ') * greatest(active.active_to - active.active_from + 1, 0)', 'active.cycle_days') }}
            as allocation_minutes,
        coalesce(usage.used_minutes, 0) as used_minutes,
        active.cycle_end < {{ as_of }} as has_ended,
        coalesce(
            active.end_date >= {{ periods.next_start('active.cycle_start', 'active.billing_cycle') }},
            true
        ) as has_next
    from active
    left join fees on fees.contract_code = active.contract_code and fees.cycle_start = active.cycle_start
    left join usage on usage.contract_code = active.contract_code and usage.cycle_start = active.cycle_start
)

select
    final.*,
    greatest(used_minutes - allocation_minutes, 0) as overage_minutes,
    {{ money.half_up_div('cast(greatest(used_minutes - allocation_minutes, 0) as ' ~ d.wide_int ~ ') * coalesce(overage_rate_minor, 0)', '60') }}
        as overage_minor
from final
