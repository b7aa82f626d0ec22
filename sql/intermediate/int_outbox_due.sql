{#-
  The messages this run puts in the outbox (DESIGN, Outbox; 003 CF-06 and OVERDUE), one row per
  message whose fact holds at as_of and whose key the outbox does not hold yet:
    kickoff, notify_sales                the contract reached ACTIVE (its first invoice paid)
    overdue_client, overdue_accounting   the invoice is OVERDUE
    reminder                             the invoice is OVERDUE and due_date + N <= as_of for
                                         a reminder day N (cfg.reminder_days) higher than any
                                         reminder sent for it: only the highest day reached
                                         is sent, the days skipped are never sent
    deal_amounts                         CRM write-back (setting hubspot_writeback): the
                                         contract's amounts invoiced, paid and overdue at
                                         as_of differ from the last ones queued for its deal
                                         (marts.deal_writebacks), or none were; at most one
                                         per deal and day (key deal_amounts:<deal>:<as_of>)
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

deal_amounts as (
    select
        'deal_amounts:' || contracts.deal_id || ':' || cast({{ as_of }} as text) as message_key,
        contracts.deal_id,
        contracts.contract_code,
        contracts.currency,
        cast(contracts.amount_invoiced as {{ d.money }}) as amount_invoiced,
        cast(contracts.amount_paid as {{ d.money }}) as amount_paid,
        cast(coalesce(overdue_sums.amount_overdue, 0) as {{ d.money }}) as amount_overdue
    from contracts
    left join (
        select contract_code, sum(balance_due) as amount_overdue
        from overdue
        group by contract_code
    ) as overdue_sums on overdue_sums.contract_code = contracts.contract_code
    where {{ 'true' if cfg.deal_amounts_queued else 'false' }}
),

last_written as (
    select deal_id, currency, amount_invoiced, amount_paid, amount_overdue
    from (
        select
            deal_id, currency, amount_invoiced, amount_paid, amount_overdue,
            row_number() over (partition by deal_id order by amounts_as_of desc) as n
        from {{ s.marts }}.deal_writebacks
    ) as written
    where n = 1
),

deal_amounts_due as (
    select deal_amounts.*
    from deal_amounts
    left join last_written on last_written.deal_id = deal_amounts.deal_id
    where last_written.deal_id is null
       or last_written.currency <> deal_amounts.currency
       or last_written.amount_invoiced <> deal_amounts.amount_invoiced
       or last_written.amount_paid <> deal_amounts.amount_paid
       or last_written.amount_overdue <> deal_amounts.amount_overdue
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
    union all
    select
        due.message_key, 'deal_amounts', 'crm', 'HubSpot', due.deal_id,
        due.contract_code, cast(null as text), contracts.client_name, contracts.project_name,
        contracts.sales_rep_name, due.currency,
        cast(null as {{ d.money }}), cast(null as {{ d.money }}), cast(null as date), {{ as_of }},
        cast(null as integer), cast(null as integer)
    from deal_amounts_due as due
    inner join contracts on contracts.contract_code = due.contract_code
),

final as (
    select
        messages.*,
        deal_amounts_due.deal_id,
        deal_amounts_due.amount_invoiced,
        deal_amounts_due.amount_paid,
        deal_amounts_due.amount_overdue
    from messages
    left join deal_amounts_due on deal_amounts_due.message_key = messages.message_key
    where messages.message_key not in (select message_key from {{ s.marts }}.outbox)
      and (select allowed from may_create)
)

select * from final
