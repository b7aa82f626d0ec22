{#-
  The cash forecast's periods: build.int_forecast_items summed per (period, currency, source),
  zero-filled (every source in every period of every currency with an item). An expected date
  before the first period lands in the first period; items after the last are left out.
  `periods` is a query with columns period_no (0 = first), period_start, period_end.
-#}

{% macro by_period(periods) -%}
with periods as (
    {{ periods }}
),

bounds as (
    select min(period_start) as first_start, max(period_end) as last_end from periods
),

sources as (
    select source, source_order, rule from (values
        ('open_invoice', 1, 'due date + client average delay'),
        ('installment', 2, 'trigger date + terms + client average delay'),
        ('retainer', 3, 'cycle start + terms + client average delay'),
        ('pipeline', 4, 'amount x stage probability, at close date + terms')
    ) as listed(source, source_order, rule)
),

items as (
    select
        items.*,
        case when items.expected_date is not null then
            greatest(items.expected_date, bounds.first_start)
        end as lands_on
    from {{ s.build }}.int_forecast_items as items
    cross join bounds
),

currencies as (
    select distinct currency from items
),

grid as (
    select periods.*, currencies.currency, sources.source, sources.source_order, sources.rule
    from periods
    cross join currencies
    cross join sources
),

{#- items with no expected date, named in the first period's basis #}
left_out as (
    select
        currency,
        source,
        string_agg(detail, '; ' order by detail) as details
    from items
    where expected_date is null
    group by currency, source
),

summed as (
    select
        grid.period_no,
        grid.period_start,
        grid.period_end,
        grid.currency,
        grid.source,
        grid.rule,
        cast(coalesce(sum(items.amount), 0) as {{ d.money }}) as expected_amount,
        cast(count(items.item_ref) as integer) as items,
        cast(coalesce(sum(case when items.has_history then 1 else 0 end), 0) as integer) as with_history,
        string_agg(items.detail, '; ' order by items.detail) as details
    from grid
    left join items
        on items.currency = grid.currency
        and items.source = grid.source
        and items.lands_on between grid.period_start and grid.period_end
    group by grid.period_no, grid.period_start, grid.period_end, grid.currency, grid.source,
        grid.source_order, grid.rule
)

select
    summed.period_no,
    summed.period_start,
    summed.period_end,
    summed.currency,
    summed.source,
    summed.expected_amount,
    summed.items,
    summed.rule
        || case when summed.source in ('open_invoice', 'installment', 'retainer') and summed.items > 0
            then ' (' || cast(summed.with_history as text) || ' of ' || cast(summed.items as text)
                || ' with payment history)'
            else '' end
        || ': ' || coalesce(summed.details, 'nothing expected')
        || case when summed.period_no = 0 and left_out.details is not null
            then '; left out: ' || left_out.details else '' end as basis
from summed
left join left_out on left_out.currency = summed.currency and left_out.source = summed.source
{%- endmacro %}
