"""`billflow nightly --source live` against fake vendor APIs publishes the same marts as the
file source on the same data, night after night, as the data changes between nights."""

from __future__ import annotations

import copy
import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from billflow.config import load_settings
from billflow.contracts import load_layer
from billflow.paths import ROOT
from connectors.streams import STREAMS
from tests.conftest import warehouse_env
from tests.fakes.vendor_apis import FakeVendors, VendorData
from tests.helpers import mart, rows, run_nightly

SAMPLE = ROOT / "data" / "sample"
DATES = [date(2026, 2, 2), date(2026, 3, 2)]
LATER = date(2026, 4, 22)
TIME = next(stream for stream in STREAMS if stream.key == "teamwork.time")


def changes(data: VendorData) -> dict[str, Any]:
    """A page of edits made after everything else the vendors hold: a February entry (already
    invoiced: a late edit) longer, a March entry deleted."""
    longer = copy.deepcopy(data.records["teamwork.time"]["9113"])
    longer |= {"minutes": longer["minutes"] + 60, "updatedAt": "2026-04-21T09:00:00Z"}
    gone = copy.deepcopy(data.records["teamwork.time"]["9122"])
    gone |= {"deleted": True, "deletedAt": "2026-04-21T10:00:00Z",
             "updatedAt": "2026-04-21T10:00:00Z"}  # fmt: skip
    return {"timelogs": [longer, gone]}


def test_live_and_file_sources_publish_the_same_marts(tmp_path: Path, prefect_server: str) -> None:
    data = VendorData.from_folder(SAMPLE)
    edits = changes(data)
    folder = tmp_path / "pages"
    shutil.copytree(SAMPLE, folder)
    published: dict[str, dict[str, list[dict[str, Any]]]] = {}

    with warehouse_env("duckdb", tmp_path / "files", folder) as settings:
        for as_of in DATES:
            run_nightly(as_of)
        (folder / TIME.folder / "page_9999.json").write_text(json.dumps(edits))
        run_nightly(LATER)
        published["files"] = {table: mart(settings, table) for table in load_layer("marts")}

    fake = FakeVendors(VendorData.from_folder(SAMPLE))
    with fake.running(), warehouse_env("duckdb", tmp_path / "live", tmp_path / "none"):
        with pytest.MonkeyPatch.context() as patch:
            for name, value in fake.settings().items():
                patch.setenv(f"BILLFLOW_{name.upper()}", str(value))
            patch.setenv("BILLFLOW_LANDING_DIR", str(tmp_path / "landing"))
            load_settings.cache_clear()
            settings = load_settings()
            for as_of in DATES:
                run_nightly(as_of)
            fake.data.add_page(TIME, edits)
            summary = run_nightly(LATER)
            published["live"] = {table: mart(settings, table) for table in load_layer("marts")}
            versions = rows(settings, "select count(*), count(distinct source || stream || "
                            "record_id || version) from {raw}.records")  # fmt: skip
            marks = dict(rows(settings, "select stream, bookmark from {raw}.bookmarks"))
        load_settings.cache_clear()

    # the live source adds one thing: the amounts written back to HubSpot deals
    written_back = [m for m in published["live"]["outbox"] if m["kind"] == "deal_amounts"]
    published["live"]["outbox"] = [m for m in published["live"]["outbox"] if m not in written_back]
    for table in load_layer("marts"):
        if table != "deal_writebacks":
            assert published["live"][table] == published["files"][table], table
    assert written_back and fake.deal_updates
    assert published["files"]["deal_writebacks"] == []
    assert len(published["files"]["invoices"]) > 10
    assert versions[0][0] == versions[0][1]  # every record version once
    assert summary.records_new == 2  # the third night landed only the two edits
    assert marks["time"] == "2026-04-21T10:00:00Z"
    assert [row["entry_id"] for row in published["live"]["late_edits"]].count("9113") == 1
