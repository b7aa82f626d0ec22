"""Age open receivables and roll contract figures up as of the run."""

from prefect import task

from billflow import pipeline
from billflow.pipeline import Run
from tasks.common import TASK_OPTIONS, log_counts


@task(name="age receivables", **TASK_OPTIONS)
def age_receivables(run: Run) -> dict[str, int]:
    return log_counts("aged", pipeline.age(run))
