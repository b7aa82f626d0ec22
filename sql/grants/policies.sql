{#-
  Row-level security. On each table a rep reads, one permissive policy lets every role with
  SELECT (the accountant, the sales manager, an analyst's role granted by hand) see every row,
  and restrictive policies narrow the sales rep role (and the sales manager's writes on
  contract_drafts). The owner that runs the flows bypasses row-level security (it is the
  tables' owner, not forced), so publish's delete + insert is untouched, and the policies stay
  on the tables from run to run. Policy names carry the role prefix, so several role sets on
  one warehouse do not collide. Rerunning drops and recreates them.

  Whose rows: a rep's owner ids are audit.rep_logins' rows for current_user; its contracts
  are marts.contracts with one of those sales_rep_id; a row is its own when it is of one of
  its contracts (invoices, lines, aging, history, installments, change orders) or of its deal
  (cash_forecast_items by sales_rep_id, so its pipeline deals too). DRAFTING is the status in
  marts.contracts as the last run published it.
#}
{%- set owner_ids = "(select owner_id from " ~ s.audit ~ ".rep_logins where login = current_user)" %}
{%- set own_contracts = "(select contract_code from " ~ s.marts ~ ".contracts where sales_rep_id in " ~ owner_ids ~ ")" %}
{%- set drafting = "(select contract_code from " ~ s.marts ~ ".contracts where status = 'DRAFTING')" %}
{%- set own_drafting = "(select contract_code from " ~ s.marts ~ ".contracts where status = 'DRAFTING' and sales_rep_id in " ~ owner_ids ~ ")" %}
{%- set conditions = {
    "owner": "sales_rep_id in " ~ owner_ids,
    "contract": "contract_code in " ~ own_contracts,
    "invoice": "invoice_number in (select invoice_number from " ~ s.marts ~ ".invoices where contract_code in " ~ own_contracts ~ ")",
} %}
{%- macro everyone(table) %}
alter table {{ table }} enable row level security;
drop policy if exists {{ r.prefix }}all_rows on {{ table }};
create policy {{ r.prefix }}all_rows on {{ table }} as permissive for all to public
    using (true) with check (true);
{%- endmacro %}
{%- macro restrict(table, name, command, role, using=none, check=none) %}
drop policy if exists {{ r.prefix }}{{ name }} on {{ table }};
create policy {{ r.prefix }}{{ name }} on {{ table }} as restrictive for {{ command }} to {{ role }}
    {%- if using %} using ({{ using }}){% endif %}
    {%- if check %} with check ({{ check }}){% endif %};
{%- endmacro %}

{%- for table, kind in rep_tables.items() %}
{{ everyone(s.marts ~ "." ~ table) }}
{{ restrict(s.marts ~ "." ~ table, "rep_rows", "all", r.sales_rep, conditions[kind], conditions[kind]) }}
{% endfor %}

{%- set logins = s.audit ~ ".rep_logins" %}
{{ everyone(logins) }}
{{ restrict(logins, "rep_rows", "all", r.sales_rep, "login = current_user", "login = current_user") }}

{%- set drafts = s.audit ~ ".contract_drafts" %}
{{ everyone(drafts) }}
{{ restrict(drafts, "rep_rows", "select", r.sales_rep, conditions["contract"]) }}
{{ restrict(drafts, "rep_insert", "insert", r.sales_rep, check="contract_code in " ~ own_drafting) }}
{{ restrict(drafts, "rep_update", "update", r.sales_rep, "contract_code in " ~ own_drafting, "contract_code in " ~ own_drafting) }}
{{ restrict(drafts, "manager_insert", "insert", r.sales_manager, check="contract_code in " ~ drafting) }}
{{ restrict(drafts, "manager_update", "update", r.sales_manager, "contract_code in " ~ drafting, "contract_code in " ~ drafting) }}
