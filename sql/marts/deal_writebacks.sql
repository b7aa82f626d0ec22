{#-
  CRM write-backs queued, one row per deal_amounts message: the amounts a HubSpot deal is
  given (billflow/outbox.py sends them as deal properties). Those of earlier runs are kept as
  they were, plus this run's (intermediate/int_outbox_due.sql, kind deal_amounts), which it
  queues only when they differ from the deal's latest row here (docs/decisions.md, HubSpot
  write-back).
#}
with existing as (
    select
        message_key, deal_id, contract_code, currency, amount_invoiced, amount_paid,
        amount_overdue, amounts_as_of
    from {{ s.marts }}.deal_writebacks
),

new_writebacks as (
    select
        message_key,
        deal_id,
        contract_code,
        currency,
        cast(amount_invoiced as {{ d.money }}) as amount_invoiced,
        cast(amount_paid as {{ d.money }}) as amount_paid,
        cast(amount_overdue as {{ d.money }}) as amount_overdue,
        {{ as_of }} as amounts_as_of
    from {{ s.build }}.int_outbox_due
    where kind = 'deal_amounts'
),

final as (
    select * from existing
    union all
    select * from new_writebacks
)

select * from final
