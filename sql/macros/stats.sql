{#-
  Shares and averages of counts, exact: integer arithmetic rounded half-up once, as money is
  (DECIMAL division would turn into DOUBLE on DuckDB). NULL when there is nothing to divide.
-#}

{#- part / whole as a fraction with six places (0.416667), half-up -#}
{% macro share(part, whole) -%}
case when ({{ whole }}) > 0 then cast(cast({{ money.half_up_div('cast(' ~ part ~ ' as ' ~ d.wide_int ~ ') * 1000000', 'cast(' ~ whole ~ ' as ' ~ d.wide_int ~ ')') }} as decimal(18,0)) * 0.000001 as decimal(9,6)) end
{%- endmacro %}

{#- total / count with two places (6.33), half-up -#}
{% macro average(total, count) -%}
case when ({{ count }}) > 0 then cast(cast({{ money.half_up_div('cast(' ~ total ~ ' as ' ~ d.wide_int ~ ') * 100', 'cast(' ~ count ~ ' as ' ~ d.wide_int ~ ')') }} as decimal(18,0)) * 0.01 as decimal(9,2)) end
{%- endmacro %}
