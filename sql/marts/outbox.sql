{#-
  The outbox: every message ever created (kept from earlier runs, never changed here), plus
  the messages of this run (intermediate/int_outbox_due.sql) with the subject and body
  billflow/outbox.py rendered for them. Delivery (billflow/outbox.py `deliver`, after publish)
  sets delivered_on and counts attempts in marts.outbox itself; the next run carries them.
#}
with existing as (
    select
        message_key, kind, recipient_role, recipient_name, recipient_address, contract_code,
        invoice_number, event_date, subject, body, created_on, delivered_on, attempts
    from {{ s.marts }}.outbox
),

new_messages as (
    select
        due.message_key,
        due.kind,
        due.recipient_role,
        due.recipient_name,
        due.recipient_address,
        due.contract_code,
        due.invoice_number,
        due.event_date,
        rendered.subject,
        rendered.body,
        {{ as_of }} as created_on,
        cast(null as date) as delivered_on,
        0 as attempts
    from {{ s.build }}.int_outbox_due as due
    inner join {{ s.build }}.int_outbox_rendered as rendered
        on rendered.message_key = due.message_key
),

final as (
    select * from existing
    union all
    select * from new_messages
)

select * from final
