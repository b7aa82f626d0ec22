{#-
  The three group roles of 003 (NOLOGIN: people's logins are made members of them), created
  when missing. `r` names them (billflow/grants.py RoleNames, setting role_prefix).
#}
{%- for role in r.groups() %}
do $roles$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = '{{ role }}') then
        create role {{ role }} nologin;
    end if;
end
$roles$;
{% endfor %}
