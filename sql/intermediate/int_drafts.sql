{#-
  One proposal per natural key not issued yet, with its totals and the time figures
  reconciliation compares. Tax is computed once per draft and basis (docs/billing.md):
    lines that include tax (fixed prices):  tax = half-up(gross x r / (1 + r))
    lines that exclude it (time, retainer): tax = half-up(net x r), added on top
    late fees: outside the scope of tax (compensation for late payment, not a supply)
  subtotal = everything without tax; total = subtotal + tax.
  `evidence_hash` fingerprints the lines (what each bills, from which minutes, at which rate,
  for how much): a review decision applies to the draft while it is unchanged.
#}
with line_totals as (
    select
        lines.draft_key,
        min(lines.contract_code) as contract_code,
        {#- a draft's trigger is its first line's (lines are ordered by what triggers them) #}
        min(case when lines.line_no = 1 then lines.trigger_type end) as trigger_type,
        min(case when lines.line_no = 1 then lines.trigger_id end) as trigger_id,
        min(case when lines.line_no = 1 then lines.period_start end) as period_start,
        min(case when lines.line_no = 1 then lines.period_end end) as period_end,
        min(case when lines.line_no = 1 then lines.trigger_date end) as trigger_date,
        sum(case when tax_inclusive then amount_minor else 0 end) as gross_minor,
        sum(case when tax_inclusive then 0 else amount_minor end) as net_minor,
        sum(case when line_type = 'late_fee' then amount_minor else 0 end) as untaxed_minor,
        sum(case when line_type = 'time' then minutes else 0 end) as minutes_priced,
        sum(case when line_type = 'overage' then minutes else 0 end) as minutes_overage,
        sum(case when line_type = 'adjustment' and rate_minor is null then abs(minutes) else 0 end)
            as minutes_unpriced_adjusted,
        count(*) as line_count,
        md5(string_agg(
            lines.line_type || '|' || coalesce(lines.person_id, '') || '|' || coalesce(lines.task_id, '')
            || '|' || coalesce(cast(lines.minutes as text), '') || '|'
            || coalesce(cast(lines.rate_minor as text), '') || '|' || cast(lines.amount_minor as text)
            || '|' || coalesce(lines.reference, ''),
            ';' order by lines.line_no
        )) as evidence_hash
    from {{ s.build }}.int_draft_lines as lines
    group by lines.draft_key
),

{#- minutes this run could bill for a period: priced or waiting for a rate #}
considered as (
    select
        draft_key,
        min(contract_code) as contract_code,
        min(period) as period,
        min(period_start) as period_start,
        min(period_end) as period_end,
        min(trigger_date) as trigger_date,
        sum(billable_minutes) as minutes_considered,
        sum(case when disposition = 'unpriced' then billable_minutes else 0 end) as minutes_unpriced
    from {{ s.build }}.int_time_entries
    where disposition in ('billable', 'unpriced')
    group by draft_key
),

{#- a period whose every hour is unpriced still gets a (held) draft #}
unpriced_only as (
    select
        draft_key,
        contract_code,
        'time' as trigger_type,
        period as trigger_id,
        period_start,
        period_end,
        trigger_date,
        0 as gross_minor,
        0 as net_minor,
        0 as untaxed_minor,
        0 as minutes_priced,
        0 as minutes_overage,
        0 as minutes_unpriced_adjusted,
        0 as line_count,
        md5('unpriced|' || cast(minutes_unpriced as text)) as evidence_hash
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
        contracts.tax_rate,
        coalesce(considered.minutes_considered, 0) as minutes_considered,
        coalesce(considered.minutes_unpriced, 0) + drafts.minutes_unpriced_adjusted
            as minutes_unpriced,
        {{ money.tax_in_gross_minor('drafts.gross_minor', 'contracts.tax_ppm') }} as tax_included_minor,
        {{ money.tax_on_net_minor('drafts.net_minor - drafts.untaxed_minor', 'contracts.tax_ppm') }}
            as tax_added_minor
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
        tax_rate,
        line_count,
        minutes_considered,
        minutes_unpriced,
        minutes_priced,
        minutes_overage,
        evidence_hash,
        {{ money.from_minor('gross_minor + net_minor', 'unit') }} as lines_total,
        {{ money.from_minor('gross_minor - tax_included_minor + net_minor', 'unit') }} as subtotal,
        {{ money.from_minor('tax_included_minor + tax_added_minor', 'unit') }} as tax,
        {{ money.from_minor('tax_included_minor', 'unit') }} as tax_included,
        {{ money.from_minor('gross_minor + net_minor + tax_added_minor', 'unit') }} as total
    from taxed
)

select * from final
