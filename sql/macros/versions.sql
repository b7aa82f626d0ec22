{#- The newest version of every record of a stream: the subquery staging models read. -#}
{% macro latest(source, stream) -%}
(
    select record_id, payload as r, page
    from (
        select
            record_id,
            payload,
            page,
            row_number() over (
                partition by record_id
                order by {{ d.try_cast('updated_at', 'timestamptz') }} desc nulls last,
                    landed_seq desc, version desc
            ) as newest
        from {{ inputs.records }}
        where source = '{{ source }}' and stream = '{{ stream }}'
    ) as versions
    where newest = 1
)
{%- endmacro %}
