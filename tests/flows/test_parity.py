"""DuckDB and PostgreSQL publish the same marts, row for row, on generated data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from billflow.contracts import load_layer
from billflow.generator import generate
from tests.conftest import warehouse_env
from tests.helpers import mart, run_dates

DATES = [date(2026, 2, 2), date(2026, 3, 2), date(2026, 4, 1)]


def test_duckdb_and_postgres_marts_are_identical(tmp_path: Path, prefect_server: str) -> None:
    pages = tmp_path / "pages"
    generate(pages, seed=4242, clients=8, projects=16, people=12, entries=1500, months=3)
    published = {}
    for kind in ("duckdb", "postgres"):
        with warehouse_env(kind, tmp_path / kind, pages) as settings:
            run_dates(DATES)
            published[kind] = {table: mart(settings, table) for table in load_layer("marts")}
    for table in load_layer("marts"):
        duck, postgres = published["duckdb"][table], published["postgres"][table]
        assert len(duck) == len(postgres), table
        assert duck == postgres, table
    assert sum(len(rows) for rows in published["duckdb"].values()) > 100
