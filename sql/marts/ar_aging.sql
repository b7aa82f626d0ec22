{#- Open receivables at as_of, one row per invoice with a balance, by days past due. #}
with open_invoices as (
    select *
    from {{ s.build }}.invoices
    where balance_due > 0 and issue_date <= {{ as_of }}
),

final as (
    select
        {{ as_of }} as as_of,
        invoice_number,
        contract_code,
        client_id,
        client_name,
        currency,
        issue_date,
        due_date,
        status,
        cast({{ as_of }} - due_date as integer) as days_past_due,
        {{ aging.bucket('(' ~ as_of ~ ' - due_date)') }} as bucket,
        {{ aging.bucket_order('(' ~ as_of ~ ' - due_date)') }} as bucket_order,
        total,
        balance_due
    from open_invoices
)

select * from final
