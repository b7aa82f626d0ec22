{#-
  The document ledger after this run: every document already issued (invoices and credit
  notes, never edited) plus the READY drafts issued now. Numbers continue the series
  (document type, year) in the order (issue date, contract code, natural key); a natural key
  is issued once, ever.
#}
with existing as (
    select
        invoice_number, kind, series_year, series_seq, draft_key, contract_code, client_id,
        client_name, currency, issue_date, due_date, terms_days, po_number, trigger_type,
        trigger_id, period_start, period_end, trigger_date, tax_rate, lines_total, subtotal,
        tax, tax_included, total, credits_invoice_number, memo
    from {{ s.marts }}.invoices
),

failed_checks as (
    select distinct draft_key
    from {{ s.build }}.reconciliation
    where not passed
),

ready as (
    select drafts.*
    from {{ s.build }}.int_drafts as drafts
    where drafts.draft_key not in (select draft_key from existing)
      and drafts.draft_key not in (select draft_key from failed_checks)
),

numbered as (
    select
        ready.*,
        cast(extract(year from {{ as_of }}) as integer) as series_year,
        cast(
            (select coalesce(max(series_seq), 0)
             from existing
             where kind = 'invoice' and series_year = extract(year from {{ as_of }}))
            + row_number() over (
                order by {{ d.sort_key('ready.contract_code') }}, {{ d.sort_key('ready.draft_key') }}
            )
            as integer
        ) as series_seq
    from ready
),

new_invoices as (
    select
        'INV-' || cast(numbered.series_year as text) || '-'
            || lpad(cast(numbered.series_seq as text), 6, '0') as invoice_number,
        'invoice' as kind,
        numbered.series_year,
        numbered.series_seq,
        numbered.draft_key,
        numbered.contract_code,
        contracts.client_id,
        contracts.client_name,
        numbered.currency,
        {{ as_of }} as issue_date,
        cast({{ as_of }} + contracts.terms_days as date) as due_date,
        contracts.terms_days,
        contracts.po_number,
        numbered.trigger_type,
        numbered.trigger_id,
        numbered.period_start,
        numbered.period_end,
        numbered.trigger_date,
        numbered.tax_rate,
        numbered.lines_total,
        numbered.subtotal,
        numbered.tax,
        numbered.tax_included,
        numbered.total,
        cast(null as text) as credits_invoice_number,
        cast(null as text) as memo
    from numbered
    inner join {{ s.build }}.int_contracts as contracts on contracts.contract_code = numbered.contract_code
),

final as (
    select *, false as is_new from existing
    union all
    select *, true as is_new from new_invoices
)

select * from final
