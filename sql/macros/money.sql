{#-
  The one rounding rule of billflow: half-up, halves away from zero, to the currency's minor
  unit. Every amount is computed as an integer number of minor units with exact integer
  arithmetic (DECIMAL division would turn into DOUBLE on DuckDB), then shown as money.
-#}

{#- round(numerator / denominator), halves away from zero; both integer expressions, denominator > 0 -#}
{% macro half_up_div(numerator, denominator) -%}
(sign({{ numerator }}) * {{ d.int_div('2 * abs(' ~ numerator ~ ') + (' ~ denominator ~ ')', '2 * (' ~ denominator ~ ')') }})
{%- endmacro %}

{#- minor units for `minutes` of work at `rate_minor` minor units per hour -#}
{% macro time_amount_minor(minutes, rate_minor) -%}
{{ half_up_div('cast(' ~ minutes ~ ' as ' ~ d.wide_int ~ ') * cast(' ~ rate_minor ~ ' as ' ~ d.wide_int ~ ')', '60') }}
{%- endmacro %}

{#- tax on a net amount (minor units) at a rate given in millionths -#}
{% macro tax_on_net_minor(net_minor, rate_ppm) -%}
{{ half_up_div('cast(' ~ net_minor ~ ' as ' ~ d.wide_int ~ ') * (' ~ rate_ppm ~ ')', '1000000') }}
{%- endmacro %}

{#- tax contained in a tax-inclusive gross amount: gross x r / (1 + r) -#}
{% macro tax_in_gross_minor(gross_minor, rate_ppm) -%}
{{ half_up_div('cast(' ~ gross_minor ~ ' as ' ~ d.wide_int ~ ') * (' ~ rate_ppm ~ ')', '1000000 + (' ~ rate_ppm ~ ')') }}
{%- endmacro %}

{#- a decimal amount as integer minor units, rounded half-up when finer than the unit -#}
{% macro round_to_minor(amount, minor_factor) -%}
cast(round(({{ amount }}) * ({{ minor_factor }}), 0) as bigint)
{%- endmacro %}

{#- integer minor units as a money value (exact: multiplies by 1, 0.1, 0.01 or 0.001) -#}
{% macro from_minor(amount_minor, unit) -%}
cast(cast({{ amount_minor }} as decimal(18,0)) * ({{ unit }}) as {{ d.money }})
{%- endmacro %}

{#- a rate fraction (0.0825) in millionths (82500) -#}
{% macro ppm(rate) -%}
cast(round(({{ rate }}) * 1000000, 0) as bigint)
{%- endmacro %}

{#- minutes as hours with two decimals, half-up -#}
{% macro hours(minutes) -%}
cast(cast({{ half_up_div('cast(' ~ minutes ~ ' as ' ~ d.wide_int ~ ') * 100', '60') }} as decimal(18,0)) * 0.01 as decimal(12,2))
{%- endmacro %}

{#- a money value as text with the currency's minor digits: 15000.00 USD, 1500 JPY, 1.500 BHD -#}
{% macro as_text(amount, minor_factor) -%}
(case {{ minor_factor }}
    when 1 then cast(cast({{ amount }} as decimal(18,0)) as text)
    when 10 then cast(cast({{ amount }} as decimal(18,1)) as text)
    when 1000 then cast(cast({{ amount }} as decimal(18,3)) as text)
    else cast(cast({{ amount }} as decimal(18,2)) as text)
end)
{%- endmacro %}
