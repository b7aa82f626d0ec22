{#-
  Effective payments matched to invoices by metadata.invoice_number (same currency). Several
  payments on one invoice apply in order of arrival (date, event time, event id), each up to
  the balance the earlier ones and any credit notes left; what does not fit stays unapplied.
#}
with payments as (
    select payments.*, currencies.unit, currencies.minor_factor
    from {{ s.staging }}.stg_stripe__payments as payments
    inner join {{ s.staging }}.currencies as currencies on currencies.code = payments.currency
    where payments.payment_date <= {{ as_of }}
),

{#- credit notes reduce what a payment can settle from their date on: a payment made before
    an invoice was credited stays applied (the client is then owed the difference) #}
credit_notes as (
    select credits_invoice_number as invoice_number, issue_date, -total as amount
    from {{ s.build }}.int_issued_invoices
    where kind = 'credit_note' and issue_date <= {{ as_of }}
),

matched as (
    select
        payments.*,
        invoices.invoice_number,
        invoices.currency as invoice_currency,
        {{ money.round_to_minor(
            'invoices.total - coalesce((select sum(notes.amount) from credit_notes as notes '
            ~ 'where notes.invoice_number = invoices.invoice_number '
            ~ 'and notes.issue_date <= payments.payment_date), 0)',
            'payments.minor_factor') }} as invoice_total_minor,
        case
            when payments.invoice_number_ref is null then 'no invoice_number in the payment metadata'
            when invoices.invoice_number is null
                then 'invoice ' || payments.invoice_number_ref || ' does not exist'
            when invoices.kind <> 'invoice'
                then payments.invoice_number_ref || ' is a credit note, not an invoice'
            when invoices.currency <> payments.currency
                then 'currency ' || payments.currency || ' differs from invoice '
                    || invoices.invoice_number || ' in ' || invoices.currency
        end as unmatched_reason
    from payments
    left join {{ s.build }}.int_issued_invoices as invoices
        on invoices.invoice_number = payments.invoice_number_ref
),

ordered as (
    select
        matched.*,
        coalesce(sum(case when unmatched_reason is null then amount_minor end) over (
            partition by invoice_number
            order by payment_date, created_epoch, {{ d.sort_key('event_id') }}
            rows between unbounded preceding and 1 preceding
        ), 0) as paid_before_minor
    from matched
),

final as (
    select
        ordered.*,
        case
            when unmatched_reason is not null then 0
            else least(amount_minor, greatest(invoice_total_minor - paid_before_minor, 0))
        end as applied_minor
    from ordered
)

select * from final
