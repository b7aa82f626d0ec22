"""reconciliation_rerun: the nightly run again, for the billing periods of one month (and
optionally one client), as a dry run that shows what would change or applied."""

from __future__ import annotations

from datetime import date

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from billflow import rerun
from billflow.alerts import on_failure
from billflow.pipeline import Run
from billflow.rerun import RerunReport, Scope
from flows.nightly import billing_run, run_settings
from tasks.common import TASK_OPTIONS

FLOW_NAME = "reconciliation_rerun"


@flow(name=FLOW_NAME, log_prints=False, on_failure=[on_failure], on_crashed=[on_failure])
def reconciliation_rerun(  # noqa: PLR0917 - a flow's parameters are what a person reruns by
    period: str,
    client: str | None = None,
    dry_run: bool = True,
    as_of: date | None = None,
    source_dir: str | None = None,
    warehouse_url: str | None = None,
    source: str | None = None,
) -> RerunReport:
    """Recompute the drafts of the billing periods ending in `period` (YYYY-MM), optionally
    of one client (HubSpot company id), as of `as_of` (default today). A dry run (the
    default) writes nothing and reports the difference from the marts; applying issues the
    scope's READY drafts (and the adjustments and credit notes they carry) and publishes."""
    scope = Scope(period, client)
    scope.bounds  # noqa: B018 - a malformed period fails here, before any work
    settings = run_settings(source_dir, warehouse_url, source)
    reports: list[RerunReport] = []

    def compare(run: Run) -> None:
        reports.append(compare_with_marts(run, scope, not dry_run))

    billing_run(settings, FLOW_NAME, as_of, dry_run, scope=scope, before_publish=compare)
    result = reports[0]
    create_markdown_artifact(
        markdown="\n".join(["```", *result.lines(), "```"]),
        key="reconciliation-rerun",
        description="rerun difference",
    )
    return result


@task(name="compare with the marts", **TASK_OPTIONS)
def compare_with_marts(run: Run, scope: Scope, applied: bool) -> RerunReport:
    return rerun.report(run.wh, scope, run.as_of, applied)
