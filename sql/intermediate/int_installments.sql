{#-
  IC-03: the installments of contracts billed by payment schedule. Each part's amount is
  half-up(total x percent / 100) in minor units; the last part takes what is left, so the
  amounts always add up to the total exactly. A part is due on its trigger: the signing date,
  a milestone's completion, or a date.
#}
with contracts as (
    select
        contracts.*,
        {{ money.round_to_minor('contracts.amount', 'contracts.minor_factor') }} as total_minor
    from {{ s.build }}.int_contracts as contracts
    where contracts.billing_model = 'installments'
),

parts as (
    select
        contracts.contract_code,
        contracts.total_minor,
        contracts.unit,
        contracts.signed_date,
        contracts.is_open,
        schedules.part_no,
        schedules.percent,
        schedules.trigger_type,
        schedules.trigger_ref,
        schedules.trigger_on,
        count(*) over (partition by contracts.contract_code) as parts,
        {{ money.half_up_div('cast(contracts.total_minor as ' ~ d.wide_int ~ ') * cast(round(schedules.percent * 10000, 0) as ' ~ d.wide_int ~ ')', '1000000') }}
            as share_minor
    from contracts
    inner join {{ s.staging }}.stg_hubspot__payment_schedules as schedules
        on schedules.deal_id = contracts.deal_id
),

amounts as (
    select
        parts.*,
        case
            when part_no = parts then total_minor - coalesce(sum(share_minor) over (
                partition by contract_code order by part_no
                rows between unbounded preceding and 1 preceding
            ), 0)
            else share_minor
        end as amount_minor
    from parts
),

final as (
    select
        amounts.contract_code,
        amounts.part_no as installment_no,
        cast(amounts.parts as integer) as installments,
        cast(amounts.percent as decimal(9,4)) as percent,
        amounts.trigger_type,
        amounts.trigger_ref,
        case amounts.trigger_type
            when 'signature' then 'on signature'
            when 'milestone' then 'on milestone ' || coalesce(milestones.milestone_name, amounts.trigger_ref)
            else 'on ' || cast(amounts.trigger_on as text)
        end as label,
        case amounts.trigger_type
            when 'signature' then amounts.signed_date
            when 'milestone' then milestones.completed_date
            else amounts.trigger_on
        end as due_trigger_date,
        amounts.amount_minor,
        amounts.unit,
        amounts.is_open
    from amounts
    left join {{ s.build }}.int_milestone_progress as milestones
        on milestones.milestone_id = amounts.trigger_ref
        and milestones.contract_code = amounts.contract_code
)

select
    final.*,
    {{ money.from_minor('amount_minor', 'unit') }} as amount,
    contract_code || ':installment:' || cast(installment_no as text) as draft_key
from final
