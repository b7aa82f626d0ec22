"""Raw keeps versions: a re-read adds nothing, a changed record adds one version, and
staging reads the newest. Pages are rendered by the generator from an edited sample."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from billflow import landing, pipeline
from billflow.config import Settings
from billflow.errors import InvalidPageError
from billflow.pipeline import Run
from billflow.warehouse import Warehouse
from tests.conftest import POSTGRES_URL
from tests.helpers import land, render_counted, render_pages, sample_scenario


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
    first, counts = render_counted(scenario, tmp_path / "first")
    records = sum(counts.values())
    assert land(warehouse, first, "run-1") == (records, records)
    assert land(warehouse, first, "run-2") == (0, 0)  # unchanged files are not read again
    for page in first.rglob("*.json"):
        page.write_bytes(page.read_bytes())  # rewritten as they were: read, nothing new
    assert land(warehouse, first, "run-2b") == (records, 0)

    entry = next(e for e in scenario["time_entries"] if e["id"] == 9121)
    entry["minutes"] = 540
    entry["updated"] = "2026-04-02T09:00:00Z"
    second = render_pages(scenario, tmp_path / "second")
    assert land(warehouse, second, "run-3") == (records, 1)

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
    pages, counts = render_counted(sample_scenario(), tmp_path / "case")
    records = sum(counts.values())
    assert land(warehouse, pages, "run-1")[1] == records
    listed = json.loads((pages / "stripe" / "events" / "page_0001.json").read_text())
    webhook = pages / "stripe" / "events" / "evt_webhook.json"
    webhook.write_text(json.dumps(listed["data"][0], indent=4))
    assert land(warehouse, pages, "run-2") == (1, 0)


def test_content_without_an_updated_time_can_change_back(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """A billing tag goes 7500 -> 8000 -> 7500: staging follows each change."""
    values = []
    for step, value in enumerate(["7500.00", "8000.00", "7500.00"]):
        scenario = sample_scenario()
        tag = next(t for t in scenario["tags"] if t["id"] == 33)
        tag["name"] = f"billing:value={value}"
        land(warehouse, render_pages(scenario, tmp_path / f"step{step}"), f"run-{step}")
        pipeline.stage(Run(warehouse, date(2026, 4, 15), f"run-{step}"))
        values.append(
            warehouse.scalar(
                f"select billing_value from {warehouse.schemas.staging}.stg_teamwork__tags "
                "where tag_id = '33'"
            )
        )
    assert [str(v) for v in values] == ["7500.000", "8000.000", "7500.000"]


def test_an_edit_under_an_unchanged_updated_time_is_not_lost(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """A deal's effective date is edited, then edited back, under one `updatedAt`: each
    content is landed (and staged) once, and re-reading adds nothing."""
    versions = []
    for step, effective in enumerate(["2026-03-16", "2026-03-18", "2026-03-18", "2026-03-16"]):
        scenario = sample_scenario()
        acme = next(d for d in scenario["deals"] if d["id"] == "18413")
        acme["billing"]["effective_date"] = effective
        land(warehouse, render_pages(scenario, tmp_path / f"step{step}"), f"run-{step}")
        pipeline.stage(Run(warehouse, date(2026, 4, 15), f"run-{step}"))
        staged = warehouse.scalar(
            f"select effective_date from {warehouse.schemas.staging}.stg_hubspot__deals "
            "where deal_id = '18413'"
        )
        assert staged == date.fromisoformat(effective)
        versions.append(
            warehouse.scalar(
                f"select count(*) from {warehouse.schemas.raw}.records "
                "where stream = 'deals' and record_id = '18413'"
            )
        )
    assert versions == [1, 2, 2, 3]


def test_rate_pages_take_the_project_from_the_file_name(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """A folder above the pages named project_2026 must not be read as the project."""
    pages = render_pages(sample_scenario(), tmp_path / "project_2026" / "x")
    land(warehouse, pages, "run")
    pipeline.stage(Run(warehouse, date(2026, 4, 15), "run"))
    rates = f"{warehouse.schemas.staging}.stg_teamwork__rates"
    projects = warehouse.query(f"select distinct project_id from {rates} order by 1")
    rated = sorted({str(rate["project_id"]) for rate in sample_scenario()["rates"]})
    assert projects == [(project,) for project in rated]


def test_a_landing_in_many_batches_lands_what_one_batch_lands(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages read a few kilobytes at a time (one landing number per batch) give raw the
    same versions as one batch. A bad page in the last batch stops the landing there: the
    batches before it stay landed, the bad page is not recorded, and once it is mended the
    rerun reads only what was not landed."""
    pages, counts = render_counted(sample_scenario(), tmp_path / "case")
    settings = warehouse.settings
    whole = Warehouse(
        Settings(warehouse_url=f"duckdb:///{tmp_path / 'whole.duckdb'}")
        if warehouse.dialect.name == "duckdb"
        else settings.model_copy(update={"schema_prefix": f"{settings.schema_prefix}w_"})
    )
    whole.init()
    land(whole, pages, "whole")
    versions = (
        "select source, stream, record_id, version, payload_hash from {}.records "
        "order by 1, 2, 3, 4"
    )
    expected = whole.query(versions.format(whole.schemas.raw))
    if warehouse.dialect.name == "postgres":
        whole.drop_all()
    whole.close()

    monkeypatch.setattr(landing, "_MB", 16)  # the default 64 "MB" now mean 1 kB
    files = sorted(pages.rglob("*.json"))
    bad = pages / "teamwork" / "time" / "page_zzzz.json"  # read last: after every time page
    bad.write_text('{"timelogs": [')
    with pytest.raises(InvalidPageError, match=r"page_zzzz\.json: not valid JSON"):
        land(warehouse, pages, "broken")
    raw = warehouse.schemas.raw
    recorded = {page for (page,) in warehouse.query(f"select page from {raw}.landed_pages")}
    assert str(bad) not in recorded and len(recorded) >= len(files) // 2
    landed = warehouse.scalar(f"select count(*) from {raw}.records")
    assert 0 < landed < sum(counts.values())

    bad.write_text('{"timelogs": []}')
    assert land(warehouse, pages, "batched") == (
        sum(counts.values()) - landed,
        sum(counts.values()) - landed,
    )
    assert warehouse.query(versions.format(raw)) == expected
    batches = warehouse.scalar(f"select count(distinct landed_seq) from {raw}.records")
    assert 10 < batches <= len(files)
    assert warehouse.scalar(f"select count(*) from {raw}.landed_pages") == len(files) + 1
