{#- The timesheet sources time is billed from (docs/sources.md): Teamwork timelogs and Harvest
    time entries. An entry is known by (source, stream, record id) everywhere, so a Teamwork id
    and an equal Harvest id never meet. Harvest ids of projects, people and tasks carry the
    prefix `harvest:`; a deal bills a Harvest project by `billing_project_id` = harvest:<id>. -#}

{#- true for the lineage rows (or raw records) of a time entry -#}
{% macro is_time(source, stream) -%}
(({{ source }} = 'teamwork' and {{ stream }} = 'time') or ({{ source }} = 'harvest' and {{ stream }} = 'time_entries'))
{%- endmacro %}

{#- true when a project id (a deal's billing_project_id) names a Harvest project -#}
{% macro is_harvest_project(project_id) -%}
({{ project_id }} like 'harvest:%')
{%- endmacro %}
