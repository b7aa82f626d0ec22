{#-
  Expected receipts for the 13 weeks from the Monday of as_of's week, per currency and source.
  Open invoices: the balance at due date + the client's average payment delay (whole days,
  half-up; terms alone when the client has paid nothing yet). Dates already past fall in the
  first week; receipts beyond the horizon are left out.
#}
with weeks as (
    select
        week_no,
        cast(date_trunc('week', {{ as_of }}) as date) + cast(7 * week_no as integer) as week_start
    from generate_series(0, {{ cfg.forecast_weeks - 1 }}) as series(week_no)
),

client_delays as (
    select
        client_id,
        {{ money.half_up_div('sum(paid_date - due_date)', 'count(*)') }} as average_delay_days
    from {{ s.build }}.invoices
    where status = 'PAID' and paid_date is not null and issue_date <= {{ as_of }}
    group by client_id
),

expected as (
    select
        aging.invoice_number,
        aging.currency,
        aging.balance_due,
        coalesce(client_delays.average_delay_days, 0) as delay_days,
        client_delays.client_id is not null as has_history,
        greatest(
            cast(aging.due_date + cast(coalesce(client_delays.average_delay_days, 0) as integer) as date),
            cast(date_trunc('week', {{ as_of }}) as date)
        ) as expected_date
    from {{ s.build }}.ar_aging as aging
    left join client_delays on client_delays.client_id = aging.client_id
),

currencies as (
    select distinct currency from expected
),

grid as (
    select weeks.week_no, weeks.week_start, currencies.currency
    from weeks
    cross join currencies
),

final as (
    select
        {{ as_of }} as as_of,
        grid.week_start,
        cast(grid.week_start + 6 as date) as week_end,
        grid.currency,
        'open_invoice' as source,
        cast(coalesce(sum(expected.balance_due), 0) as {{ d.money }}) as expected_amount,
        cast(count(expected.invoice_number) as integer) as items,
        'due date + client average delay (' || cast(coalesce(sum(case when expected.has_history then 1 else 0 end), 0) as text)
            || ' of ' || cast(count(expected.invoice_number) as text) || ' with payment history)' as basis
    from grid
    left join expected
        on expected.currency = grid.currency
        and expected.expected_date between grid.week_start and cast(grid.week_start + 6 as date)
    group by grid.week_no, grid.week_start, grid.currency
)

select * from final
