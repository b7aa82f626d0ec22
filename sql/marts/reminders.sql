{#-
  Payment reminders sent, one row per (invoice, reminder day): those of earlier runs, kept
  as they were, plus this run's (intermediate/int_outbox_due.sql, kind reminder). A reminder
  is sent by the first run on or after due_date + N while the invoice is OVERDUE; a run past
  several reminder days sends only the highest (docs/decisions.md, Outbox and reminders).
#}
with existing as (
    select
        invoice_number, reminder_day, contract_code, client_name, currency, due_date,
        reminder_date, sent_on, days_past_due, balance_due, message_key
    from {{ s.marts }}.reminders
),

new_reminders as (
    select
        invoice_number,
        reminder_day,
        contract_code,
        client_name,
        currency,
        due_date,
        event_date as reminder_date,
        {{ as_of }} as sent_on,
        days_past_due,
        cast(balance_due as {{ d.money }}) as balance_due,
        message_key
    from {{ s.build }}.int_outbox_due
    where kind = 'reminder'
),

final as (
    select * from existing
    union all
    select * from new_reminders
)

select * from final
