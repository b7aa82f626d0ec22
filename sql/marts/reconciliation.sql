{#-
  The checks of every draft of this run, one row per (draft, check), with the figures compared
  and the tolerance used (DESIGN's hold reason codes; docs/billing.md has each with an
  example). A check fails when the gap (actual - expected) is beyond its tolerance, and a
  failed check holds the draft:
    HOURS_MISMATCH      billable hours logged (Teamwork or Harvest) for the period vs the hours
                        the draft covers; they differ when logged time was quarantined
    MISSING_RATE        billable hours on the draft (or on its adjustments) that no rate prices
    NON_POSITIVE_TOTAL  a draft must total more than zero (an adjustment alone that takes time
                        off becomes a credit note instead)
    BILLED_PCT_OVER_COMPLETION  the percent of a milestone's value billed with this draft
                        (its earlier partial included) against the percent its tasks are
                        complete; tolerance in percentage points
    OVER_CAP            hours billed on the contract, this draft included, against its hours
                        cap (no tolerance) or its hours estimate (tolerance: a percent of it)
    MISSING_PO          the client requires a purchase order and the deal has none
    SCHEDULE_MISMATCH   an installment against the schedule: what the installments invoiced so
                        far plus this one add up to (installments the schedule now prices
                        differently, after the deal's amount or percents changed), and the
                        trigger milestone's billing:value
    RETAINER_OVERAGE    overage hours of a cycle; tolerance: a percent of its allocation
    LATE_EDIT_ADJUSTMENT adjustments of an issued invoice; tolerance: a percent of its subtotal
  A rerun on the same as_of keeps the checks of the drafts the first run issued (they are no
  longer drafts), so the snapshot of an as_of is the same however often it runs.
#}
with drafts as (
    select
        drafts.*,
        contracts.client_name,
        contracts.hours_tolerance_minutes,
        contracts.cap_minutes,
        contracts.estimate_minutes,
        contracts.billed_pct_tolerance,
        contracts.over_estimate_tolerance_pct,
        contracts.overage_review_pct,
        contracts.late_edit_review_pct,
        contracts.requires_po,
        contracts.po_number,
        contracts.minor_factor,
        contracts.unit as money_unit,
        case
            when contracts.cap_minutes is not null then cast(0 as bigint)
            else cast(round(contracts.estimate_minutes * contracts.over_estimate_tolerance_pct / 100, 0) as bigint)
        end as over_tolerance_minutes
    from {{ s.build }}.int_drafts as drafts
    inner join {{ s.build }}.int_contracts as contracts on contracts.contract_code = drafts.contract_code
),

lines as (
    select * from {{ s.build }}.int_draft_lines
),

issued_lines as (
    select
        invoices.contract_code,
        invoices.subtotal,
        lines.*,
        {{ money.round_to_minor('lines.amount', 'currencies.minor_factor') }} as amount_minor
    from {{ s.marts }}.invoice_lines as lines
    inner join {{ s.marts }}.invoices as invoices on invoices.invoice_number = lines.invoice_number
    inner join {{ s.staging }}.currencies as currencies on currencies.code = invoices.currency
    where invoices.kind = 'invoice'
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
    from {{ s.build }}.int_timesheet_entries as checked
    inner join {{ s.build }}.int_contracts as contracts on contracts.project_id = checked.project_id
    where checked._rule is not null
      and checked.is_billable
      and checked.minutes > 0
      and checked.known_on <= {{ as_of }}
    group by 1
),

unpriced_names as (
    select
        entries.draft_key,
        coalesce(names.name, 'Person ' || entries.person_id) as name
    from {{ s.build }}.int_time_entries as entries
    left join {{ s.build }}.int_timesheet_names as names
        on names.kind = 'person' and names.id = entries.person_id
    where entries.disposition = 'unpriced'
    union
    select draft_key, description
    from lines
    where line_type = 'adjustment' and rate_minor is null
),

unpriced_people as (
    select
        draft_key,
        string_agg(distinct {{ d.sort_key('name') }}, ', ' order by {{ d.sort_key('name') }}) as names
    from unpriced_names
    group by draft_key
),

hours_mismatch as (
    select
        drafts.draft_key,
        'HOURS_MISMATCH' as check_name,
        {{ money.hours('drafts.minutes_considered + coalesce(quarantined_time.minutes, 0)') }} as expected_value,
        {{ money.hours('drafts.minutes_considered') }} as actual_value,
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
        {{ money.hours('0') }} as tolerance,
        'hours' as unit,
        drafts.minutes_unpriced = 0 as passed,
        unpriced_people.names as about
    from drafts
    left join unpriced_people on unpriced_people.draft_key = drafts.draft_key
    where drafts.trigger_type = 'time' or drafts.minutes_considered > 0 or drafts.minutes_unpriced > 0
),

non_positive_total as (
    select
        draft_key,
        'NON_POSITIVE_TOTAL' as check_name,
        cast(0 as {{ d.money }}) as expected_value,
        total as actual_value,
        cast(0 as {{ d.money }}) as tolerance,
        currency as unit,
        total > 0 or (trigger_type = 'adjustment' and total < 0) as passed,
        cast(null as text) as about
    from drafts
),

milestone_billed_before as (
    select contract_code, reference as milestone_id, sum(amount_minor) as amount_minor
    from issued_lines
    where line_type in ('milestone', 'milestone_partial')
    group by contract_code, reference
),

billed_pct_figures as (
    select
        drafts.draft_key,
        'BILLED_PCT_OVER_COMPLETION' as check_name,
        {#- a completed milestone without task estimates counts as complete #}
        coalesce(progress.percent_complete, 100) as expected_value,
        cast(cast({{ money.half_up_div(
            '(coalesce(before.amount_minor, 0) + lines.amount_minor) * 10000',
            money.round_to_minor('progress.billing_value', 'drafts.minor_factor')) }}
            as decimal(18,0)) * 0.01 as decimal(9,2)) as actual_value,
        drafts.billed_pct_tolerance as tolerance,
        'percent' as unit,
        progress.milestone_name as about
    from drafts
    inner join lines on lines.draft_key = drafts.draft_key
        and lines.line_type in ('milestone', 'milestone_partial')
    inner join {{ s.build }}.int_milestone_progress as progress
        on progress.milestone_id = lines.reference
        and progress.contract_code = drafts.contract_code
        and progress.billing_value > 0
    left join milestone_billed_before as before
        on before.contract_code = drafts.contract_code and before.milestone_id = lines.reference
),

billed_pct as (
    select draft_key, check_name, expected_value, actual_value, tolerance, unit,
        actual_value - expected_value <= tolerance as passed, about
    from billed_pct_figures
),

billed_minutes as (
    select contract_code, sum(minutes) as minutes
    from issued_lines
    where line_type in ('time', 'adjustment')
    group by contract_code
),

draft_minutes as (
    select draft_key, sum(minutes) as minutes
    from lines
    where line_type in ('time', 'adjustment')
    group by draft_key
),

over_cap as (
    select
        drafts.draft_key,
        'OVER_CAP' as check_name,
        {{ money.hours('coalesce(drafts.cap_minutes, drafts.estimate_minutes)') }} as expected_value,
        {{ money.hours('coalesce(billed_minutes.minutes, 0) + draft_minutes.minutes') }} as actual_value,
        {{ money.hours('drafts.over_tolerance_minutes') }} as tolerance,
        'hours' as unit,
        coalesce(billed_minutes.minutes, 0) + draft_minutes.minutes
            <= coalesce(drafts.cap_minutes, drafts.estimate_minutes) + drafts.over_tolerance_minutes as passed,
        case when drafts.cap_minutes is not null then 'the hours cap' else 'the hours estimate' end
            as about
    from drafts
    inner join draft_minutes on draft_minutes.draft_key = drafts.draft_key
    left join billed_minutes on billed_minutes.contract_code = drafts.contract_code
    where drafts.cap_minutes is not null or drafts.estimate_minutes is not null
),

missing_po as (
    select
        draft_key,
        'MISSING_PO' as check_name,
        cast(1 as {{ d.money }}) as expected_value,
        cast(case when po_number is null then 0 else 1 end as {{ d.money }}) as actual_value,
        cast(0 as {{ d.money }}) as tolerance,
        'purchase orders' as unit,
        po_number is not null as passed,
        client_name as about
    from drafts
    where requires_po
),

invoiced_installments as (
    select contract_code, cast(reference as integer) as installment_no, sum(amount_minor) as amount_minor
    from issued_lines
    where line_type = 'installment'
    group by contract_code, cast(reference as integer)
),

installment_drafts as (
    select
        drafts.draft_key,
        drafts.contract_code,
        drafts.currency,
        drafts.money_unit,
        drafts.minor_factor,
        cast(lines.reference as integer) as installment_no,
        lines.amount_minor
    from drafts
    inner join lines on lines.draft_key = drafts.draft_key and lines.line_type = 'installment'
),

schedule_sums as (
    select
        current.draft_key,
        {#- earlier installments not invoiced yet are still to bill by the schedule #}
        sum(case when schedule.installment_no = current.installment_no
            or invoiced.amount_minor is not null then schedule.amount_minor else 0 end) as schedule_minor,
        sum(case when schedule.installment_no = current.installment_no then current.amount_minor
            else coalesce(invoiced.amount_minor, 0) end) as billed_minor,
        max(case when schedule.installment_no = current.installment_no
            and schedule.trigger_type = 'milestone' then milestones.billing_value end) as milestone_value,
        max(case when schedule.installment_no = current.installment_no
            and schedule.trigger_type = 'milestone' then milestones.milestone_name end) as milestone_name
    from installment_drafts as current
    inner join {{ s.build }}.int_installments as schedule
        on schedule.contract_code = current.contract_code
        and schedule.installment_no <= current.installment_no
    left join invoiced_installments as invoiced
        on invoiced.contract_code = schedule.contract_code
        and invoiced.installment_no = schedule.installment_no
    left join {{ s.build }}.int_milestone_progress as milestones
        on milestones.milestone_id = schedule.trigger_ref
        and milestones.contract_code = schedule.contract_code
    group by current.draft_key
),

schedule_mismatch as (
    select
        current.draft_key,
        'SCHEDULE_MISMATCH' as check_name,
        {{ money.from_minor('sums.schedule_minor', 'current.money_unit') }} as expected_value,
        {{ money.from_minor(
            'sums.billed_minor + coalesce(' ~ money.round_to_minor('sums.milestone_value', 'current.minor_factor')
            ~ ' - current.amount_minor, 0)', 'current.money_unit') }} as actual_value,
        cast(0 as {{ d.money }}) as tolerance,
        current.currency as unit,
        sums.billed_minor = sums.schedule_minor
            and coalesce({{ money.round_to_minor('sums.milestone_value', 'current.minor_factor') }}
                = current.amount_minor, true) as passed,
        case when sums.milestone_value is not null
            then 'installment ' || cast(current.installment_no as text) || ' is '
                || {{ money.as_text(money.from_minor('current.amount_minor', 'current.money_unit'), 'current.minor_factor') }}
                || ' by the schedule, but its milestone ' || sums.milestone_name
                || ' is tagged billing:value=' || {{ money.as_text('sums.milestone_value', 'current.minor_factor') }}
        end as about
    from installment_drafts as current
    inner join schedule_sums as sums on sums.draft_key = current.draft_key
),

retainer_overage as (
    select
        drafts.draft_key,
        'RETAINER_OVERAGE' as check_name,
        {{ money.hours('0') }} as expected_value,
        {{ money.hours('cycles.overage_minutes') }} as actual_value,
        {{ money.hours('cast(round(cycles.allocation_minutes * drafts.overage_review_pct / 100, 0) as bigint)') }}
            as tolerance,
        'hours' as unit,
        cycles.overage_minutes * 100 <= cycles.allocation_minutes * drafts.overage_review_pct as passed,
        lines.reference || ' (over ' || cast(cast(drafts.overage_review_pct as decimal(9,2)) as text)
            || '% of its allocation)' as about
    from drafts
    inner join lines on lines.draft_key = drafts.draft_key and lines.line_type = 'overage'
    inner join {{ s.build }}.int_retainer_periods as cycles
        on cycles.contract_code = drafts.contract_code and cycles.period = lines.reference
),

adjusted_totals as (
    select
        lines.draft_key,
        lines.reference as adjusted_invoice,
        min(invoices.subtotal) as subtotal,
        min(currencies.minor_factor) as minor_factor,
        sum(lines.amount) as amount
    from lines
    inner join {{ s.marts }}.invoices as invoices on invoices.invoice_number = lines.reference
    inner join {{ s.staging }}.currencies as currencies on currencies.code = invoices.currency
    where lines.line_type = 'adjustment'
    group by lines.draft_key, lines.reference
),

adjusted_invoices as (
    select
        adjusted_totals.*,
        adjusted_invoice || ' (' || {{ money.as_text('amount', 'minor_factor') }} || ')' as label
    from adjusted_totals
),

late_edits as (
    select
        drafts.draft_key,
        'LATE_EDIT_ADJUSTMENT' as check_name,
        cast(0 as {{ d.money }}) as expected_value,
        sum(abs(adjusted.amount)) as actual_value,
        sum(cast(adjusted.subtotal * drafts.late_edit_review_pct / 100 as {{ d.money }})) as tolerance,
        min(drafts.currency) as unit,
        min(case when abs(adjusted.amount) * 100 <= adjusted.subtotal * drafts.late_edit_review_pct
            then 1 else 0 end) = 1 as passed,
        string_agg(
            adjusted.label, ', '
            order by {{ d.sort_key('adjusted.adjusted_invoice') }}
        ) || ', more than ' || cast(cast(min(drafts.late_edit_review_pct) as decimal(9,2)) as text)
            || '% of the subtotal' as about
    from drafts
    inner join adjusted_invoices as adjusted on adjusted.draft_key = drafts.draft_key
    group by drafts.draft_key
),

all_checks as (
    select * from hours_mismatch
    union all select * from missing_rate
    union all select * from non_positive_total
    union all select * from billed_pct
    union all select * from over_cap
    union all select * from missing_po
    union all select * from schedule_mismatch
    union all select * from retainer_overage
    union all select * from late_edits
),

checks as (
    select
        draft_key,
        check_name,
        cast(expected_value as {{ d.money }}) as expected_value,
        cast(actual_value as {{ d.money }}) as actual_value,
        cast(actual_value - expected_value as {{ d.money }}) as difference,
        cast(tolerance as {{ d.money }}) as tolerance,
        unit,
        passed,
        about
    from all_checks
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
            else case checks.check_name
                when 'HOURS_MISMATCH' then cast(cast(checks.expected_value as decimal(12,2)) as text) || ' billable hours logged in '
                    || drafts.trigger_id || ' but the draft covers ' || cast(cast(checks.actual_value as decimal(12,2)) as text)
                    || ' h (difference ' || cast(cast(abs(checks.difference) as decimal(12,2)) as text) || ' h, tolerance '
                    || cast(cast(checks.tolerance as decimal(12,2)) as text) || ' h), not billed: '
                    || coalesce(checks.about, 'unknown entries')
                when 'MISSING_RATE' then cast(cast(checks.actual_value as decimal(12,2)) as text)
                    || ' billable hours have no rate on the project, for: '
                    || coalesce(checks.about, 'unknown people')
                when 'BILLED_PCT_OVER_COMPLETION' then 'milestone ' || checks.about || ' would be '
                    || cast(cast(checks.actual_value as decimal(12,2)) as text) || '% billed but is only '
                    || cast(cast(checks.expected_value as decimal(12,2)) as text) || '% complete (tolerance '
                    || cast(cast(checks.tolerance as decimal(12,2)) as text) || ' points)'
                when 'OVER_CAP' then cast(cast(checks.actual_value as decimal(12,2)) as text)
                    || ' h billed on the contract with this draft, above ' || checks.about || ' of '
                    || cast(cast(checks.expected_value as decimal(12,2)) as text) || ' h (tolerance ' || cast(cast(checks.tolerance as decimal(12,2)) as text) || ' h)'
                when 'MISSING_PO' then checks.about
                    || ' requires a purchase order and the deal has none (billing_po_number)'
                when 'SCHEDULE_MISMATCH' then coalesce(checks.about,
                    'the installments invoiced so far and this one add up to '
                    || {{ money.as_text('checks.actual_value', 'drafts.minor_factor') }} || ' ' || checks.unit
                    || ', but the schedule says ' || {{ money.as_text('checks.expected_value', 'drafts.minor_factor') }})
                when 'RETAINER_OVERAGE' then cast(cast(checks.actual_value as decimal(12,2)) as text)
                    || ' h beyond the allocation in cycle ' || checks.about || ': overage above '
                    || cast(cast(checks.tolerance as decimal(12,2)) as text) || ' h is billed only after review'
                when 'LATE_EDIT_ADJUSTMENT' then 'late edits adjust ' || checks.about
                    || ': review them before they are invoiced'
                else 'the total is ' || {{ money.as_text('checks.actual_value', 'drafts.minor_factor') }} || ' ' || checks.unit
                    || ': there is nothing to invoice'
            end
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
