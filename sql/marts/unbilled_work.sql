{#-
  Unbilled work: billable hours that no draft line or invoice covers, by client, project,
  reason and age (days since the work, in the aging buckets). Hours on a fixed-fee contract
  (covered by its milestones or installments) and within a retainer's allocation are covered,
  so they are not here. Reasons are the time entries' dispositions (docs/decisions.md):
    open_period, waiting_for_milestone, adjustment_pending, timer_running   will bill in time
    unpriced, contract_not_signed, no_contract, discarded      need a person
    before_effective_date, outside_retainer, contract_closed, over_cap   will never bill
  The value is an estimate at today's rates (none where there is no rate).
#}
with entries as (
    select * from {{ s.build }}.int_time_entries
    where is_billable and known_on <= {{ as_of }}
),

on_drafts as (
    select sources.source, sources.stream, sources.record_id as entry_id, drafts.status
    from {{ s.build }}.int_draft_line_sources as sources
    inner join {{ s.build }}.invoice_drafts as drafts on drafts.draft_key = sources.draft_key
    where {{ timesheets.is_time('sources.source', 'sources.stream') }}
),

unbilled as (
    select entries.*, entries.minutes as unbilled_minutes,
        case
            when entries.disposition = 'late_edit' then 'adjustment_pending'
            else entries.disposition
        end as reason
    from entries
    where entries.disposition in (
            'open_period', 'waiting_for_milestone', 'unpriced', 'contract_not_signed',
            'no_contract', 'before_effective_date', 'outside_retainer', 'contract_closed',
            'over_cap', 'late_edit', 'timer_running')
      and not exists (
        select 1 from on_drafts
        where on_drafts.source = entries.source and on_drafts.stream = entries.stream
          and on_drafts.entry_id = entries.entry_id and on_drafts.status <> 'DISCARDED'
      )
    union all
    select entries.*, entries.minutes, 'discarded'
    from entries
    where exists (
        select 1 from on_drafts
        where on_drafts.source = entries.source and on_drafts.stream = entries.stream
          and on_drafts.entry_id = entries.entry_id and on_drafts.status = 'DISCARDED'
      )
      and entries.disposition in ('billable', 'late_edit')
    union all
    {#- the part of an entry beyond the hours cap #}
    select entries.*, entries.minutes - entries.billable_minutes, 'over_cap'
    from entries
    where entries.disposition in ('billable', 'late_edit', 'on_invoice')
      and entries.cap_minutes is not null
      and entries.billable_minutes > 0
      and entries.billable_minutes < entries.minutes
),

priced as (
    select
        unbilled.project_id,
        unbilled.reason,
        {{ aging.bucket('(' ~ as_of ~ ' - unbilled.entry_date)') }} as age_bucket,
        {{ aging.bucket_order('(' ~ as_of ~ ' - unbilled.entry_date)') }} as bucket_order,
        unbilled.rate_minor,
        count(*) as entries,
        sum(unbilled.unbilled_minutes) as minutes,
        min(unbilled.entry_date) as oldest_entry_date
    from unbilled
    group by 1, 2, 3, 4, 5
),

final as (
    select
        {{ as_of }} as as_of,
        contracts.client_id,
        contracts.client_name,
        contracts.contract_code,
        priced.project_id,
        coalesce(contracts.project_name, projects.project_name, names.name) as project_name,
        priced.reason,
        priced.age_bucket,
        cast(min(priced.bucket_order) as integer) as bucket_order,
        cast(sum(priced.entries) as integer) as entries,
        {{ money.hours('sum(priced.minutes)') }} as hours,
        min(priced.oldest_entry_date) as oldest_entry_date,
        contracts.currency,
        {{ money.from_minor(
            'sum(case when priced.rate_minor is not null then '
            ~ money.time_amount_minor('priced.minutes', 'priced.rate_minor') ~ ' end)',
            'min(contracts.unit)') }} as estimated_amount,
        {{ money.hours('sum(case when priced.rate_minor is null then priced.minutes else 0 end)') }}
            as hours_without_rate
    from priced
    left join {{ s.build }}.int_contracts as contracts on contracts.project_id = priced.project_id
    left join {{ s.staging }}.stg_teamwork__projects as projects on projects.project_id = priced.project_id
    left join {{ s.build }}.int_timesheet_names as names
        on names.kind = 'project' and names.id = priced.project_id
    group by contracts.client_id, contracts.client_name, contracts.contract_code, priced.project_id,
        contracts.project_name, projects.project_name, names.name, priced.reason, priced.age_bucket,
        contracts.currency
)

select * from final
