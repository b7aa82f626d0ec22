{#- Lines of every issued document: those already issued, plus the lines of today's invoices. #}
with existing as (
    select
        invoice_number, line_no, line_type, description, person_id, task_id, minutes, quantity,
        unit_price, amount, tax_inclusive, reference
    from {{ s.marts }}.invoice_lines
),

new_lines as (
    select
        invoices.invoice_number,
        lines.line_no,
        lines.line_type,
        lines.description,
        lines.person_id,
        lines.task_id,
        lines.minutes,
        lines.quantity,
        lines.unit_price,
        lines.amount,
        lines.tax_inclusive,
        lines.reference
    from {{ s.build }}.int_issued_invoices as invoices
    inner join {{ s.build }}.int_draft_lines as lines on lines.draft_key = invoices.draft_key
    where invoices.is_new
),

final as (
    select * from existing
    union all
    select * from new_lines
)

select * from final
