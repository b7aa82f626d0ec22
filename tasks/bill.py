"""Resolve contracts as of the run and draft what their triggers say is due."""

from prefect import task

from billflow import pipeline
from billflow.pipeline import Run
from tasks.common import TASK_OPTIONS, log_counts


@task(name="draft invoices", **TASK_OPTIONS)
def draft_invoices(run: Run) -> dict[str, int]:
    return log_counts("drafted", pipeline.bill(run))
