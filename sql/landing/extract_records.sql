{#- The records of one stream's pages, keyed and versioned; no parsing beyond the key. #}
insert into landing_records
select
    '{{ stream.source }}' as source,
    '{{ stream.name }}' as stream,
    page,
    {{ id_sql }} as record_id,
    {{ updated_sql }} as updated_at,
    md5({{ d.json_text('r') }}) as payload_hash,
    r as payload
from (
    select page, {{ d.json_records('content', stream.records_key) }} as r
    from landing_pages
    where page in ({{ pages }})
) as records
