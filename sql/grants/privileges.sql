{#-
  What each role may do, table by table. Every run starts from nothing for the three roles on
  every billflow schema (this prefix's), then grants, so a rerun leaves exactly what this file
  says. Default privileges give the accountant and the sales manager SELECT on tables the
  running role creates later in the schemas they read (a release adding a marts table); a sales
  rep gets nothing by default: a new table stays hidden from reps until it has a policy here.
  `rep_tables` lists the marts tables a rep reads, each filtered by a policy (policies.sql).
#}
{%- set groups = r.groups() | join(', ') %}
{%- for schema in s.all() %}
revoke all on all tables in schema {{ schema }} from {{ groups }};
revoke all on schema {{ schema }} from {{ groups }};
alter default privileges in schema {{ schema }} revoke all on tables from {{ groups }};
{%- endfor %}

{#- accountant: reads every row of every persistent schema; edits any contract draft #}
{%- set accountant_schemas = [s.raw, s.marts, s.audit, s.quarantine] | join(', ') %}
grant usage on schema {{ accountant_schemas }} to {{ r.accountant }};
grant select on all tables in schema {{ accountant_schemas }} to {{ r.accountant }};
alter default privileges in schema {{ accountant_schemas }}
    grant select on tables to {{ r.accountant }};
grant insert, update, delete on {{ s.audit }}.contract_drafts to {{ r.accountant }};

{#- sales manager: reads every row of marts and audit; approves drafts (policies: DRAFTING) #}
grant usage on schema {{ s.marts }}, {{ s.audit }} to {{ r.sales_manager }};
grant select on all tables in schema {{ s.marts }}, {{ s.audit }} to {{ r.sales_manager }};
alter default privileges in schema {{ s.marts }}, {{ s.audit }}
    grant select on tables to {{ r.sales_manager }};
grant insert (contract_code, approved), update (approved)
    on {{ s.audit }}.contract_drafts to {{ r.sales_manager }};

{#- sales rep: reads its own deals' rows (policies); writes the notes of its DRAFTING drafts #}
grant usage on schema {{ s.marts }}, {{ s.audit }} to {{ r.sales_rep }};
grant select on {% for table in rep_tables %}{{ s.marts }}.{{ table }}, {% endfor -%}
    {{ s.audit }}.rep_logins, {{ s.audit }}.contract_drafts to {{ r.sales_rep }};
grant insert (contract_code, draft_notes), update (draft_notes)
    on {{ s.audit }}.contract_drafts to {{ r.sales_rep }};
