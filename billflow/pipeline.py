"""The steps of a billing run as plain functions: no Prefect here.

Each step renders and runs the SQL models it owns (in `sql/`) into the `build` schema and
returns its counts. Nothing reaches `marts` before `publish`, which copies the build in one
transaction. `tasks/` wraps each step as a Prefect task; tests call them directly too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from billflow import audit, outbox
from billflow.config import Settings
from billflow.contracts import Table, load_layer
from billflow.errors import ConfigError, ConservationError
from billflow.money import MINOR_UNITS
from billflow.warehouse import Warehouse, sql_literal


@dataclass(frozen=True)
class StagingModel:
    """A staging model, the raw stream it types and the column that holds the record id."""

    name: str
    source: str
    stream: str
    record_id_column: str
    has_rules: bool = False


STAGING_MODELS: tuple[StagingModel, ...] = (
    StagingModel("stg_hubspot__deal_stages", "hubspot", "pipelines", "pipeline_id"),
    StagingModel("stg_hubspot__payment_schedules", "hubspot", "deals", "deal_id"),
    StagingModel("stg_hubspot__retainer_fee_changes", "hubspot", "deals", "deal_id"),
    StagingModel("stg_hubspot__deals", "hubspot", "deals", "deal_id", has_rules=True),
    StagingModel("stg_hubspot__companies", "hubspot", "companies", "company_id"),
    StagingModel("stg_hubspot__owners", "hubspot", "owners", "owner_id"),
    StagingModel("stg_hubspot__deal_companies", "hubspot", "deal_companies", "deal_id"),
    StagingModel("stg_teamwork__projects", "teamwork", "projects", "project_id"),
    StagingModel("stg_teamwork__people", "teamwork", "people", "person_id"),
    StagingModel("stg_teamwork__tasks", "teamwork", "tasks", "task_id"),
    StagingModel("stg_teamwork__task_tags", "teamwork", "tasks", "task_id"),
    StagingModel("stg_teamwork__tags", "teamwork", "tags", "tag_id", has_rules=True),
    StagingModel("stg_teamwork__milestones", "teamwork", "milestones", "milestone_id"),
    StagingModel("stg_teamwork__milestone_tags", "teamwork", "milestones", "milestone_id"),
    StagingModel("stg_teamwork__milestone_tasklists", "teamwork", "milestones", "milestone_id"),
    StagingModel("stg_teamwork__time_entries", "teamwork", "time", "entry_id", has_rules=True),
    StagingModel("stg_teamwork__rates", "teamwork", "rates", "record_id", has_rules=True),
    StagingModel(
        "stg_harvest__time_entries", "harvest", "time_entries", "entry_id", has_rules=True
    ),
    StagingModel("stg_stripe__events", "stripe", "events", "event_id"),
    StagingModel("stg_stripe__payments", "stripe", "events", "event_id", has_rules=True),
    StagingModel("stg_stripe__refunds", "stripe", "events", "event_id", has_rules=True),
    StagingModel("stg_stripe__disputes", "stripe", "events", "event_id", has_rules=True),
)

BILL_MODELS = (
    "intermediate/int_commands.sql",
    "intermediate/int_timesheet_entries.sql",
    "intermediate/int_timesheet_names.sql",
    "intermediate/int_contracts.sql",
    "intermediate/int_change_orders.sql",
    "intermediate/int_milestone_progress.sql",
    "intermediate/int_milestone_drafts.sql",
    "intermediate/int_time_entries.sql",
    "intermediate/int_billed_time.sql",
    "intermediate/int_adjustment_entries.sql",
    "intermediate/int_adjustments.sql",
    "intermediate/int_retainer_periods.sql",
    "intermediate/int_installments.sql",
    "intermediate/int_late_fees.sql",
    "intermediate/int_draft_lines.sql",
    "intermediate/int_draft_line_sources.sql",
    "intermediate/int_drafts.sql",
)
RECONCILE_MODELS = ("intermediate/int_reviews.sql", "marts/reconciliation.sql")
ISSUE_MODELS = (
    "intermediate/int_issued_invoices.sql",
    "marts/invoice_lines.sql",
    "marts/invoice_line_sources.sql",
)
PAYMENT_MODELS = (
    "intermediate/int_payment_matches.sql",
    "intermediate/int_client_credits.sql",
    "intermediate/int_payment_reversals.sql",
    "marts/payments.sql",
    "marts/payment_applications.sql",
    "marts/unapplied_cash.sql",
    "marts/disputes.sql",
    "marts/invoices.sql",
)
AGE_MODELS = (
    "marts/ar_aging.sql",
    "marts/ar_aging_by_client.sql",
    "marts/ar_aging_daily.sql",
    "marts/kpis.sql",
    "marts/kpis_by_client.sql",
    "intermediate/int_contract_events.sql",
    "marts/contract_history.sql",
    "marts/contracts.sql",
    "marts/invoice_drafts.sql",
    "marts/late_edits.sql",
    "marts/unbilled_work.sql",
    "marts/invoice_draft_lines.sql",
    "marts/installments.sql",
    "marts/change_orders.sql",
    "marts/project_costs.sql",
    "marts/retainer_usage.sql",
    "marts/audit_monthly.sql",
)
FORECAST_MODELS = (
    "intermediate/int_forecast_items.sql",
    "marts/cash_forecast.sql",
    "marts/cash_forecast_monthly.sql",
    "marts/cash_forecast_items.sql",
    "marts/forecast_accuracy.sql",
)

OUTBOX_DUE_MODELS = ("intermediate/int_outbox_due.sql",)
OUTBOX_MODELS = ("marts/outbox.sql", "marts/reminders.sql", "marts/deal_writebacks.sql")


@dataclass
class Run:
    """One run's parameters and warehouse; what every step receives."""

    wh: Warehouse
    as_of: date
    run_id: str
    flow: str = "nightly_billing"
    counts: dict[str, Any] = field(default_factory=dict)
    scope: str = "true"
    """SQL condition on a draft (alias `drafts`): only drafts it admits are issued (reruns)."""

    @property
    def settings(self) -> Settings:
        return self.wh.settings

    @property
    def as_of_sql(self) -> str:
        return f"date '{self.as_of.isoformat()}'"

    def build(self, templates: tuple[str, ...]) -> dict[str, int]:
        """Materialise models into the build schema, in order; returns their row counts."""
        return {
            template.rsplit("/", 1)[-1].removesuffix(".sql"): self.wh.build_model(
                self.wh.schemas.build, template, as_of=self.as_of_sql, scope=self.scope
            )
            for template in templates
        }


def stage(run: Run) -> dict[str, int]:
    """Type every stream (sql/staging); records breaking a rule go to the quarantine build."""
    wh = run.wh
    wh.replace_table(f"{wh.schemas.staging}.currencies", _currencies_sql())
    counts: dict[str, int] = {}
    for model in STAGING_MODELS:
        counts[model.name] = _stage_model(run, model)
        if model.name == "stg_hubspot__deal_stages":
            _check_contract_stage(run)
    counts["quarantined"] = wh.replace_table(
        f"{wh.schemas.build}.quarantine_records", _quarantine_sql(run)
    )
    return counts


def _stage_model(run: Run, model: StagingModel) -> int:
    wh = run.wh
    checked = f"{wh.schemas.staging}.{model.name}__checked"
    wh.replace_table(checked, wh.render(f"staging/{model.name}.sql", as_of=run.as_of_sql))
    columns = [name for name in wh.columns(f"select * from {checked}") if name != "_rule"]
    return wh.replace_table(
        f"{wh.schemas.staging}.{model.name}",
        f"select {', '.join(columns)} from {checked} where _rule is null",
    )


def _check_contract_stage(run: Run) -> None:
    """A contract stage that is not in the pipelines would make every deal a pipeline deal."""
    settings, staging = run.settings, run.wh.schemas.staging
    found = run.wh.scalar(
        f"select count(*) from {staging}.stg_hubspot__deal_stages "
        f"where pipeline_id = {sql_literal(settings.contract_pipeline_id)} "
        f"and stage_id = {sql_literal(settings.contract_stage_id)}"
    )
    if not found:
        stages = run.wh.query(
            f"select pipeline_id || '/' || stage_id from {staging}.stg_hubspot__deal_stages "
            "order by pipeline_id, display_order"
        )
        raise ConfigError(
            f"contract stage {settings.contract_pipeline_id}/{settings.contract_stage_id} is not "
            f"in the HubSpot pipelines (stages: {', '.join(s for (s,) in stages) or 'none'}); "
            "set contract_pipeline_id and contract_stage_id"
        )


def _currencies_sql() -> str:
    rows = ", ".join(
        f"('{code}', {places}, {10**places}, cast({Decimal(1).scaleb(-places):f} as decimal(4,3)))"
        for code, places in sorted(MINOR_UNITS.items())
    )
    return (
        "select * from (values " + rows + ") as currencies(code, minor_units, minor_factor, unit)"
    )


def _quarantine_sql(run: Run) -> str:
    selects = [
        run.wh.render(
            "staging/quarantined.sql",
            model=model.name,
            source=model.source,
            stream=model.stream,
            id_column=model.record_id_column,
        )
        for model in STAGING_MODELS
        if model.has_rules
    ]
    return "\nunion all\n".join(selects)


def bill(run: Run) -> dict[str, int]:
    """Contracts as of the run and the drafts their triggers produce (time, milestone)."""
    return run.build(BILL_MODELS)


def reconcile(run: Run) -> dict[str, int]:
    counts = run.build(RECONCILE_MODELS)
    counts["failed_checks"] = int(
        run.wh.scalar(
            f"select count(*) from {run.wh.schemas.build}.reconciliation where not passed"
        )
    )
    return counts


def issue(run: Run) -> dict[str, int]:
    """Number the READY drafts not issued before; carry every earlier document over untouched."""
    counts = run.build(ISSUE_MODELS)
    counts["issued"] = int(
        run.wh.scalar(
            f"select count(*) from {run.wh.schemas.build}.int_issued_invoices where is_new"
        )
    )
    return counts


def apply_payments(run: Run) -> dict[str, int]:
    return run.build(PAYMENT_MODELS)


def age(run: Run) -> dict[str, int]:
    return run.build(AGE_MODELS)


def forecast(run: Run) -> dict[str, int]:
    return run.build(FORECAST_MODELS)


def notify(run: Run) -> dict[str, int]:
    """The outbox messages and payment reminders due at as_of, rendered once (billflow/outbox.py);
    earlier ones carried over untouched."""
    counts = run.build(OUTBOX_DUE_MODELS)
    counts["rendered"] = outbox.render_due(run.wh)
    counts.update(run.build(OUTBOX_MODELS))
    return counts


def conservation(run: Run) -> list[tuple[str, str, int]]:
    """Dispositions per fact stream; raises ConservationError when they do not add up."""
    rows = [
        (stream, disposition, int(records))
        for stream, disposition, records in run.wh.query(
            run.wh.render("audit/row_conservation.sql", as_of=run.as_of_sql)
        )
    ]
    in_raw: dict[str, int] = {}
    accounted: dict[str, int] = defaultdict(int)
    for stream, disposition, records in rows:
        if disposition == "_in_raw":
            in_raw[stream] = records
        else:
            accounted[stream] += records
    for stream, total in in_raw.items():
        if accounted[stream] != total:
            raise ConservationError(
                f"row conservation failed for {stream}: {total} records in raw but "
                f"{accounted[stream]} accounted for; see build tables of run {run.run_id}"
            )
    return [row for row in rows if row[1] != "_in_raw"]


def publish(run: Run, dispositions: list[tuple[str, str, int]]) -> dict[str, int]:
    """Replace the marts (and quarantine) with the build and append the run's audit events
    (billflow/audit.py), in one transaction."""
    wh = run.wh
    counts: dict[str, int] = {}
    with wh.transaction():
        for table in load_layer("marts").values():
            counts[table.name] = _publish_table(run, table)
        counts["quarantine"] = _publish_quarantine(wh)
        _record_conservation(run, dispositions)
        counts["audit_events"] = len(
            audit.append_events(wh, audit.run_events(wh, run.as_of, run.run_id))
        )
    return counts


def _publish_table(run: Run, table: Table) -> int:
    wh = run.wh
    source = f"{wh.schemas.build}.{table.name}"
    scope = f" where as_of = {run.as_of_sql}" if table.publish == "snapshot" else ""
    target = f"{wh.schemas.marts}.{table.name}"
    _sync_rows(wh, target, source, columns=table.column_names, key=table.primary_key, scope=scope)
    return int(wh.scalar(f"select count(*) from {source}"))


def _publish_quarantine(wh: Warehouse) -> int:
    table = load_layer("quarantine")["records"]
    target = f"{wh.schemas.quarantine}.records"
    source = f"{wh.schemas.build}.quarantine_records"
    _sync_rows(wh, target, source, columns=table.column_names, key=table.primary_key, scope="")
    return int(wh.scalar(f"select count(*) from {target}"))


def _sync_rows(
    wh: Warehouse,
    target: str,
    source: str,
    *,
    columns: list[str],
    key: tuple[str, ...],
    scope: str,
) -> None:
    """Make the rows of `target` in `scope` equal those of `source`, deleting and inserting
    only the rows that differ. The result is a full replacement's, but a commit that rewrites
    a whole table costs far more than one that changes a few rows (DuckDB rewrites the
    table's row groups and indexes at checkpoint), and most rows are unchanged night to night.
    A table without a primary key is replaced whole."""
    listed = ", ".join(columns)
    if not key:
        wh.execute(f"delete from {target}{scope}")
        wh.execute(f"insert into {target} ({listed}) select {listed} from {source}")
        return
    keys = ", ".join(key)
    wh.replace_table(
        "publish_stale",
        f"select {keys} from (select {listed} from {target}{scope} "
        f"except select {listed} from {source}) as stale",
        temp=True,
    )
    matched = " and ".join(f"stale.{column} = {target}.{column}" for column in key)
    wh.execute(
        f"delete from {target} where exists (select 1 from publish_stale as stale where {matched})"
    )
    wh.execute(
        f"insert into {target} ({listed}) select {listed} from {source} "
        f"except select {listed} from {target}{scope}"
    )


def _record_conservation(run: Run, dispositions: list[tuple[str, str, int]]) -> None:
    wh = run.wh
    target = f"{wh.schemas.audit}.row_conservation"
    wh.execute(f"delete from {target} where run_id = {sql_literal(run.run_id)}")
    if not dispositions:
        return
    values = ", ".join(
        f"({sql_literal(run.run_id)}, {run.as_of_sql}, {sql_literal(stream)}, "
        f"{sql_literal(disposition)}, {records})"
        for stream, disposition, records in dispositions
    )
    wh.execute(
        f"insert into {target} (run_id, as_of, stream, disposition, records) values {values}"
    )
