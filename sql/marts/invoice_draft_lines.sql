{#- The lines of every draft this run did not issue: what a reviewer releases or discards. #}
with final as (
    select
        lines.draft_key,
        cast(lines.line_no as integer) as line_no,
        lines.line_type,
        lines.description,
        lines.person_id,
        lines.task_id,
        lines.minutes,
        lines.quantity,
        lines.unit_price,
        lines.amount,
        lines.tax_inclusive,
        lines.reference,
        {{ as_of }} as as_of
    from {{ s.build }}.int_draft_lines as lines
    where lines.draft_key not in (
        select draft_key from {{ s.build }}.int_issued_invoices where is_new
    )
)

select * from final
