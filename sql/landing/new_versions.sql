{#- Record versions not yet in raw; a version seen twice in one landing is kept once. -#}
select source, stream, record_id, version, updated_at, payload_hash, payload, page
from (
    select
        l.*,
        coalesce(l.updated_at, l.payload_hash) as version,
        row_number() over (
            partition by l.source, l.stream, l.record_id, coalesce(l.updated_at, l.payload_hash)
            order by l.page
        ) as copy_no
    from landing_records as l
) as candidates
where copy_no = 1
  and not exists (
    select 1
    from {{ s.raw }}.records as stored
    where stored.source = candidates.source
      and stored.stream = candidates.stream
      and stored.record_id = candidates.record_id
      and stored.version = candidates.version
  )
