{#-
  The document ledger after this run: every document already issued (invoices and credit
  notes, never edited) plus the READY drafts issued now. Numbers continue the series
  (document type, year) in the order (issue date, contract code, natural key); a natural key
  is issued once, ever. A draft is issued when it passes every check, or when a person
  released it and its lines are the ones they reviewed; a draft discarded for the same
  evidence is not issued. A draft of adjustments alone that takes time off (a negative total)
  is issued as a credit note of the invoice it adjusts.
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
      and draft_key not in (
        select draft_key from {{ s.build }}.int_reviews where decision = 'RELEASED' and applies
      )
),

discarded as (
    select draft_key from {{ s.build }}.int_reviews where decision = 'DISCARDED' and applies
),

ready as (
    select
        drafts.*,
        case when drafts.trigger_type = 'adjustment' and drafts.total < 0
            then 'credit_note' else 'invoice' end as kind
    from {{ s.build }}.int_drafts as drafts
    where drafts.draft_key not in (select draft_key from existing)
      and drafts.draft_key not in (select draft_key from failed_checks)
      and drafts.draft_key not in (select draft_key from discarded)
      and ({{ scope }})
),

numbered as (
    select
        ready.*,
        cast(extract(year from {{ as_of }}) as integer) as series_year,
        cast(
            (select coalesce(max(series_seq), 0)
             from existing
             where existing.kind = ready.kind and series_year = extract(year from {{ as_of }}))
            + row_number() over (
                partition by ready.kind
                order by {{ d.sort_key('ready.contract_code') }}, {{ d.sort_key('ready.draft_key') }}
            )
            as integer
        ) as series_seq
    from ready
),

new_invoices as (
    select
        case numbered.kind when 'credit_note' then 'CN-' else 'INV-' end
            || cast(numbered.series_year as text) || '-'
            || lpad(cast(numbered.series_seq as text), 6, '0') as invoice_number,
        numbered.kind,
        numbered.series_year,
        numbered.series_seq,
        numbered.draft_key,
        numbered.contract_code,
        contracts.client_id,
        contracts.client_name,
        numbered.currency,
        {{ as_of }} as issue_date,
        case numbered.kind when 'credit_note' then {{ as_of }}
            else cast({{ as_of }} + contracts.terms_days as date) end as due_date,
        case numbered.kind when 'credit_note' then 0 else contracts.terms_days end as terms_days,
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
        case numbered.kind when 'credit_note' then numbered.trigger_id end as credits_invoice_number,
        case numbered.kind when 'credit_note'
            then 'Late edits to ' || numbered.trigger_id || ': time removed after it was issued'
        end as memo
    from numbered
    inner join {{ s.build }}.int_contracts as contracts on contracts.contract_code = numbered.contract_code
),

final as (
    select *, false as is_new from existing
    union all
    select *, true as is_new from new_invoices
)

select * from final
