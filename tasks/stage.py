"""Type every source stream (sql/staging) and route bad records to quarantine."""

from prefect import task

from billflow import pipeline
from billflow.pipeline import Run
from tasks.common import TASK_OPTIONS, log_counts


@task(name="stage and quarantine", **TASK_OPTIONS)
def stage_sources(run: Run) -> dict[str, int]:
    return log_counts("staged", pipeline.stage(run))
