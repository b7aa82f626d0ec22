"""Write the 13-week cash forecast."""

from prefect import task

from billflow import pipeline
from billflow.pipeline import Run
from tasks.common import TASK_OPTIONS, log_counts


@task(name="forecast cash", **TASK_OPTIONS)
def forecast_cash(run: Run) -> dict[str, int]:
    return log_counts("forecast", pipeline.forecast(run))
