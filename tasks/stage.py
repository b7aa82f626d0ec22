"""Type every source stream (sql/staging) and route bad records to quarantine."""

from prefect import task

from billflow import pipeline, quality
from billflow.pipeline import Run
from tasks.common import TASK_OPTIONS, log_counts


@task(name="stage and quarantine", **TASK_OPTIONS)
def stage_sources(run: Run) -> dict[str, int]:
    return log_counts("staged", pipeline.stage(run))


@task(name="validate staging", **TASK_OPTIONS)
def validate_staging(run: Run) -> dict[str, int]:
    """The Great Expectations gate: a failed suite stops the run before publish."""
    return log_counts("expectations passed", quality.validate_staging(run.wh))
