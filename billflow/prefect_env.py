"""Prefect settings for clean, quiet runs, applied before Prefect is imported.

Prefect configures logging at import time, so the CLI calls `configure()` first. Each value is
a default: an environment variable the user set wins. Run logs still reach the Prefect API at
INFO; only the console is quieter.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_QUIET = {
    # "Starting temporary server ..." and its like are INFO on the bare "prefect" logger
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "INFO",
    # the temporary server's own shutdown noise ("Error flushing N events")
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    # no telemetry, client or server
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    # a cold temporary server can take 30-45 s here; the default wait is 20 s
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def configure(verbose: bool = False) -> None:
    """Set the quiet defaults; the console shows run logs only when `verbose`."""
    for key, value in _QUIET.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault(
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "INFO" if verbose else "CRITICAL"
    )
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


class _NoTraceback(logging.Formatter):
    """Formats a record without its traceback: the CLI reports errors in one line."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def strip_console_tracebacks() -> None:
    """After Prefect is imported: its console handler prints messages without tracebacks."""
    from prefect.logging.handlers import PrefectConsoleHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler):
            handler.setFormatter(_NoTraceback(handler.formatter))


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM exits through Python's cleanup, so the temporary Prefect server is stopped
    (the default handler would leave it running) and the run is marked crashed."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


@contextmanager
def without_heartbeats() -> Iterator[None]:
    """Flow runs started from the CLI skip the heartbeat thread, which costs a second a run;
    a served deployment keeps its heartbeats (they detect a crashed worker)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
