"""Raw keeps versions: a re-read adds nothing, a changed record adds one version, and
staging reads the newest. Pages are rendered by the generator from an edited sample."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from billflow import pipeline
from billflow.config import Settings
from billflow.generator import render
from billflow.landing import land_pages
from billflow.paths import ROOT
from billflow.pipeline import Run
from billflow.warehouse import Warehouse
from connectors.files import FileConnector
from connectors.streams import STREAMS


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    wh = Warehouse(Settings(warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}"))
    wh.init()
    yield wh
    wh.close()


def sample_scenario() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "data" / "sample.yml").read_text())
    return loaded


def render_pages(scenario: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True)
    path = folder / "scenario.yml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    render(path, folder / "pages")
    return folder / "pages"


def land(wh: Warehouse, source_dir: Path, run_id: str) -> tuple[int, int]:
    pages = [page for s in STREAMS for page in FileConnector(s.source, source_dir).fetch(s)]
    result = land_pages(wh, pages, run_id)
    return sum(result.records.values()), sum(result.new_versions.values())


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
