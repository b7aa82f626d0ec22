{#-
  Record versions raw does not hold yet; a version seen twice in one landing is kept once.
  A record with an updated time is new when that time is new. A record without one is
  versioned by the hash of its content and is new when that hash differs from the newest
  stored version's, so content that changes back (7500 -> 8000 -> 7500) is landed again,
  under a version suffixed with the landing number.
-#}
with candidates as (
    select
        l.*,
        row_number() over (
            partition by l.source, l.stream, l.record_id, coalesce(l.updated_at, l.payload_hash)
            order by l.page
        ) as copy_no
    from landing_records as l
),

newest_hashed as (
    select source, stream, record_id, payload_hash
    from (
        select
            source, stream, record_id, payload_hash,
            row_number() over (
                partition by source, stream, record_id order by landed_seq desc, version desc
            ) as newest
        from {{ s.raw }}.records
        where updated_at is null
    ) as stored
    where newest = 1
),

final as (
    select
        c.source,
        c.stream,
        c.record_id,
        case
            when c.updated_at is not null then c.updated_at
            when exists (
                select 1 from {{ s.raw }}.records as stored
                where stored.source = c.source and stored.stream = c.stream
                  and stored.record_id = c.record_id and stored.version = c.payload_hash
            ) then c.payload_hash || '@' || cast({{ seq }} as text)
            else c.payload_hash
        end as version,
        c.updated_at,
        c.payload_hash,
        c.payload,
        c.page
    from candidates as c
    where c.copy_no = 1
      and (
        (c.updated_at is not null and not exists (
            select 1 from {{ s.raw }}.records as stored
            where stored.source = c.source and stored.stream = c.stream
              and stored.record_id = c.record_id and stored.version = c.updated_at
        ))
        or (c.updated_at is null and not exists (
            select 1 from newest_hashed as n
            where n.source = c.source and n.stream = c.stream
              and n.record_id = c.record_id and n.payload_hash = c.payload_hash
        ))
      )
)

select * from final
