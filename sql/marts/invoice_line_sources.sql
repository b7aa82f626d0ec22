{#- Lineage: each issued line and the source records it was computed from. #}
with existing as (
    select invoice_number, line_no, source, stream, record_id, minutes
    from {{ s.marts }}.invoice_line_sources
),

new_sources as (
    select invoices.invoice_number, sources.line_no, sources.source, sources.stream, sources.record_id,
        sources.minutes
    from {{ s.build }}.int_issued_invoices as invoices
    inner join {{ s.build }}.int_draft_line_sources as sources on sources.draft_key = invoices.draft_key
    where invoices.is_new
),

final as (
    select * from existing
    union all
    select * from new_sources
)

select * from final
