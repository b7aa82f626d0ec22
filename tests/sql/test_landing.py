"""Raw keeps versions: a re-read adds nothing, a changed record adds one version, and
staging reads the newest. Pages are rendered by the generator from an edited sample."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from billflow import pipeline
from billflow.config import Settings
from billflow.pipeline import Run
from billflow.warehouse import Warehouse
from tests.helpers import land, render_pages, sample_scenario


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    wh = Warehouse(Settings(warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}"))
    wh.init()
    yield wh
    wh.close()


def test_reread_adds_nothing_and_an_edit_adds_a_version(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    scenario = sample_scenario()
    first = render_pages(scenario, tmp_path / "first")
    assert land(warehouse, first, "run-1") == (86, 86)
    assert land(warehouse, first, "run-2") == (86, 0)

    entry = next(e for e in scenario["time_entries"] if e["id"] == 9121)
    entry["minutes"] = 540
    entry["updated"] = "2026-04-02T09:00:00Z"
    second = render_pages(scenario, tmp_path / "second")
    assert land(warehouse, second, "run-3") == (86, 1)

    pipeline.stage(Run(warehouse, date(2026, 4, 15), "run-3"))
    minutes = warehouse.scalar(
        "select minutes from staging.stg_teamwork__time_entries where entry_id = '9121'"
    )
    assert minutes == 540
    versions = warehouse.scalar("select count(*) from raw.records where record_id = '9121'")
    assert versions == 2
