"""Check each draft against the delivery evidence; a failed check holds it."""

from prefect import task

from billflow import pipeline
from billflow.pipeline import Run
from tasks.common import TASK_OPTIONS, log_counts


@task(name="reconcile drafts", **TASK_OPTIONS)
def reconcile_drafts(run: Run) -> dict[str, int]:
    return log_counts("reconciled", pipeline.reconcile(run))
