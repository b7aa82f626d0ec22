"""nightly_billing: land, stage, bill, reconcile, issue, pay, age, forecast, publish.

`billing_run` is the run itself, under the warehouse lock and recorded in audit.runs; the
reconciliation rerun (flows/rerun.py) is the same run with a scope on what it may issue.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from billflow import audit, bookmarks, summary
from billflow.alerts import on_failure
from billflow.config import Settings, load_settings
from billflow.errors import BillflowError, ConfigError, masked, one_line
from billflow.lock import holder_description, warehouse_lock
from billflow.pipeline import Run
from billflow.queueing import writing_slot
from billflow.rerun import Scope
from billflow.summary import RunSummary
from billflow.warehouse import Warehouse
from connectors.base import Page
from connectors.live import with_credentials
from connectors.streams import SOURCES
from tasks.bill import draft_invoices
from tasks.documents import render_invoice_documents
from tasks.forecast import forecast_cash
from tasks.invoice import issue_invoices
from tasks.land import fetch_source, land_raw
from tasks.outbox import deliver_outbox, queue_messages
from tasks.payments import apply_payments
from tasks.publish import check_conservation, publish_marts
from tasks.receivables import age_receivables
from tasks.reconcile import reconcile_drafts
from tasks.report import render_finance_report
from tasks.stage import stage_sources, validate_staging

FLOW_NAME = "nightly_billing"


@flow(name=FLOW_NAME, log_prints=False, on_failure=[on_failure], on_crashed=[on_failure])
def nightly_billing(
    as_of: date | None = None,
    dry_run: bool = False,
    source_dir: str | None = None,
    warehouse_url: str | None = None,
    source: str | None = None,
) -> RunSummary:
    """Bill everything due by `as_of` (default: today in the company time zone).

    A dry run computes every table in the build schema and publishes nothing. `source`:
    files (pages in `source_dir`) or live (the vendors' APIs; docs/connectors.md).
    """
    settings = run_settings(source_dir, warehouse_url, source)
    result = billing_run(settings, FLOW_NAME, as_of, dry_run)
    create_markdown_artifact(
        markdown=result.markdown(), key="nightly-billing-summary", description="billing run"
    )
    return result


def billing_run(
    settings: Settings,
    flow_name: str,
    as_of: date | None,
    dry_run: bool,
    *,
    scope: Scope | None = None,
    before_publish: Callable[[Run], None] | None = None,
) -> RunSummary:
    """One run under the warehouse lock: every step, then publish unless `dry_run`. Only
    drafts in `scope` are issued (all without one); `before_publish` sees the build while
    the marts still hold the previous state."""
    run_id = str(flow_run.id or uuid.uuid4())
    with writing_slot(settings), warehouse_lock(settings, holder_description(flow_name, run_id)):
        wh = Warehouse(settings)
        try:
            run = Run(wh, as_of or datetime.now(settings.tz).date(), run_id, flow_name)
            if scope is not None:
                run.scope = scope.sql(wh)
            parameters = _parameters(run, settings, scope)
            return _audited(run, settings, dry_run, parameters, before_publish)
        finally:
            wh.close()


def _audited(
    run: Run,
    settings: Settings,
    dry_run: bool,
    parameters: dict[str, Any],
    before_publish: Callable[[Run], None] | None,
) -> RunSummary:
    """Run the steps; audit.runs records the run unless it is a dry run."""
    started = time.monotonic()
    run.wh.init()
    if not dry_run:
        _refuse_the_past(run)
        audit.record_start(run.wh, run.run_id, run.flow, run.as_of, parameters)
    try:
        result = _steps(run, settings, dry_run, before_publish)
    except BaseException as exc:
        if not dry_run:
            audit.record_end(run.wh, run.run_id, "FAILED", error=one_line(exc))
        raise
    result.duration_seconds = time.monotonic() - started
    if not dry_run:
        audit.record_end(run.wh, run.run_id, "COMPLETED", result)
    return result


def _refuse_the_past(run: Run) -> None:
    """Invoices are never unissued, so a writing run cannot go back before the latest one."""
    latest = run.wh.scalar(f"select max(issue_date) from {run.wh.schemas.marts}.invoices")
    if latest is not None and run.as_of < latest:
        raise BillflowError(
            f"as_of {run.as_of} is before {latest}, the issue date of the latest invoice; "
            "a past date can only be rerun with --dry-run"
        )


def _steps(
    run: Run, settings: Settings, dry_run: bool, before_publish: Callable[[Run], None] | None
) -> RunSummary:
    pages, moved = fetch_all(run, settings)
    landing = land_raw(run, pages, dry_run, moved)
    stage_sources(run)
    validate_staging(run)
    draft_invoices(run)
    reconcile_drafts(run)
    issue_invoices(run)
    apply_payments(run)
    age_receivables(run)
    forecast_cash(run)
    queue_messages(run)
    dispositions = check_conservation(run)
    if before_publish is not None:
        before_publish(run)
    if not dry_run:
        publish_marts(run, dispositions)
        render_invoice_documents(run)
        deliver_outbox(run)
        render_finance_report(run)
    result = RunSummary(
        as_of=run.as_of,
        run_id=run.run_id,
        dry_run=dry_run,
        warehouse=masked(run.wh.settings.warehouse_url),
        pages=landing.pages,
        pages_skipped=landing.skipped,
        records_new=sum(landing.new_versions.values()),
        records_unchanged=landing.unchanged,
    )
    return summary.collect(run.wh, result)


def fetch_all(run: Run, settings: Settings) -> tuple[list[Page], dict[str, str]]:
    """Every source's pages, fetched concurrently, and the bookmarks they move."""
    marks = bookmarks.read(run.wh)
    started = datetime.now(UTC)
    pull = f"{started:%Y%m%dT%H%M%SZ}-{run.run_id[:8]}"
    futures = [fetch_source.submit(source, settings, marks, pull, started) for source in SOURCES]
    pulls = [future.result() for future in futures]
    moved = {key: mark for pulled in pulls for key, mark in pulled.bookmarks.items()}
    return [page for pulled in pulls for page in pulled.pages], moved


def run_settings(source_dir: str | None, warehouse_url: str | None, source: str | None) -> Settings:
    """The settings with a flow's parameters applied."""
    if source not in (None, "files", "live"):
        raise ConfigError(f"source must be files or live, not {source!r}")
    settings = load_settings().with_overrides(
        source_dir=Path(source_dir) if source_dir else None,
        warehouse_url=warehouse_url,
        source=source,
    )
    return with_credentials(settings) if settings.source == "live" else settings


def _parameters(run: Run, settings: Settings, scope: Scope | None) -> dict[str, Any]:
    scoped = {"period": scope.period, "client": scope.client} if scope else {}
    return {
        "as_of": run.as_of.isoformat(),
        **scoped,
        "source": settings.source,
        "source_dir": str(settings.source_dir),
        "warehouse": masked(settings.warehouse_url),
    }
