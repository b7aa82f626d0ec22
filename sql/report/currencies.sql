{#-
  The currencies the report has figures in at as_of: documents issued (marts.kpis), contracts,
  drafts held, cash expected (marts.cash_forecast) and unapplied cash. Never converted.
#}
with currencies as (
    select currency from {{ s.marts }}.kpis where as_of = {{ as_of }}
    union
    select currency from {{ s.marts }}.contracts
    union
    select currency from {{ s.marts }}.invoice_drafts where status = 'HELD'
    union
    select currency from {{ s.marts }}.cash_forecast where as_of = {{ as_of }}
    union
    select currency from {{ s.marts }}.unapplied_cash
)

select currency from currencies order by currency
