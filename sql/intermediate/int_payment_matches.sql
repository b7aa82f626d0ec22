{#-
  Effective payments matched to invoices, in DESIGN's order (docs/decisions.md, Payments):
    1. by reference: metadata.invoice_number names an invoice of the same currency; several
       payments on one invoice apply in order of arrival (date, event time, event id), each up
       to the balance the earlier ones and any credit notes left;
    2. by exact amount: a payment with no invoice_number, of a known client, takes the
       client's oldest invoice in that currency whose open amount is exactly the payment and
       that no payment names (the k-th such payment of an amount takes the k-th such invoice);
    3. otherwise it is unapplied, with the reason.
  The client of a payment: its invoice's, else its metadata.contract_code's, else the one
  client whose invoices the same Stripe customer's other payments name. What exceeds the
  balance of its invoice is client credit (int_client_credits applies it).
#}
with payments as (
    select payments.*, currencies.unit, currencies.minor_factor
    from {{ s.staging }}.stg_stripe__payments as payments
    inner join {{ s.staging }}.currencies as currencies on currencies.code = payments.currency
    where payments.payment_date <= {{ as_of }}
),

invoices as (
    select invoice_number, kind, client_id, currency, issue_date, total
    from {{ s.build }}.int_issued_invoices
    where issue_date <= {{ as_of }}
),

{#- credit notes reduce what a payment can settle from their date on: a payment made before
    an invoice was credited stays applied (the client is then owed the difference) #}
credit_notes as (
    select credits_invoice_number as invoice_number, issue_date, -total as amount
    from {{ s.build }}.int_issued_invoices
    where kind = 'credit_note' and issue_date <= {{ as_of }}
),

customer_clients as (
    select payments.customer_id, min(invoices.client_id) as client_id
    from payments
    inner join invoices on invoices.invoice_number = payments.invoice_number_ref
    where payments.customer_id is not null and invoices.client_id is not null
    group by payments.customer_id
    having count(distinct invoices.client_id) = 1
),

contract_clients as (
    select contract_code, min(client_id) as client_id
    from {{ s.build }}.int_contracts
    group by contract_code
),

identified as (
    select
        payments.*,
        coalesce(referenced.client_id, contract_clients.client_id, customer_clients.client_id)
            as client_id
    from payments
    left join invoices as referenced on referenced.invoice_number = payments.invoice_number_ref
    left join contract_clients on contract_clients.contract_code = payments.contract_code_ref
    left join customer_clients on customer_clients.customer_id = payments.customer_id
),

{#- step 2 candidates: invoices no payment names, with their amount open after credit notes #}
unreferenced_invoices as (
    select
        invoices.invoice_number,
        invoices.client_id,
        invoices.currency,
        invoices.issue_date,
        {{ money.round_to_minor(
            'invoices.total - coalesce((select sum(notes.amount) from credit_notes as notes '
            ~ 'where notes.invoice_number = invoices.invoice_number), 0)',
            'currencies.minor_factor') }} as open_minor
    from invoices
    inner join {{ s.staging }}.currencies as currencies on currencies.code = invoices.currency
    where invoices.kind = 'invoice'
      and invoices.client_id is not null
      and invoices.invoice_number not in (
        select invoice_number_ref from payments where invoice_number_ref is not null
      )
),

exact_invoices as (
    select
        unreferenced_invoices.*,
        row_number() over (
            partition by client_id, currency, open_minor
            order by issue_date, {{ d.sort_key('invoice_number') }}
        ) as pick
    from unreferenced_invoices
    where open_minor > 0
),

exact_payments as (
    select
        identified.*,
        row_number() over (
            partition by client_id, currency, amount_minor
            order by payment_date, created_epoch, {{ d.sort_key('event_id') }}
        ) as pick
    from identified
    where invoice_number_ref is null and client_id is not null
),

exact as (
    select exact_payments.event_id, exact_invoices.invoice_number
    from exact_payments
    inner join exact_invoices
        on exact_invoices.client_id = exact_payments.client_id
        and exact_invoices.currency = exact_payments.currency
        and exact_invoices.open_minor = exact_payments.amount_minor
        and exact_invoices.pick = exact_payments.pick
        and exact_invoices.issue_date <= exact_payments.payment_date
),

matched as (
    select
        identified.*,
        case
            when identified.invoice_number_ref is not null then referenced.invoice_number
            else exact.invoice_number
        end as invoice_number,
        case
            when identified.invoice_number_ref is not null then 'invoice_number'
            when exact.invoice_number is not null then 'exact_amount'
        end as matched_by,
        case
            when identified.invoice_number_ref is null and exact.invoice_number is not null then null
            when identified.invoice_number_ref is null and identified.client_id is null
                then 'no invoice_number in the payment metadata, and no client known for '
                    || coalesce('customer ' || identified.customer_id, 'the payment')
            when identified.invoice_number_ref is null
                then 'no invoice_number in the payment metadata, and no open invoice of the client '
                    || 'for exactly this amount'
            when referenced.invoice_number is null
                then 'invoice ' || identified.invoice_number_ref || ' does not exist'
            when referenced.kind <> 'invoice'
                then identified.invoice_number_ref || ' is a credit note, not an invoice'
            when referenced.currency <> identified.currency
                then 'currency ' || identified.currency || ' differs from invoice '
                    || referenced.invoice_number || ' in ' || referenced.currency
        end as unmatched_reason
    from identified
    left join invoices as referenced on referenced.invoice_number = identified.invoice_number_ref
    left join exact on exact.event_id = identified.event_id
),

balances as (
    select
        matched.*,
        {{ money.round_to_minor(
            'invoices.total - coalesce((select sum(notes.amount) from credit_notes as notes '
            ~ 'where notes.invoice_number = invoices.invoice_number '
            ~ 'and notes.issue_date <= matched.payment_date), 0)',
            'matched.minor_factor') }} as invoice_total_minor
    from matched
    left join invoices on invoices.invoice_number = matched.invoice_number
),

ordered as (
    select
        balances.*,
        coalesce(sum(case when unmatched_reason is null then amount_minor end) over (
            partition by invoice_number
            order by payment_date, created_epoch, {{ d.sort_key('event_id') }}
            rows between unbounded preceding and 1 preceding
        ), 0) as paid_before_minor
    from balances
),

final as (
    select
        event_id,
        payment_id,
        charge_id,
        amount_minor,
        currency,
        unit,
        minor_factor,
        customer_id,
        invoice_number_ref,
        contract_code_ref,
        created_epoch,
        payment_date,
        client_id,
        case when unmatched_reason is null then invoice_number end as invoice_number,
        case when unmatched_reason is null then matched_by end as matched_by,
        unmatched_reason,
        applied_minor,
        case when unmatched_reason is null then amount_minor - applied_minor else 0 end
            as excess_minor
    from (
        select
            ordered.*,
            case
                when unmatched_reason is not null then 0
                else least(amount_minor, greatest(invoice_total_minor - paid_before_minor, 0))
            end as applied_minor
        from ordered
    ) as applied
)

select * from final
