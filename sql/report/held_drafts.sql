{#- Drafts held for review, with their reasons in words (marts.invoice_drafts). -#}
select
    drafts.draft_key,
    drafts.contract_code,
    contracts.client_name,
    drafts.currency,
    drafts.trigger_date,
    drafts.total,
    drafts.hold_codes,
    drafts.hold_reasons
from {{ s.marts }}.invoice_drafts as drafts
left join {{ s.marts }}.contracts as contracts on contracts.contract_code = drafts.contract_code
where drafts.status = 'HELD'{% if currency %} and drafts.currency = {{ currency }}{% endif %}
order by drafts.draft_key
