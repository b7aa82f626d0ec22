{#- Reading vendor text: timestamps, dates, numbers. Session time zone = company time zone. -#}

{% macro ts(text) -%}
{{ d.try_cast(text, 'timestamptz') }}
{%- endmacro %}

{#- the calendar date of an ISO timestamp in the company time zone -#}
{% macro local_date(text) -%}
cast({{ ts(text) }} as date)
{%- endmacro %}

{#- a YYYY-MM-DD date, and nothing else (engines differ on what else they would accept) -#}
{% macro iso_date(text) -%}
case when {{ d.matches(text, '[0-9]{4}-[0-9]{2}-[0-9]{2}') }} then {{ d.try_cast(text, 'date') }} end
{%- endmacro %}

{#- the UTC calendar date written in an ISO timestamp or date -#}
{% macro utc_date(text) -%}
{{ iso_date('substr(' ~ text ~ ', 1, 10)') }}
{%- endmacro %}

{#- HubSpot date properties: YYYY-MM-DD, UTC-midnight ISO, or epoch milliseconds -#}
{% macro hubspot_date(text) -%}
case
    when length({{ text }}) >= 11 and {{ d.try_cast(text, 'bigint') }} is not null
        then {{ d.epoch_date_utc(d.int_div(d.try_cast(text, 'bigint'), '1000')) }}
    else {{ utc_date(text) }}
end
{%- endmacro %}

{% macro decimal(text, type='decimal(18,3)') -%}
{{ d.try_cast(text, type) }}
{%- endmacro %}

{% macro integer(text) -%}
{{ d.try_cast(text, 'bigint') }}
{%- endmacro %}

{#- true when a decimal text has at most `places` decimals (no rounding hidden in a cast) -#}
{% macro has_places(text, places) -%}
({{ d.try_cast(text, 'decimal(38,10)') }} = {{ d.try_cast(text, 'decimal(38,' ~ places ~ ')') }})
{%- endmacro %}
