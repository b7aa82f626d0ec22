{#-
  The messages this run puts in the outbox (DESIGN, Outbox; 003 CF-06 and OVERDUE), one row per
  message whose fact holds at as_of and whose key the outbox does not hold yet:
    kickoff, notify_sales                the contract reached ACTIVE (its first invoice paid)
    overdue_client, overdue_accounting   the invoice is OVERDUE
    reminder                             the invoice is OVERDUE and due_date + N <= as_of for
                                         a reminder day N (cfg.reminder_days) higher than any
                                         reminder sent for it: only the highest day reached
                                         is sent, the days skipped are never sent
  The key is the idempotency key: it names the fact, so a message is created once, ever.
  A run dated before the newest message creates none (the next run on or after it does).
  billflow/outbox.py renders subject and body; marts/outbox.sql stores them with the facts.
#}
with may_create as (
    select {{ as_of }} >= coalesce(max(created_on), {{ as_of }}) as allowed
    from {{ s.marts }}.outbox
),

contracts as (
    select
        contracts.*,
        owners.email as sales_rep_email,
        companies.billing_email
    from {{ s.build }}.contracts as contracts
    left join {{ s.staging }}.stg_hubspot__owners as owners
        on owners.owner_id = contracts.sales_rep_id
    left join {{ s.staging }}.stg_hubspot__companies as companies
        on companies.company_id = contracts.client_id
),

first_paid as (
    select contract_code, invoice_number, currency, total, due_date, paid_date
    from (
        select
            contract_code, invoice_number, currency, total, due_date, paid_date,
            row_number() over (
                partition by contract_code order by paid_date, {{ d.sort_key('invoice_number') }}
            ) as n
        from {{ s.build }}.invoices
        where kind = 'invoice' and status = 'PAID'
    ) as paid
    where n = 1
),

activations as (
    select
        contracts.*,
        first_paid.invoice_number,
        first_paid.total,
        first_paid.due_date,
        events.changed_on as event_date
    from {{ s.build }}.int_contract_events as events
    inner join contracts on contracts.contract_code = events.contract_code
    inner join first_paid on first_paid.contract_code = events.contract_code
    where events.status = 'ACTIVE'
),

overdue as (
    select
        invoices.invoice_number, invoices.contract_code, invoices.client_name,
        invoices.currency, invoices.total, invoices.balance_due, invoices.due_date,
        invoices.days_past_due, contracts.project_name, contracts.sales_rep_name,
        contracts.billing_email
    from {{ s.build }}.invoices as invoices
    left join contracts on contracts.contract_code = invoices.contract_code
    where invoices.kind = 'invoice' and invoices.status = 'OVERDUE'
),

reminder_days as (
    {% for day in cfg.reminder_days %}
    select {{ day | int }} as reminder_day{% if not loop.last %} union all{% endif %}

    {% else %}
    select cast(null as integer) as reminder_day where false
    {% endfor %}
),

reminders_sent as (
    select invoice_number, max(reminder_day) as last_day
    from {{ s.marts }}.reminders
    group by invoice_number
),

reminders as (
    select overdue.invoice_number, max(reminder_days.reminder_day) as reminder_day
    from overdue
    cross join reminder_days
    where cast(overdue.due_date + reminder_days.reminder_day as date) <= {{ as_of }}
    group by overdue.invoice_number
),

messages as (
    select
        'kickoff:' || contract_code as message_key,
        'kickoff' as kind,
        'project_management' as recipient_role,
        project_name as recipient_name,
        cast(null as text) as recipient_address,
        contract_code, invoice_number, client_name, project_name, sales_rep_name, currency,
        total, cast(0 as {{ d.money }}) as balance_due, due_date, event_date,
        cast(null as integer) as days_past_due, cast(null as integer) as reminder_day
    from activations
    union all
    select
        'notify_sales:' || contract_code, 'notify_sales', 'sales_rep', sales_rep_name,
        sales_rep_email,
        contract_code, invoice_number, client_name, project_name, sales_rep_name, currency,
        total, cast(0 as {{ d.money }}), due_date, event_date,
        cast(null as integer), cast(null as integer)
    from activations
    union all
    select
        'overdue_client:' || invoice_number, 'overdue_client', 'client', client_name,
        billing_email,
        contract_code, invoice_number, client_name, project_name, sales_rep_name, currency,
        total, balance_due, due_date, cast(due_date + 1 as date),
        days_past_due, cast(null as integer)
    from overdue
    union all
    select
        'overdue_accounting:' || invoice_number, 'overdue_accounting', 'accounting', 'Accounting',
        '{{ cfg.accounting_address | replace("'", "''") }}',
        contract_code, invoice_number, client_name, project_name, sales_rep_name, currency,
        total, balance_due, due_date, cast(due_date + 1 as date),
        days_past_due, cast(null as integer)
    from overdue
    union all
    select
        'reminder:' || overdue.invoice_number || ':' || cast(reminders.reminder_day as text),
        'reminder', 'client', overdue.client_name, overdue.billing_email,
        overdue.contract_code, overdue.invoice_number, overdue.client_name,
        overdue.project_name, overdue.sales_rep_name, overdue.currency,
        overdue.total, overdue.balance_due, overdue.due_date,
        cast(overdue.due_date + reminders.reminder_day as date),
        overdue.days_past_due, reminders.reminder_day
    from reminders
    inner join overdue on overdue.invoice_number = reminders.invoice_number
    left join reminders_sent on reminders_sent.invoice_number = reminders.invoice_number
    where reminders.reminder_day > coalesce(reminders_sent.last_day, 0)
),

final as (
    select messages.*
    from messages
    where messages.message_key not in (select message_key from {{ s.marts }}.outbox)
      and (select allowed from may_create)
)

select * from final
