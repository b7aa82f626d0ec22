{#-
  Expected receipts for the forecast_weeks weeks (13) from the Monday of as_of's week, per
  currency and source (open_invoice, installment, retainer, pipeline): build.int_forecast_items
  summed by the week of their expected date. Dates already past fall in the first week;
  receipts beyond the horizon are left out. `basis` names each item with the delay, terms or
  probability used. Kept per as_of (snapshot) for marts.forecast_accuracy.
#}
{%- set weeks -%}
    select
        week_no as period_no,
        cast(date_trunc('week', {{ as_of }}) as date) + cast(7 * week_no as integer) as period_start,
        cast(date_trunc('week', {{ as_of }}) as date) + cast(7 * week_no + 6 as integer) as period_end
    from generate_series(0, {{ cfg.forecast_weeks - 1 }}) as series(week_no)
{%- endset %}
with weekly as (
{{ forecast.by_period(weeks) }}
),

final as (
    select
        {{ as_of }} as as_of,
        cast(period_start as date) as week_start,
        cast(period_end as date) as week_end,
        currency,
        source,
        expected_amount,
        items,
        basis
    from weekly
)

select * from final
