{#-
  One row per (contract, period, check) with the figures compared and the tolerance used.
  HOURS_MISMATCH: billable minutes logged in the period against the minutes priced on the
  draft's lines; it fails when they differ by more than the tolerance.
-#}
with time_drafts as (
    select drafts.*, contracts.hours_tolerance_minutes
    from {{ s.build }}.int_drafts as drafts
    inner join {{ s.build }}.int_contracts as contracts on contracts.contract_code = drafts.contract_code
    where drafts.trigger_type = 'time'
),

unpriced_people as (
    select
        entries.contract_code || ':time:' || entries.period as draft_key,
        string_agg(distinct coalesce(people.person_name, 'Person ' || entries.person_id), ', '
            order by coalesce(people.person_name, 'Person ' || entries.person_id)) as names
    from {{ s.build }}.int_time_entries as entries
    left join {{ s.staging }}.stg_teamwork__people as people on people.person_id = entries.person_id
    where entries.disposition = 'unpriced'
    group by entries.contract_code, entries.period
),

checks as (
    select
        time_drafts.contract_code,
        time_drafts.trigger_id as period,
        time_drafts.draft_key,
        'HOURS_MISMATCH' as check_name,
        {{ money.hours('coalesce(time_drafts.minutes_logged, 0)') }} as expected_value,
        {{ money.hours('coalesce(time_drafts.minutes_priced, 0)') }} as actual_value,
        {{ money.hours('coalesce(time_drafts.minutes_logged, 0) - coalesce(time_drafts.minutes_priced, 0)') }} as difference,
        {{ money.hours('time_drafts.hours_tolerance_minutes') }} as tolerance,
        'hours' as unit,
        abs(coalesce(time_drafts.minutes_logged, 0) - coalesce(time_drafts.minutes_priced, 0))
            <= time_drafts.hours_tolerance_minutes as passed,
        unpriced_people.names as unpriced_names
    from time_drafts
    left join unpriced_people on unpriced_people.draft_key = time_drafts.draft_key
),

final as (
    select
        {{ as_of }} as as_of,
        contract_code,
        period,
        draft_key,
        check_name,
        expected_value,
        actual_value,
        difference,
        tolerance,
        unit,
        passed,
        case
            when passed then null
            else cast(expected_value as text) || ' billable hours logged in ' || period || ' but '
                || cast(actual_value as text) || ' h priced on the draft (difference '
                || cast(difference as text) || ' h, tolerance ' || cast(tolerance as text) || ' h)'
                || coalesce('; no rate on the project for: ' || unpriced_names, '')
        end as detail
    from checks
)

select * from final
