{#-
  Items that ride on a contract's next draft (change orders, adjustments, late fees;
  docs/billing.md): while younger than pending_item_days they join the contract's first draft
  (`first_drafts`), and take that draft's trigger (`host`); older, they go on a draft of their
  own, `own_key`, triggered by the item itself.
-#}
{% macro draft_key(as_of, since, own_key) -%}
case
            when {{ as_of }} < cast({{ since }} + {{ cfg.pending_item_days }} as date)
                then first_drafts.draft_key
            else {{ own_key }}
        end
{%- endmacro %}

{% macro trigger(kind, item_id, on) -%}
coalesce(host.trigger_type, '{{ kind }}') as trigger_type,
        coalesce(host.trigger_id, {{ item_id }}) as trigger_id,
        coalesce(host.period_start, {{ on }}) as period_start,
        coalesce(host.period_end, {{ on }}) as period_end,
        coalesce(host.trigger_date, {{ on }}) as trigger_date
{%- endmacro %}
