"""Failure and crash alerts: a flow run that fails or crashes POSTs one JSON message to the
setting `alert_webhook_url`, naming the flow, the run, the failed task, the parameters and
the error (docs/operations.md lists what each alert means). An alert that cannot be sent is
logged, never raised: the run's own failure is what matters."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from billflow.config import load_settings
from billflow.errors import masked

log = logging.getLogger("billflow.alerts")


def on_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect's on_failure and on_crashed hook of every billflow flow."""
    settings = load_settings()
    if not settings.alert_webhook_url:
        return
    alert = describe(flow.name, flow_run, state)
    try:
        response = httpx.post(
            settings.alert_webhook_url, json=alert, timeout=settings.alert_timeout_seconds
        )
        response.raise_for_status()
    except httpx.HTTPError as exc:
        log.error("could not send the alert for %s to the alert webhook: %s", flow_run.name, exc)


def describe(flow_name: str, flow_run: Any, state: Any) -> dict[str, Any]:
    """The alert's fields; `failed_tasks` are the task runs that ended FAILED or CRASHED."""
    tasks = settled_failed_tasks(flow_run.id)
    return {
        "alert": "billflow flow run " + ("crashed" if state.is_crashed() else "failed"),
        "flow": flow_name,
        "flow_run_id": str(flow_run.id),
        "flow_run_name": flow_run.name,
        "state": state.type.value,
        "failed_task": tasks[0]["name"] if tasks else None,
        "failed_tasks": tasks,
        "parameters": _safe(flow_run.parameters or {}),
        "error": state.message,
    }


def settled_failed_tasks(flow_run_id: Any, wait_seconds: float = 3.0) -> list[dict[str, Any]]:
    """The failed task runs once the API has recorded their final states: Prefect records
    task states from events, a moment after the flow's hook may already run."""
    deadline = time.monotonic() + wait_seconds
    while True:
        tasks = failed_tasks(flow_run_id)
        settled = tasks and all(task["message"] for task in tasks)
        if settled or time.monotonic() >= deadline:
            return tasks
        time.sleep(0.25)


def failed_tasks(flow_run_id: Any) -> list[dict[str, Any]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        TaskRunFilter,
        TaskRunFilterState,
        TaskRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            task_run_filter=TaskRunFilter(
                state=TaskRunFilterState(
                    type=TaskRunFilterStateType(any_=[StateType.FAILED, StateType.CRASHED])
                )
            ),
        )
    ordered = sorted(runs, key=lambda run: str(run.start_time or run.expected_start_time or ""))
    return [_task(run) for run in ordered]


def _task(run: Any) -> dict[str, Any]:
    state = run.state
    return {
        "name": run.name,
        "state": state.type.value if state else None,
        "message": state.message if state else None,
    }


def _safe(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters as JSON values, a warehouse URL without its password."""
    return {
        name: masked(value) if "url" in name and isinstance(value, str) else value
        for name, value in parameters.items()
    }
