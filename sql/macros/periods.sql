{#-
  Billing periods (docs/billing.md): monthly calendar months, weekly ISO weeks (Monday to
  Sunday), bi-weekly two-week cycles from the contract's anchor (effective, else signing date).
-#}

{#- floor(numerator / denominator) for integers, denominator > 0 -#}
{% macro floor_div(numerator, denominator) -%}
case
    when ({{ numerator }}) >= 0 then {{ d.int_div(numerator, denominator) }}
    else -{{ d.int_div('-(' ~ numerator ~ ') + (' ~ denominator ~ ') - 1', denominator) }}
end
{%- endmacro %}

{% macro first_day(day, cycle, anchor) -%}
case {{ cycle }}
    when 'weekly' then cast(date_trunc('week', {{ day }}) as date)
    when 'biweekly' then cast({{ anchor }} + cast(14 * ({{ floor_div('(' ~ day ~ ') - (' ~ anchor ~ ')', '14') }}) as integer) as date)
    else cast(date_trunc('month', {{ day }}) as date)
end
{%- endmacro %}

{% macro last_day(period_start, cycle) -%}
case {{ cycle }}
    when 'weekly' then cast({{ period_start }} + 6 as date)
    when 'biweekly' then cast({{ period_start }} + 13 as date)
    else cast({{ period_start }} + interval '1 month' - interval '1 day' as date)
end
{%- endmacro %}

{#- the period's id in natural keys: 2026-03 for a month, the start date otherwise -#}
{% macro id(period_start, cycle) -%}
case {{ cycle }}
    when 'monthly' then {{ d.year_month(period_start) }}
    else cast({{ period_start }} as text)
end
{%- endmacro %}

{#- the period after `period_start` -#}
{% macro next_start(period_start, cycle) -%}
case {{ cycle }}
    when 'weekly' then cast({{ period_start }} + 7 as date)
    when 'biweekly' then cast({{ period_start }} + 14 as date)
    else cast({{ period_start }} + interval '1 month' as date)
end
{%- endmacro %}
