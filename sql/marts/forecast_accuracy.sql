{#-
  How good each stored forecast was: for every earlier run's weekly forecast (marts.cash_forecast,
  as_of before this run's) and each of its weeks that ended before this run's as_of, the total
  expected (all sources) against the receipts that followed: payments (marts.payments, applied
  or not) dated in the week and after the forecast's as_of, since receipts up to that day were
  already known to it. Per currency; error = forecast - actual (positive: forecast too high).
#}
with stored as (
    select as_of as forecast_as_of, week_start, week_end, currency, sum(expected_amount) as forecast_amount
    from {{ s.marts }}.cash_forecast
    where as_of < {{ as_of }} and week_end < {{ as_of }}
    group by as_of, week_start, week_end, currency
),

weeks as (
    select distinct forecast_as_of, week_start, week_end from stored
),

currencies as (
    select distinct currency from stored
    union
    select distinct currency from {{ s.build }}.payments
),

grid as (
    select weeks.*, currencies.currency, units.minor_factor, units.unit
    from weeks
    cross join currencies
    inner join {{ s.staging }}.currencies as units on units.code = currencies.currency
),

actuals as (
    select
        grid.forecast_as_of,
        grid.week_start,
        grid.currency,
        coalesce(sum(payments.amount), 0) as actual_amount
    from grid
    left join {{ s.build }}.payments as payments
        on payments.currency = grid.currency
        and payments.payment_date between grid.week_start and grid.week_end
        and payments.payment_date > grid.forecast_as_of
    group by grid.forecast_as_of, grid.week_start, grid.currency
),

compared as (
    select
        grid.*,
        {{ money.round_to_minor('coalesce(stored.forecast_amount, 0)', 'grid.minor_factor') }} as forecast_minor,
        {{ money.round_to_minor('actuals.actual_amount', 'grid.minor_factor') }} as actual_minor
    from grid
    inner join actuals
        on actuals.forecast_as_of = grid.forecast_as_of
        and actuals.week_start = grid.week_start
        and actuals.currency = grid.currency
    left join stored
        on stored.forecast_as_of = grid.forecast_as_of
        and stored.week_start = grid.week_start
        and stored.currency = grid.currency
),

final as (
    select
        forecast_as_of,
        week_start,
        week_end,
        cast({{ d.int_div("week_start - cast(date_trunc('week', forecast_as_of) as date)", '7') }} as integer)
            as weeks_ahead,
        currency,
        {{ money.from_minor('forecast_minor', 'unit') }} as forecast_amount,
        {{ money.from_minor('actual_minor', 'unit') }} as actual_amount,
        {{ money.from_minor('forecast_minor - actual_minor', 'unit') }} as error,
        {{ money.from_minor('abs(forecast_minor - actual_minor)', 'unit') }} as abs_error,
        {#- null without receipts, and beyond +-999.999999 (the ratio type's range) #}
        case when actual_minor > 0 and abs(forecast_minor - actual_minor) < 999 * actual_minor
            then {{ stats.share('forecast_minor - actual_minor', 'actual_minor') }}
        end as error_share,
        {{ as_of }} as as_of
    from compared
)

select * from final
