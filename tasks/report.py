"""Render the finance report from the published marts (billflow/report.py)."""

from prefect import get_run_logger, task

from billflow.pipeline import Run
from billflow.report import render_report
from tasks.common import TASK_OPTIONS


@task(name="render report", **TASK_OPTIONS)
def render_finance_report(run: Run) -> str:
    path = render_report(run.wh, run.as_of)
    get_run_logger().info("report: %s, %d bytes", path, path.stat().st_size)
    return str(path)
