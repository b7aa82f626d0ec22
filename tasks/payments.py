"""Apply Stripe payments to invoices and derive each invoice's status."""

from prefect import task

from billflow import pipeline
from billflow.pipeline import Run
from tasks.common import TASK_OPTIONS, log_counts


@task(name="apply payments", **TASK_OPTIONS)
def apply_payments(run: Run) -> dict[str, int]:
    return log_counts("payments", pipeline.apply_payments(run))
