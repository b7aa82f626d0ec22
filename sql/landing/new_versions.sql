{#-
  Record versions raw does not hold yet; a version seen twice in one landing is kept once.
  A record is new when its content differs from the newest stored version with the same
  updated time (or, without an updated time, from its newest hashed version), so nothing a
  source sends is dropped: content that changes under an unchanged updated time is landed
  under `<updated time>#<hash>`, and content that changes back (7500 -> 8000 -> 7500) is
  landed again, its version suffixed with the landing number (one per batch of pages).
  `stored` is raw.records (or a dry run's view of raw plus what it landed); only the stored
  versions of the records in this batch are read.
#}
with candidates as (
    select
        l.*,
        coalesce(l.updated_at, '') as time_group,
        row_number() over (
            partition by l.source, l.stream, l.record_id, coalesce(l.updated_at, l.payload_hash)
            order by l.page
        ) as copy_no
    from landing_records as l
),

stored_here as (
    select r.source, r.stream, r.record_id, r.version, r.updated_at, r.payload_hash,
        r.landed_seq
    from {{ stored }} as r
    where exists (
        select 1 from landing_records as l
        where l.source = r.source and l.stream = r.stream and l.record_id = r.record_id
    )
),

newest_stored as (
    select source, stream, record_id, time_group, payload_hash
    from (
        select
            source, stream, record_id, payload_hash,
            coalesce(updated_at, '') as time_group,
            row_number() over (
                partition by source, stream, record_id, coalesce(updated_at, '')
                order by landed_seq desc, version desc
            ) as newest
        from stored_here
    ) as stored
    where newest = 1
),

fresh as (
    select
        c.*,
        coalesce(c.updated_at, c.payload_hash) as first_version,
        case when c.updated_at is null then c.payload_hash
            else c.updated_at || '#' || c.payload_hash end as changed_version
    from candidates as c
    where c.copy_no = 1
      and not exists (
        select 1 from newest_stored as n
        where n.source = c.source and n.stream = c.stream and n.record_id = c.record_id
          and n.time_group = c.time_group and n.payload_hash = c.payload_hash
      )
),

final as (
    select
        f.source,
        f.stream,
        f.record_id,
        case
            when not exists (
                select 1 from stored_here as stored
                where stored.source = f.source and stored.stream = f.stream
                  and stored.record_id = f.record_id and stored.version = f.first_version
            ) then f.first_version
            when not exists (
                select 1 from stored_here as stored
                where stored.source = f.source and stored.stream = f.stream
                  and stored.record_id = f.record_id and stored.version = f.changed_version
            ) then f.changed_version
            else f.changed_version || '@' || cast({{ seq }} as text)
        end as version,
        f.updated_at,
        f.payload_hash,
        f.payload,
        f.page
    from fresh as f
)

select * from final
