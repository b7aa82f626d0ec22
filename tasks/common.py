"""What every billflow task shares: its retry policy and its one log line."""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger
from prefect.cache_policies import NO_CACHE

from billflow.errors import TransientError

RETRY_DELAYS = [2, 10, 30]


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a task only when it failed on a fault that may pass (HTTP 429/5xx, a lock)."""
    return isinstance(state.result(raise_on_failure=False), TransientError)


TASK_OPTIONS: dict[str, Any] = {
    "retries": len(RETRY_DELAYS),
    "retry_delay_seconds": RETRY_DELAYS,
    "retry_condition_fn": retry_transient,
    "cache_policy": NO_CACHE,
}


def log_counts(step: str, counts: dict[str, int]) -> dict[str, int]:
    """The task's one log line: what it built, with row counts."""
    figures = ", ".join(f"{name} {count}" for name, count in counts.items())
    get_run_logger().info("%s: %s", step, figures)
    return counts
