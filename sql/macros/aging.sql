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
