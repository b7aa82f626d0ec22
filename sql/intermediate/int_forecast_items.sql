{#-
  Every receipt the cash forecast expects, one row per item, with the date it is expected and
  the basis in words (docs/decisions.md, *Forecast*). Four sources:
    open_invoice  the balance of an open invoice, at due date + the client's average delay
    installment   an installment not invoiced yet, at trigger date + terms + client delay; the
                  trigger is the signing date, the date, or the milestone's completion, else
                  its deadline; without one the installment is left out (expected_date null)
    retainer      each retainer cycle not invoiced yet, up to the contract's end date: the fee
                  (prorated like billing, plus tax) at cycle start + terms + client delay
    pipeline      a deal that is not a contract yet: amount x stage probability, half-up to the
                  minor unit, at close date + terms
  The client's average delay is half-up(avg(paid_date - due_date)) in whole days over its PAID
  invoices; without any it is 0 (terms alone). A pending (held or ready) draft of an
  installment or cycle counts its total; a discarded one is not expected. Dates are not moved
  here: cash_forecast and cash_forecast_monthly put past dates in their first period.
#}
{%- set horizon = "greatest(cast(date_trunc('month', " ~ as_of ~ ") as date) + interval '12 months' - interval '1 day', "
    ~ "cast(date_trunc('week', " ~ as_of ~ ") as date) + " ~ (7 * cfg.forecast_weeks - 1) ~ ")" %}
with client_delays as (
    select
        client_id,
        cast({{ money.half_up_div('sum(paid_date - due_date)', 'count(*)') }} as integer) as delay_days
    from {{ s.build }}.invoices
    where kind = 'invoice' and status = 'PAID' and paid_date is not null and issue_date <= {{ as_of }}
    group by client_id
),

issued as (
    select draft_key from {{ s.build }}.invoices where kind = 'invoice'
),

pending_drafts as (
    select draft_key, status, total
    from {{ s.build }}.invoice_drafts
    where status in ('HELD', 'READY', 'DISCARDED')
),

open_invoices as (
    select
        'open_invoice' as source,
        aging.invoice_number as item_ref,
        aging.contract_code,
        aging.client_id,
        aging.client_name,
        aging.currency,
        aging.balance_due as amount,
        aging.due_date as trigger_date,
        cast(null as integer) as terms_days,
        client_delays.delay_days,
        cast(aging.due_date + coalesce(client_delays.delay_days, 0) as date) as expected_date,
        aging.invoice_number || ' ' || aging.client_name as detail
    from {{ s.build }}.ar_aging as aging
    left join client_delays on client_delays.client_id = aging.client_id
),

installments as (
    select
        installments.contract_code,
        installments.installment_no,
        installments.trigger_type,
        installments.trigger_ref,
        installments.draft_key,
        installments.amount,
        contracts.client_id,
        contracts.client_name,
        contracts.currency,
        contracts.minor_factor,
        contracts.terms_days,
        case installments.trigger_type
            when 'signature' then contracts.signed_date
            when 'milestone' then coalesce(installments.due_trigger_date, milestones.deadline)
            else installments.due_trigger_date
        end as trigger_date,
        case installments.trigger_type
            when 'signature' then 'signing ' || coalesce(cast(contracts.signed_date as text), '')
            when 'milestone' then
                case
                    when installments.due_trigger_date is not null
                        then 'milestone ' || installments.trigger_ref || ' completed '
                            || cast(installments.due_trigger_date as text)
                    when milestones.deadline is not null
                        then 'milestone ' || installments.trigger_ref || ' deadline '
                            || cast(milestones.deadline as text)
                    else 'milestone ' || installments.trigger_ref
                end
            else 'date ' || cast(installments.due_trigger_date as text)
        end as trigger_words,
        case
            when installments.trigger_type = 'signature' and contracts.signed_date is null
                then 'not signed yet'
            when installments.trigger_type = 'milestone' and installments.due_trigger_date is null
                and milestones.deadline is null
                then 'milestone ' || installments.trigger_ref || ' not completed, without a deadline'
        end as left_out_reason,
        drafts.status as draft_status,
        drafts.total as draft_total
    from {{ s.build }}.int_installments as installments
    inner join {{ s.build }}.int_contracts as contracts
        on contracts.contract_code = installments.contract_code
    left join {{ s.staging }}.stg_teamwork__milestones as milestones
        on installments.trigger_type = 'milestone'
        and cast(milestones.milestone_id as text) = installments.trigger_ref
    left join pending_drafts as drafts on drafts.draft_key = installments.draft_key
    where contracts.is_open
      and installments.draft_key not in (select draft_key from issued)
      and coalesce(drafts.status, '') <> 'DISCARDED'
),

installment_items as (
    select
        'installment' as source,
        installments.draft_key as item_ref,
        installments.contract_code,
        installments.client_id,
        installments.client_name,
        installments.currency,
        coalesce(installments.draft_total, installments.amount) as amount,
        installments.trigger_date,
        installments.terms_days,
        client_delays.delay_days,
        case when installments.left_out_reason is null then cast(
            installments.trigger_date + installments.terms_days + coalesce(client_delays.delay_days, 0)
            as date) end as expected_date,
        installments.contract_code || ' #' || cast(installments.installment_no as text)
            || case when installments.left_out_reason is not null
                then ': ' || installments.left_out_reason
                else ' on ' || installments.trigger_words
            end
            || case when installments.draft_status is not null
                then ' (' || lower(installments.draft_status) || ' draft)' else '' end as detail
    from installments
    left join client_delays on client_delays.client_id = installments.client_id
),

{#- retainer cycles from the contract's start to the horizon, priced as billing prices them #}
retainer_cycles as (
{%- with as_of = horizon %}
    select * from (
{% include "intermediate/int_retainer_periods.sql" %}
    ) as cycles
{%- endwith %}
),

retainer_items as (
    select
        'retainer' as source,
        cycles.contract_code || ':retainer:' || cycles.period as item_ref,
        cycles.contract_code,
        contracts.client_id,
        contracts.client_name,
        contracts.currency,
        coalesce(
            drafts.total,
            {{ money.from_minor('cycles.fee_minor + ' ~ money.tax_on_net_minor('cycles.fee_minor', 'contracts.tax_ppm'), 'contracts.unit') }}
        ) as amount,
        cycles.period_start as trigger_date,
        contracts.terms_days,
        client_delays.delay_days,
        cast(cycles.period_start + contracts.terms_days + coalesce(client_delays.delay_days, 0) as date)
            as expected_date,
        cycles.contract_code || ' ' || cycles.period || ' on cycle start '
            || cast(cycles.period_start as text)
            || case when drafts.status is not null
                then ' (' || lower(drafts.status) || ' draft)' else '' end as detail
    from retainer_cycles as cycles
    inner join {{ s.build }}.int_contracts as contracts
        on contracts.contract_code = cycles.contract_code
    left join client_delays on client_delays.client_id = contracts.client_id
    left join pending_drafts as drafts
        on drafts.draft_key = cycles.contract_code || ':retainer:' || cycles.period
    where contracts.is_open
      and cycles.fee_minor > 0
      and cycles.contract_code || ':retainer:' || cycles.period not in (select draft_key from issued)
      and coalesce(drafts.status, '') <> 'DISCARDED'
),

pipeline_deals as (
    select
        deals.deal_id,
        deals.deal_name,
        deals.stage_id,
        deals.close_date,
        deals.currency,
        currencies.minor_factor,
        currencies.unit,
        stages.probability,
        cast(coalesce(deals.terms_days, {{ cfg.default_terms_days }}) as integer) as terms_days,
        deal_companies.company_id as client_id,
        coalesce(companies.company_name, 'Company ' || deal_companies.company_id) as client_name,
        {{ money.round_to_minor('deals.amount', 'currencies.minor_factor') }} as amount_minor,
        rtrim(rtrim(cast(cast(stages.probability * 100 as decimal(12,4)) as text), '0'), '.')
            as probability_pct,
        case
            when deals.amount is null then 'no amount'
            when stages.probability is null then 'stage ' || coalesce(deals.stage_id, '(none)') || ' has no probability'
            when deals.close_date is null then 'no close date'
        end as left_out_reason
    from {{ s.staging }}.stg_hubspot__deals as deals
    inner join {{ s.staging }}.currencies as currencies on currencies.code = deals.currency
    left join {{ s.staging }}.stg_hubspot__deal_stages as stages
        on stages.pipeline_id = deals.pipeline_id and stages.stage_id = deals.stage_id
    left join {{ s.staging }}.stg_hubspot__deal_companies as deal_companies
        on deal_companies.deal_id = deals.deal_id
    left join {{ s.staging }}.stg_hubspot__companies as companies
        on companies.company_id = deal_companies.company_id
    where not deals.is_contract
      and not deals.is_change_order
      and not deals.is_closed_lost
      and deals.created_date <= {{ as_of }}
),

pipeline_items as (
    select
        'pipeline' as source,
        deal_id as item_ref,
        cast(null as text) as contract_code,
        client_id,
        client_name,
        currency,
        {{ money.from_minor(money.half_up_div('cast(coalesce(amount_minor, 0) as ' ~ d.wide_int ~ ') * coalesce(' ~ money.ppm('probability') ~ ', 0)', '1000000'), 'unit') }}
            as amount,
        close_date as trigger_date,
        terms_days,
        cast(null as integer) as delay_days,
        case when left_out_reason is null then cast(close_date + terms_days as date) end as expected_date,
        'deal ' || deal_id || ' ' || coalesce(deal_name, '')
            || case when left_out_reason is not null then ': ' || left_out_reason
                else ': ' || {{ money.as_text(money.from_minor('amount_minor', 'unit'), 'minor_factor') }}
                    || ' x ' || probability_pct || '% (stage ''' || stage_id || ''')'
                    || ', closes ' || cast(close_date as text) || ' + ' || cast(terms_days as text)
                    || ' days terms'
            end as detail
    from pipeline_deals
),

items as (
    select * from open_invoices
    union all
    select * from installment_items
    union all
    select * from retainer_items
    union all
    select * from pipeline_items
),

final as (
    select
        {{ as_of }} as as_of,
        items.source,
        items.item_ref,
        items.contract_code,
        items.client_id,
        items.client_name,
        items.currency,
        cast(items.amount as {{ d.money }}) as amount,
        items.trigger_date,
        items.terms_days,
        items.delay_days,
        items.delay_days is not null as has_history,
        items.expected_date,
        items.detail
            || case
                when items.source = 'pipeline' or items.expected_date is null then ''
                when items.source = 'open_invoice' then
                    ', due ' || cast(items.trigger_date as text)
                    || case when items.delay_days is null then ' (no payment history)'
                        else ' + client average delay ' || cast(items.delay_days as text) || ' days'
                    end
                else ' + ' || cast(items.terms_days as text) || ' days terms'
                    || case when items.delay_days is null then ', no payment history'
                        else ' + client average delay ' || cast(items.delay_days as text) || ' days'
                    end
            end
            || case when items.expected_date is not null
                then ': ' || cast(items.expected_date as text) else '' end as detail
    from items
)

select * from final
