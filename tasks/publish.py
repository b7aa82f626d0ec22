"""Gate the build (row conservation) and publish it to the marts in one transaction."""

from prefect import get_run_logger, task

from billflow import pipeline
from billflow.pipeline import Run
from tasks.common import TASK_OPTIONS, log_counts

Dispositions = list[tuple[str, str, int]]


@task(name="check row conservation", **TASK_OPTIONS)
def check_conservation(run: Run) -> Dispositions:
    dispositions = pipeline.conservation(run)
    streams = sorted({stream for stream, _, _ in dispositions})
    get_run_logger().info("row conservation holds for %s", ", ".join(streams))
    return dispositions


@task(name="publish marts", **TASK_OPTIONS)
def publish_marts(run: Run, dispositions: Dispositions) -> dict[str, int]:
    return log_counts("published", pipeline.publish(run, dispositions))
