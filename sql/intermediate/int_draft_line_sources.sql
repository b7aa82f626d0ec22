{#- Lineage of every proposed line: the source records it was computed from. -#}
with time_sources as (
    select
        lines.draft_key,
        lines.line_no,
        'teamwork' as source,
        'time' as stream,
        entries.entry_id as record_id
    from {{ s.build }}.int_draft_lines as lines
    inner join {{ s.build }}.int_time_entries as entries
        on entries.draft_key = lines.draft_key
        and entries.person_id = lines.person_id
        and entries.disposition = 'billable'
    where lines.line_type = 'time'
),

milestone_sources as (
    select draft_key, line_no, 'teamwork' as source, 'milestones' as stream, trigger_id as record_id
    from {{ s.build }}.int_draft_lines
    where line_type = 'milestone'
),

final as (
    select * from time_sources
    union all
    select * from milestone_sources
)

select * from final
