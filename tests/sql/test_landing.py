"""Raw keeps versions: a re-read adds nothing, a changed record adds one version, and
staging reads the newest. Pages are rendered by the generator from an edited sample."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from billflow import pipeline
from billflow.config import Settings
from billflow.pipeline import Run
from billflow.warehouse import Warehouse
from tests.conftest import POSTGRES_URL
from tests.helpers import land, render_pages, sample_scenario


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        settings = Settings(warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}")
    else:
        settings = Settings(warehouse_url=POSTGRES_URL, schema_prefix=f"t{uuid.uuid4().hex[:10]}_")
    wh = Warehouse(settings)
    wh.init()
    yield wh
    if request.param == "postgres":
        wh.drop_all()
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
        f"select minutes from {warehouse.schemas.staging}.stg_teamwork__time_entries "
        "where entry_id = '9121'"
    )
    assert minutes == 540
    versions = warehouse.scalar(
        f"select count(*) from {warehouse.schemas.raw}.records where record_id = '9121'"
    )
    assert versions == 2


def test_a_redelivered_event_is_one_version_whatever_its_whitespace(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    pages = render_pages(sample_scenario(), tmp_path / "case")
    assert land(warehouse, pages, "run-1")[1] == 86
    listed = json.loads((pages / "stripe" / "events" / "page_0001.json").read_text())
    webhook = pages / "stripe" / "events" / "evt_webhook.json"
    webhook.write_text(json.dumps(listed["data"][0], indent=4))
    assert land(warehouse, pages, "run-2") == (87, 0)
