{#-
  Payment reminders due on invoices still open at as_of (marts.reminders, marts.ar_aging), the
  latest first, with the balance open now and whether the message was delivered (marts.outbox).
#}
select
    reminders.invoice_number,
    reminders.reminder_day,
    reminders.client_name,
    reminders.currency,
    reminders.reminder_date,
    reminders.sent_on,
    aging.days_past_due,
    aging.balance_due,
    outbox.delivered_on
from {{ s.marts }}.reminders as reminders
inner join {{ s.marts }}.ar_aging as aging on aging.invoice_number = reminders.invoice_number
left join {{ s.marts }}.outbox as outbox on outbox.message_key = reminders.message_key
{% if currency %}
where reminders.currency = {{ currency }}
{% endif %}
order by reminders.reminder_date desc, reminders.invoice_number, reminders.reminder_day
