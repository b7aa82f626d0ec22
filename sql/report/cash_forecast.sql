{#-
  The 13-week cash forecast of as_of (marts.cash_forecast), by week and source, with each
  source's total over the weeks; sources in a fixed order, pipeline (not yet a contract) last.
  A source that expects nothing in all 13 weeks is left out (the mart zero-fills it).
#}
with forecast as (
    select
        currency,
        week_start,
        week_end,
        source,
        case source
            when 'open_invoice' then 1
            when 'installment' then 2
            when 'retainer' then 3
            when 'pipeline' then 5
            else 4
        end as source_order,
        expected_amount,
        items
    from {{ s.marts }}.cash_forecast
    where as_of = {{ as_of }}{% if currency %} and currency = {{ currency }}{% endif %}
),

final as (
    select
        forecast.*,
        sum(expected_amount) over (partition by currency, source) as source_total,
        sum(items) over (partition by currency, source) as source_items,
        sum(expected_amount) over (partition by currency) as currency_total
    from forecast
)

select * from final
where source_total <> 0
order by currency, source_order, source, week_start
