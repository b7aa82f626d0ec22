{#-
  IC-03: every installment of every payment schedule, with its trigger and where it stands:
  PLANNED (trigger not met), DUE (met, its invoice not issued yet: a draft), INVOICED, PAID,
  VOID. The amounts of a contract's installments add up to its total exactly.
#}
with invoiced as (
    select draft_key, invoice_number, status
    from {{ s.build }}.invoices
    where kind = 'invoice'
),

final as (
    select
        installments.contract_code,
        cast(installments.installment_no as integer) as installment_no,
        installments.installments,
        installments.percent,
        installments.trigger_type,
        installments.trigger_ref,
        installments.label,
        case when installments.due_trigger_date <= {{ as_of }} then installments.due_trigger_date end
            as triggered_on,
        installments.amount,
        invoiced.invoice_number,
        case
            when invoiced.status = 'PAID' then 'PAID'
            when invoiced.status = 'VOID' then 'VOID'
            when invoiced.invoice_number is not null then 'INVOICED'
            when installments.due_trigger_date <= {{ as_of }} then 'DUE'
            else 'PLANNED'
        end as status,
        {{ as_of }} as as_of
    from {{ s.build }}.int_installments as installments
    left join invoiced on invoiced.draft_key = installments.draft_key
)

select * from final
