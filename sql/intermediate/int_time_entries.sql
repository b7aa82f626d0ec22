{#-
  Every staged time entry with its billing period, draft key and where it goes (disposition):
    on_invoice             already on an issued invoice (never drafted again)
    not_yet_effective      dated after as_of
    non_billable, no_contract, before_effective_date, contract_not_signed, fixed_fee
    after_issue            its period's invoice was issued before the entry arrived
    open_period            its period has not ended
    unpriced               no rate for the person on the project
    billable               priced on a draft of this run
  Row conservation counts these.
-#}
with invoiced as (
    select distinct record_id as entry_id
    from {{ s.marts }}.invoice_line_sources
    where source = 'teamwork' and stream = 'time'
),

entries as (
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
        contracts.contract_code || ':time:' || {{ d.year_month('entries.period_start') }} as draft_key,
        contracts.billing_model,
        contracts.is_signed,
        contracts.billing_starts,
        rates.rate_minor,
        invoiced.entry_id is not null as is_invoiced
    from entries
    left join {{ s.build }}.int_contracts as contracts on contracts.project_id = entries.project_id
    left join {{ s.staging }}.stg_teamwork__rates as rates
        on rates.project_id = entries.project_id and rates.person_id = entries.person_id
    left join invoiced on invoiced.entry_id = entries.entry_id
),

issued_keys as (
    select draft_key from {{ s.marts }}.invoices
),

final as (
    select
        enriched.*,
        case
            when is_invoiced then 'on_invoice'
            when entry_date > {{ as_of }} then 'not_yet_effective'
            when not is_billable then 'non_billable'
            when contract_code is null then 'no_contract'
            when entry_date < billing_starts then 'before_effective_date'
            when not is_signed then 'contract_not_signed'
            when billing_model = 'milestone' then 'fixed_fee'
            when draft_key in (select draft_key from issued_keys) then 'after_issue'
            when period_end >= {{ as_of }} then 'open_period'
            when rate_minor is null then 'unpriced'
            else 'billable'
        end as disposition
    from enriched
)

select * from final
