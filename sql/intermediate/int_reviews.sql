{#-
  Review decisions (`billflow review release|discard`, in audit.commands) that apply to this
  run: the latest decision on each draft, dated on or before as_of, with the fingerprint of
  the lines it was made on. A release issues the draft only while its lines are unchanged;
  a discard keeps it from being drafted again until its evidence changes.
#}
with decisions as (
    select
        target as draft_key,
        case command when 'review.release' then 'RELEASED' else 'DISCARDED' end as decision,
        details->>'evidence_hash' as evidence_hash,
        details->>'note' as note,
        actor,
        acted_on,
        row_number() over (
            partition by target order by acted_on desc, acted_at desc, command_id desc
        ) as newest
    from {{ s.audit }}.commands
    where command in ('review.release', 'review.discard') and acted_on <= {{ as_of }}
),

final as (
    select
        decisions.draft_key,
        decisions.decision,
        decisions.evidence_hash,
        decisions.note,
        decisions.actor,
        decisions.acted_on,
        coalesce(drafts.evidence_hash = decisions.evidence_hash, false) as applies
    from decisions
    left join {{ s.build }}.int_drafts as drafts on drafts.draft_key = decisions.draft_key
    where decisions.newest = 1
)

select * from final
