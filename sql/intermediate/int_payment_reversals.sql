{#-
  Money that went back: refunds (charge.refunded; Stripe's amount_refunded is cumulative, so
  each event adds what it raised the total by, whatever order the events came in) and lost
  disputes (the disputed amount, on the first event that shows the dispute lost). A reversal
  takes first what the payment left unapplied, then its applications latest first (date,
  then invoice number, latest first): each application it reaches is reversed, reopening the
  invoice. Nothing beyond the payment's amount is reversed.
#}
with payments as (
    select event_id, payment_id, charge_id, amount_minor, currency, unit
    from {{ s.build }}.int_payment_matches
),

refund_totals as (
    select
        refunds.event_id,
        payments.event_id as payment_event_id,
        refunds.refund_date as reversal_date,
        refunds.created_epoch,
        refunds.refunded_to_date_minor,
        coalesce(max(refunds.refunded_to_date_minor) over (
            partition by payments.event_id
            order by refunds.refunded_to_date_minor, refunds.created_epoch,
                {{ d.sort_key('refunds.event_id') }}
            rows between unbounded preceding and 1 preceding
        ), 0) as refunded_before_minor
    from {{ s.staging }}.stg_stripe__refunds as refunds
    inner join payments on payments.payment_id = refunds.payment_id
    where refunds.refund_date <= {{ as_of }}
),

lost_disputes as (
    select
        disputes.event_id,
        payments.event_id as payment_event_id,
        disputes.event_date as reversal_date,
        disputes.created_epoch,
        disputes.amount_minor,
        row_number() over (
            partition by disputes.dispute_id
            order by disputes.created_epoch, {{ d.sort_key('disputes.event_id') }}
        ) as nth
    from {{ s.staging }}.stg_stripe__disputes as disputes
    inner join payments
        on payments.payment_id = disputes.payment_id
        or (disputes.payment_id is null and payments.charge_id = disputes.charge_id)
    where disputes.dispute_status = 'lost' and disputes.event_date <= {{ as_of }}
),

reversals as (
    select event_id, payment_event_id, reversal_date, created_epoch,
        refunded_to_date_minor - refunded_before_minor as amount_minor, 'refund' as kind
    from refund_totals
    where refunded_to_date_minor > refunded_before_minor
    union all
    select event_id, payment_event_id, reversal_date, created_epoch, amount_minor, 'dispute_lost'
    from lost_disputes
    where nth = 1
),

reversal_ranges as (
    select
        reversals.*,
        sum(amount_minor) over (
            partition by payment_event_id
            order by reversal_date, created_epoch, {{ d.sort_key('event_id') }}
            rows between unbounded preceding and current row
        ) as reversed_to
    from reversals
),

applications as (
    select event_id, invoice_number, applied_minor, payment_date as applied_date
    from {{ s.build }}.int_payment_matches
    where applied_minor > 0
    union all
    select event_id, invoice_number, applied_minor, applied_date
    from {{ s.build }}.int_client_credits
),

{#- what each payment holds, in the order reversals take it: the unapplied rest first #}
holdings as (
    select
        payments.event_id as payment_event_id,
        cast(null as text) as invoice_number,
        payments.amount_minor - coalesce(sum(applications.applied_minor), 0) as held_minor,
        cast(null as date) as applied_date,
        0 as held_order
    from payments
    left join applications on applications.event_id = payments.event_id
    group by payments.event_id, payments.amount_minor
    union all
    select event_id, invoice_number, applied_minor, applied_date, 1
    from applications
),

holding_ranges as (
    select
        holdings.*,
        sum(held_minor) over (
            partition by payment_event_id
            order by held_order, applied_date desc, {{ d.sort_key('invoice_number') }} desc
            rows between unbounded preceding and current row
        ) as held_to
    from holdings
    where held_minor > 0
),

final as (
    select
        reversal_ranges.event_id,
        reversal_ranges.kind,
        reversal_ranges.payment_event_id,
        holding_ranges.invoice_number,
        reversal_ranges.reversal_date,
        least(reversal_ranges.reversed_to, holding_ranges.held_to)
            - greatest(reversal_ranges.reversed_to - reversal_ranges.amount_minor,
                holding_ranges.held_to - holding_ranges.held_minor) as reversed_minor
    from reversal_ranges
    inner join holding_ranges
        on holding_ranges.payment_event_id = reversal_ranges.payment_event_id
        and holding_ranges.held_to - holding_ranges.held_minor < reversal_ranges.reversed_to
        and reversal_ranges.reversed_to - reversal_ranges.amount_minor < holding_ranges.held_to
)

select * from final
