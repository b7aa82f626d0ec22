{#-
  The lifecycle of every contract as of the run (DESIGN, 003), one row per status reached:
    DRAFTING    the deal reached the contract stage (CF-03)
    SIGNED      billing_signed_date, else the close date of a closed-won deal
    ACTIVE      its first invoice was paid
    COMPLETED   the project is complete in Teamwork, every non-void invoice is paid and
                nothing billable is left
    LIQUIDATED  `billflow contract liquidate` with the liquidation record
    CANCELLED   `billflow contract cancel` with a reason (from DRAFTING or SIGNED)
  Each with its date and its cause. The status is the highest rank reached.
-#}
with contracts as (
    select * from {{ s.build }}.int_contracts
),

invoices as (
    select * from {{ s.build }}.invoices
    where kind = 'invoice' and issue_date <= {{ as_of }}
),

first_paid as (
    select contract_code, invoice_number, paid_date
    from (
        select
            contract_code,
            invoice_number,
            paid_date,
            row_number() over (partition by contract_code order by paid_date, invoice_number) as n
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
    where disposition in ('billable', 'unpriced', 'open_period', 'after_issue', 'waiting_for_milestone')
),

completion as (
    select
        contracts.contract_code,
        greatest(contracts.project_completed_date, max(invoices.paid_date)) as completed_on
    from contracts
    inner join invoices on invoices.contract_code = contracts.contract_code
    where contracts.project_completed_date <= {{ as_of }}
      and contracts.contract_code not in (select contract_code from unsettled)
    group by contracts.contract_code, contracts.project_completed_date
),

commands as (
    select target, command, actor, details, acted_on,
        row_number() over (partition by target, command order by acted_on, acted_at) as n
    from {{ s.audit }}.commands
    where command in ('contract.cancel', 'contract.liquidate') and acted_on <= {{ as_of }}
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
    select first_paid.contract_code, 3, 'ACTIVE', first_paid.paid_date,
        'first invoice paid: ' || first_paid.invoice_number, 'source', cast(null as text)
    from first_paid
    union all
    select contract_code, 4, 'COMPLETED', completed_on,
        'project complete, every invoice paid, nothing left to bill', 'source', cast(null as text)
    from completion
    union all
    select commands.target, 5, 'LIQUIDATED', commands.acted_on,
        'liquidation record ' || (commands.details->>'record'), 'command', commands.actor
    from commands where commands.command = 'contract.liquidate' and commands.n = 1
    union all
    select commands.target, 6, 'CANCELLED', commands.acted_on,
        'cancelled: ' || (commands.details->>'reason'), 'command', commands.actor
    from commands where commands.command = 'contract.cancel' and commands.n = 1
),

final as (
    select
        events.*,
        lag(status) over (partition by contract_code order by rank) as from_status,
        row_number() over (partition by contract_code order by rank desc) = 1 as is_current
    from events
    where contract_code in (select contract_code from contracts)
)

select * from final
