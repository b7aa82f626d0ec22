{#-
  The lifecycle of every contract as of the run (DESIGN, 003), one row per status reached:
    DRAFTING    the deal reached the contract stage (CF-03)
    SIGNED      billing_signed_date, else the close date of a closed-won deal
    ACTIVE      its first invoice was paid in full
    COMPLETED   the project is complete in Teamwork, every non-void invoice is paid and
                nothing is left to bill: no draft, no time waiting, no installment, milestone,
                deliverable or change order still to invoice, no retainer still running
    LIQUIDATED  `billflow contract liquidate` with the liquidation record
    CANCELLED   `billflow contract cancel` with a reason (from DRAFTING or SIGNED)
  Each with its date and its cause. The status is the highest rank reached. Once liquidated,
  a contract keeps its COMPLETED step even if something turns up later.
#}
with contracts as (
    select contracts.*, commands.cancelled_on, commands.cancel_reason, commands.cancelled_by,
        commands.liquidated_on, commands.liquidation_record, commands.liquidated_by
    from {{ s.build }}.int_contracts as contracts
    left join {{ s.build }}.int_commands as commands on commands.contract_code = contracts.contract_code
),

invoices as (
    select * from {{ s.build }}.invoices
    where kind = 'invoice' and issue_date <= {{ as_of }}
),

issued_keys as (
    select draft_key from {{ s.build }}.int_issued_invoices
),

first_paid as (
    select contract_code, invoice_number, paid_date
    from (
        select
            contract_code,
            invoice_number,
            paid_date,
            row_number() over (
                partition by contract_code order by paid_date, {{ d.sort_key('invoice_number') }}
            ) as n
        from invoices
        where status = 'PAID'
    ) as paid
    where n = 1
),

unsettled as (
    select contract_code from invoices where status not in ('PAID', 'VOID')
    union
    select contract_code from {{ s.build }}.int_drafts
    union
    select contract_code from {{ s.build }}.int_time_entries
    where disposition in ('billable', 'unpriced', 'open_period', 'late_edit', 'waiting_for_milestone')
       or (disposition = 'timer_running' and is_billable)
    union
    select adjustments.contract_code from {{ s.build }}.int_adjustments as adjustments
    union
    select contract_code from {{ s.build }}.int_installments
    where draft_key not in (select draft_key from issued_keys)
    union
    select orders.contract_code from {{ s.build }}.int_change_orders as orders
    where orders.change_order_id not in (
        select record_id from {{ s.build }}.invoice_line_sources
        where source = 'hubspot' and stream = 'deals'
    )
    union
    select contract_code from {{ s.build }}.int_milestone_progress
    where billing_value is not null
      and (is_deliverable or billing_model in ('milestone', 'hybrid'))
      and contract_code || case when is_deliverable then ':deliverable:' else ':milestone:' end
          || milestone_id not in (select draft_key from issued_keys)
    union
    select contract_code from contracts
    where billing_model = 'retainer' and (end_date is null or end_date >= {{ as_of }})
),

completion as (
    select
        contracts.contract_code,
        case
            when contracts.contract_code in (select contract_code from unsettled)
                then contracts.liquidated_on
            else greatest(contracts.project_completed_date, max(invoices.paid_date))
        end as completed_on
    from contracts
    inner join invoices on invoices.contract_code = contracts.contract_code
    where contracts.project_completed_date <= {{ as_of }}
      and (contracts.contract_code not in (select contract_code from unsettled)
           or contracts.liquidated_on is not null)
    group by contracts.contract_code, contracts.project_completed_date, contracts.liquidated_on
),

events as (
    select contract_code, 1 as rank, 'DRAFTING' as status, created_date as changed_on,
        'deal ' || deal_id || ' reached the contract stage' as cause, 'source' as caused_by,
        cast(null as text) as actor
    from contracts
    union all
    select contract_code, 2, 'SIGNED', signed_date,
        'signed on ' || cast(signed_date as text), 'source', cast(null as text)
    from contracts where signed_date is not null
    union all
    select contract_code, 3, 'ACTIVE', paid_date,
        'first invoice paid: ' || invoice_number, 'source', cast(null as text)
    from first_paid
    union all
    select contract_code, 4, 'COMPLETED', completed_on,
        'project complete, every invoice paid, nothing left to bill', 'source', cast(null as text)
    from completion where completed_on is not null
    union all
    select contract_code, 5, 'LIQUIDATED', liquidated_on,
        'liquidation record ' || liquidation_record, 'command', liquidated_by
    from contracts where liquidated_on is not null
    union all
    select contract_code, 6, 'CANCELLED', cancelled_on,
        'cancelled: ' || cancel_reason, 'command', cancelled_by
    from contracts where cancelled_on is not null
),

final as (
    select
        events.*,
        lag(status) over (partition by contract_code order by rank) as from_status,
        row_number() over (partition by contract_code order by rank desc) = 1 as is_current
    from events
)

select * from final
