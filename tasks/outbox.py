"""Queue the outbox messages due (in the build) and, after publish, deliver them."""

from prefect import task

from billflow import outbox, pipeline
from billflow.pipeline import Run
from tasks.common import TASK_OPTIONS, log_counts


@task(name="queue messages", **TASK_OPTIONS)
def queue_messages(run: Run) -> dict[str, int]:
    return log_counts("outbox", pipeline.notify(run))


@task(name="deliver outbox", **TASK_OPTIONS)
def deliver_outbox(run: Run) -> dict[str, int]:
    return log_counts("outbox delivery", outbox.deliver(run.wh, run.as_of))
