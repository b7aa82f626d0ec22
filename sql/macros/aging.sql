{#- The aging bucket of a days-past-due figure; bounds from setting aging_bucket_days. -#}
{% macro bucket(days) -%}
case
    when {{ days }} <= 0 then 'current'
{%- set lower = namespace(value=1) %}
{%- for upper in cfg.aging_bucket_days %}
    when {{ days }} <= {{ upper }} then '{{ lower.value }}-{{ upper }}'
{%- set lower.value = upper + 1 %}
{%- endfor %}
    else '{{ cfg.aging_bucket_days[-1] }}+'
end
{%- endmacro %}

{#- the bucket's sort position, so reports order buckets by age, not alphabetically -#}
{% macro bucket_order(days) -%}
case
    when {{ days }} <= 0 then 0
{%- for upper in cfg.aging_bucket_days %}
    when {{ days }} <= {{ upper }} then {{ loop.index }}
{%- endfor %}
    else {{ cfg.aging_bucket_days | length + 1 }}
end
{%- endmacro %}

{#- every bucket as rows (bucket, bucket_order), in age order, to zero-fill aging tables -#}
{% macro buckets() -%}
select 'current' as bucket, 0 as bucket_order
{%- set lower = namespace(value=1) %}
{%- for upper in cfg.aging_bucket_days %}
union all select '{{ lower.value }}-{{ upper }}', {{ loop.index }}
{%- set lower.value = upper + 1 %}
{%- endfor %}
union all select '{{ cfg.aging_bucket_days[-1] }}+', {{ cfg.aging_bucket_days | length + 1 }}
{%- endmacro %}
