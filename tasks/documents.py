"""Render the invoice and contract documents from the published marts."""

from prefect import task

from billflow.documents import render_documents
from billflow.pipeline import Run
from tasks.common import TASK_OPTIONS, log_counts


@task(name="render documents", **TASK_OPTIONS)
def render_invoice_documents(run: Run) -> dict[str, int]:
    return log_counts("documents", render_documents(run.wh))
