"""The warehouse lock: one writing run at a time, flow or CLI.

DuckDB: an exclusive `flock` on a file beside the database (`<file>.lock`), which also names
the holder. PostgreSQL: a session advisory lock keyed by the schema prefix; the holder is read
from pg_stat_activity. A second writer waits up to `lock_timeout_seconds`, then fails with a
message naming the holder. The OS releases both if the process dies.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from billflow.config import Settings
from billflow.errors import WarehouseLockedError, WarehouseUnavailableError, masked, one_line

_POLL_SECONDS = 0.2


def holder_description(flow: str, run_id: str) -> str:
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{flow} run {run_id} (pid {os.getpid()} on {socket.gethostname()}, since {started})"


@contextmanager
def warehouse_lock(settings: Settings, holder: str) -> Iterator[None]:
    """Hold the writer lock of the configured warehouse for the duration of the block."""
    url = settings.warehouse_url
    if url.startswith("postgresql"):
        with _postgres_lock(settings, holder):
            yield
        return
    database = make_url(url).database
    if not database or database == ":memory:":
        yield
        return
    with _file_lock(Path(f"{database}.lock"), holder, settings.lock_timeout_seconds, url):
        yield


@contextmanager
def _file_lock(path: Path, holder: str, timeout: float, url: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        _wait(lambda: _try_flock(handle), timeout, lambda: _file_holder(path), url)
        handle.seek(0)
        handle.truncate()
        handle.write(holder)
        handle.flush()
        yield
    finally:
        handle.close()


def _try_flock(handle: Any) -> bool:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _file_holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "another process"
    except OSError:
        return "another process"


@contextmanager
def _postgres_lock(settings: Settings, holder: str) -> Iterator[None]:
    key = zlib.crc32(f"billflow:{settings.schema_prefix}".encode())
    name = holder[:63]
    engine = sa.create_engine(
        settings.warehouse_url,
        poolclass=sa.NullPool,
        connect_args={"application_name": name},
    )
    try:
        with _connected(engine, settings.warehouse_url) as connection:
            yield from _hold_advisory_lock(connection, key, settings)
    finally:
        engine.dispose()


def _hold_advisory_lock(connection: sa.Connection, key: int, settings: Settings) -> Iterator[None]:
    connection.execution_options(isolation_level="AUTOCOMMIT")

    def attempt() -> bool:
        return bool(connection.exec_driver_sql(f"select pg_try_advisory_lock({key})").scalar())

    def current_holder() -> str:
        names = connection.exec_driver_sql(
            "select a.application_name from pg_locks l join pg_stat_activity a using (pid) "
            f"where l.locktype = 'advisory' and l.objid = {key} and l.granted"
        ).scalars()
        return next(iter(names), None) or "another session"

    _wait(attempt, settings.lock_timeout_seconds, current_holder, settings.warehouse_url)
    try:
        yield
    finally:
        connection.exec_driver_sql(f"select pg_advisory_unlock({key})")


@contextmanager
def _connected(engine: sa.Engine, url: str) -> Iterator[sa.Connection]:
    try:
        connection = engine.connect()
    except sa.exc.DBAPIError as exc:
        raise WarehouseUnavailableError(
            f"cannot open the warehouse {masked(url)}: {one_line(exc)}"
        ) from exc
    with connection:
        yield connection


def _wait(attempt: Any, timeout: float, holder: Any, url: str) -> None:
    deadline = time.monotonic() + timeout
    while not attempt():
        if time.monotonic() >= deadline:
            raise WarehouseLockedError(
                f"the warehouse {masked(url)} is locked by {holder()}; waited {timeout:g} s. "
                "Try again when that run ends (setting lock_timeout_seconds sets the wait)."
            )
        time.sleep(_POLL_SECONDS)
