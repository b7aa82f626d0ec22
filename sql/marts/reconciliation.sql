{#-
  The checks of every draft of this run, one row per (draft, check), with the figures compared
  and the tolerance used (DESIGN's hold reason codes; a failed check holds the draft). The two
  time checks apply to every draft that bills time (time periods, hybrid milestones):
    HOURS_MISMATCH      billable hours logged in Teamwork for the period vs the hours the draft
                        covers; they differ when logged time was quarantined
    MISSING_RATE        billable hours on the draft that no rate prices
    NON_POSITIVE_TOTAL  a draft must total more than zero
  A rerun on the same as_of keeps the checks of the drafts the first run issued (they are no
  longer drafts), so the snapshot of an as_of is the same however often it runs.
#}
with drafts as (
    select drafts.*, contracts.hours_tolerance_minutes
    from {{ s.build }}.int_drafts as drafts
    inner join {{ s.build }}.int_contracts as contracts on contracts.contract_code = drafts.contract_code
),

quarantined_time as (
    select
        contracts.contract_code || ':time:' || {{ periods.id(
            periods.first_day('checked.entry_date', 'contracts.billing_cycle', 'contracts.cycle_anchor'),
            'contracts.billing_cycle') }} as draft_key,
        sum(checked.minutes) as minutes,
        string_agg(
            'entry ' || checked.entry_id || ' (' || checked._rule || ')', ', '
            order by {{ d.sort_key('checked.entry_id') }}
        ) as entries
    from {{ s.staging }}.stg_teamwork__time_entries__checked as checked
    inner join {{ s.build }}.int_contracts as contracts on contracts.project_id = checked.project_id
    where checked._rule is not null
      and checked.is_billable
      and checked.minutes > 0
      and checked.entry_date <= {{ as_of }}
    group by 1
),

unpriced_people as (
    select
        entries.draft_key,
        string_agg(
            distinct {{ d.sort_key("coalesce(people.person_name, 'Person ' || entries.person_id)") }}, ', '
            order by {{ d.sort_key("coalesce(people.person_name, 'Person ' || entries.person_id)") }}
        ) as names
    from {{ s.build }}.int_time_entries as entries
    left join {{ s.staging }}.stg_teamwork__people as people on people.person_id = entries.person_id
    where entries.disposition = 'unpriced'
    group by entries.draft_key
),

hours_mismatch as (
    select
        drafts.draft_key,
        'HOURS_MISMATCH' as check_name,
        {{ money.hours('drafts.minutes_considered + coalesce(quarantined_time.minutes, 0)') }} as expected_value,
        {{ money.hours('drafts.minutes_considered') }} as actual_value,
        {{ money.hours('coalesce(quarantined_time.minutes, 0)') }} as difference,
        {{ money.hours('drafts.hours_tolerance_minutes') }} as tolerance,
        'hours' as unit,
        coalesce(quarantined_time.minutes, 0) <= drafts.hours_tolerance_minutes as passed,
        quarantined_time.entries as about
    from drafts
    left join quarantined_time on quarantined_time.draft_key = drafts.draft_key
    where drafts.trigger_type = 'time' or drafts.minutes_considered > 0
),

missing_rate as (
    select
        drafts.draft_key,
        'MISSING_RATE' as check_name,
        {{ money.hours('0') }} as expected_value,
        {{ money.hours('drafts.minutes_unpriced') }} as actual_value,
        {{ money.hours('drafts.minutes_unpriced') }} as difference,
        {{ money.hours('0') }} as tolerance,
        'hours' as unit,
        drafts.minutes_unpriced = 0 as passed,
        unpriced_people.names as about
    from drafts
    left join unpriced_people on unpriced_people.draft_key = drafts.draft_key
    where drafts.trigger_type = 'time' or drafts.minutes_considered > 0
),

non_positive_total as (
    select
        draft_key,
        'NON_POSITIVE_TOTAL' as check_name,
        cast(0 as {{ d.money }}) as expected_value,
        total as actual_value,
        total as difference,
        cast(0 as {{ d.money }}) as tolerance,
        currency as unit,
        total > 0 as passed,
        cast(null as text) as about
    from drafts
),

checks as (
    select draft_key, check_name, cast(expected_value as {{ d.money }}) as expected_value,
        cast(actual_value as {{ d.money }}) as actual_value,
        cast(difference as {{ d.money }}) as difference, cast(tolerance as {{ d.money }}) as tolerance,
        unit, passed, about
    from hours_mismatch
    union all
    select draft_key, check_name, cast(expected_value as {{ d.money }}),
        cast(actual_value as {{ d.money }}), cast(difference as {{ d.money }}),
        cast(tolerance as {{ d.money }}), unit, passed, about
    from missing_rate
    union all
    select draft_key, check_name, expected_value, actual_value, difference, tolerance, unit,
        passed, about
    from non_positive_total
),

checked as (
    select
        {{ as_of }} as as_of,
        drafts.contract_code,
        {{ d.year_month('drafts.trigger_date') }} as period,
        checks.draft_key,
        checks.check_name,
        checks.expected_value,
        checks.actual_value,
        checks.difference,
        checks.tolerance,
        checks.unit,
        checks.passed,
        case
            when checks.passed then null
            when checks.check_name = 'HOURS_MISMATCH'
                then cast(cast(checks.expected_value as decimal(12,2)) as text) || ' billable hours logged in '
                    || drafts.trigger_id || ' but the draft covers '
                    || cast(cast(checks.actual_value as decimal(12,2)) as text) || ' h (difference '
                    || cast(cast(checks.difference as decimal(12,2)) as text) || ' h, tolerance '
                    || cast(cast(checks.tolerance as decimal(12,2)) as text) || ' h); not billed: '
                    || coalesce(checks.about, 'unknown entries')
            when checks.check_name = 'MISSING_RATE'
                then cast(cast(checks.actual_value as decimal(12,2)) as text)
                    || ' billable hours have no rate on the project, for: '
                    || coalesce(checks.about, 'unknown people')
            else 'the total is ' || cast(checks.actual_value as text) || ' ' || checks.unit
                || ': there is nothing to invoice'
        end as detail
    from checks
    inner join drafts on drafts.draft_key = checks.draft_key
),

issued_today as (
    select
        as_of, contract_code, period, draft_key, check_name, expected_value, actual_value,
        difference, tolerance, unit, passed, detail
    from {{ s.marts }}.reconciliation
    where as_of = {{ as_of }}
      and draft_key in (select draft_key from {{ s.marts }}.invoices where issue_date = {{ as_of }})
),

final as (
    select * from checked
    union all
    select * from issued_today
)

select * from final
