{#-
  Each contract's installments, invoices and payments as events on one time axis:
    installment  the day its trigger was met; a planned date trigger at its date (a planned
                 milestone has no date yet and is left out) (marts.installments)
    invoice      its due date, with its status and balance (marts.invoices; credit notes,
                 which are not due, left out)
    payment      the day money was applied to one of the contract's invoices; refunds and lost
                 disputes as negative amounts (marts.payment_applications)
#}
with contracts as (
    select contract_code, client_name, currency
    from {{ s.marts }}.contracts
),

installments as (
    select
        contract_code,
        'installment' as event,
        coalesce(
            triggered_on,
            case when trigger_type = 'date' then {{ parse.iso_date('trigger_ref') }} end
        ) as event_date,
        label as reference,
        status,
        amount,
        cast(null as decimal(18, 3)) as balance
    from {{ s.marts }}.installments
),

invoices as (
    select
        contract_code,
        'invoice' as event,
        due_date as event_date,
        invoice_number as reference,
        status,
        total as amount,
        balance_due as balance
    from {{ s.marts }}.invoices
    where kind = 'invoice'
),

payments as (
    select
        invoices.contract_code,
        'payment' as event,
        applications.applied_date as event_date,
        applications.invoice_number as reference,
        applications.kind as status,
        applications.applied_amount as amount,
        cast(null as decimal(18, 3)) as balance
    from {{ s.marts }}.payment_applications as applications
    inner join {{ s.marts }}.invoices as invoices
        on invoices.invoice_number = applications.invoice_number
),

events as (
    select * from installments
    union all select * from invoices
    union all select * from payments
),

final as (
    select
        events.contract_code,
        contracts.client_name,
        contracts.currency,
        events.event,
        events.event_date,
        events.reference,
        events.status,
        events.amount,
        events.balance
    from events
    inner join contracts on contracts.contract_code = events.contract_code
    where events.event_date is not null{% if currency %} and contracts.currency = {{ currency }}{% endif %}
)

select * from final
order by contract_code, event_date, event, reference
