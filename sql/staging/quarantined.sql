{#- The records of one staging model that broke a rule, with their payload as received. #}
select
    '{{ source }}' as source,
    '{{ stream }}' as stream,
    cast(checked.{{ id_column }} as text) as record_id,
    checked._rule as rule,
    latest.r as payload,
    latest.page
from {{ s.staging }}.{{ model }}__checked as checked
inner join {{ versions.latest(source, stream) }} as latest
    on latest.record_id = cast(checked.{{ id_column }} as text)
where checked._rule is not null
