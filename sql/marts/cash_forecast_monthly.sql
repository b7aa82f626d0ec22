{#-
  The cash forecast by calendar month: the 12 months from the month of as_of, per currency and
  source, from the same items as the weekly forecast (build.int_forecast_items). Dates already
  past fall in the first month; receipts beyond the twelfth month are left out. Kept per as_of.
#}
{%- set months -%}
    select
        month_no as period_no,
        cast(cast(date_trunc('month', {{ as_of }}) as date) + month_no * interval '1 month' as date) as period_start,
        cast(cast(date_trunc('month', {{ as_of }}) as date) + (month_no + 1) * interval '1 month' - interval '1 day' as date)
            as period_end
    from generate_series(0, 11) as series(month_no)
{%- endset %}
with monthly as (
{{ forecast.by_period(months) }}
),

final as (
    select
        {{ as_of }} as as_of,
        {{ d.year_month('period_start') }} as month,
        period_start as month_start,
        period_end as month_end,
        currency,
        source,
        expected_amount,
        items,
        basis
    from monthly
)

select * from final
