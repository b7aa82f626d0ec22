"""Shared fixtures. Prefect is configured before anything imports it, and one temporary
Prefect server (the test harness) serves the whole session of each test process (`make test`
runs two, pytest-xdist)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="billflow-prefect-"))

from billflow import prefect_env

prefect_env.configure(verbose=False)

import pytest  # noqa: E402

from billflow.config import Settings, load_settings  # noqa: E402
from billflow.paths import SAMPLE_DIR  # noqa: E402
from billflow.warehouse import Warehouse  # noqa: E402

POSTGRES_URL = os.environ.get(
    "BILLFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[str]:
    """One Prefect test server for the session; yields its API URL."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        prefect_env.strip_console_tracebacks()
        yield str(PREFECT_API_URL.value())


@contextmanager
def warehouse_env(kind: str, folder: Path, source_dir: Path = SAMPLE_DIR) -> Iterator[Settings]:
    """Environment and settings for a private warehouse of `kind` (duckdb or postgres).

    The flow reads its settings from the environment, as a deployment would; the PostgreSQL
    warehouse gets a unique schema prefix, dropped afterwards.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("BILLFLOW_") and name != "BILLFLOW_TEST_POSTGRES_URL":
                patch.delenv(name)
        patch.setenv("BILLFLOW_SOURCE_DIR", str(source_dir))
        patch.setenv("BILLFLOW_DOCUMENTS_DIR", str(folder / "documents"))
        if kind == "postgres":
            patch.setenv("BILLFLOW_WAREHOUSE_URL", POSTGRES_URL)
            patch.setenv("BILLFLOW_SCHEMA_PREFIX", f"t{uuid.uuid4().hex[:10]}_")
        else:
            patch.setenv("BILLFLOW_WAREHOUSE_URL", f"duckdb:///{folder / 'warehouse.duckdb'}")
        load_settings.cache_clear()
        settings = load_settings()
        try:
            yield settings
        finally:
            if kind == "postgres":
                _drop(settings)
            load_settings.cache_clear()


def _drop(settings: Settings) -> None:
    warehouse = Warehouse(settings)
    try:
        warehouse.drop_all()
    finally:
        warehouse.close()


@pytest.fixture(params=["duckdb", "postgres"])
def any_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """A private warehouse; the test runs once on DuckDB and once on PostgreSQL."""
    with warehouse_env(request.param, tmp_path) as settings:
        yield settings


@pytest.fixture(scope="session")
def demo_duckdb(tmp_path_factory: pytest.TempPathFactory, prefect_server: str) -> Settings:
    """`make demo` on DuckDB, built once for the session and shared (tests only read it):
    the nightly flow weekly to 15 April 2026, the three commands, and the refresh run."""
    from tests.helpers import DEMO_DATES, run_dates, run_demo_commands, run_nightly

    with warehouse_env("duckdb", tmp_path_factory.mktemp("demo-duckdb")) as settings:
        run_dates(DEMO_DATES)
        run_demo_commands(settings)
        run_nightly(date(2026, 4, 15))
    return settings


@pytest.fixture
def duckdb_settings(tmp_path: Path) -> Iterator[Settings]:
    with warehouse_env("duckdb", tmp_path) as settings:
        yield settings
