"""Issue READY drafts: numbers, lines and lineage; earlier documents carried over untouched."""

from prefect import task

from billflow import pipeline
from billflow.pipeline import Run
from tasks.common import TASK_OPTIONS, log_counts


@task(name="issue invoices", **TASK_OPTIONS)
def issue_invoices(run: Run) -> dict[str, int]:
    return log_counts("issued", pipeline.issue(run))
