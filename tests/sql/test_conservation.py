"""Row conservation counts every record in raw: deleted and archived ones included."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from billflow import pipeline
from billflow.config import Settings
from billflow.pipeline import Run
from billflow.warehouse import Warehouse
from tests.helpers import land, render_counted, sample_scenario


def edit_records(folder: Path, key: str, record_id: object, change: dict[str, object]) -> None:
    for page in folder.glob("*.json"):
        document = json.loads(page.read_text())
        for record in document[key]:
            if record["id"] == record_id:
                record.update(change)
        page.write_text(json.dumps(document))


def test_deleted_and_archived_records_are_accounted_for(tmp_path: Path) -> None:
    pages, records = render_counted(sample_scenario(), tmp_path / "case")
    edit_records(pages / "teamwork" / "time", "timelogs", 9131, {"deleted": True})
    edit_records(pages / "hubspot" / "deals", "results", "18404", {"archived": True})
    wh = Warehouse(Settings(warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}"))
    try:
        wh.init()
        land(wh, pages, "run")
        run = Run(wh, date(2026, 4, 15), "run")
        for step in (pipeline.stage, pipeline.bill, pipeline.reconcile, pipeline.issue):
            step(run)
        for step in (pipeline.apply_payments, pipeline.age, pipeline.forecast):
            step(run)
        counts: dict[tuple[str, str], int] = {
            (stream, disposition): records
            for stream, disposition, records in pipeline.conservation(run)
        }
    finally:
        wh.close()
    assert counts[("teamwork.time", "deleted")] == 1
    assert counts[("hubspot.deals", "archived")] == 1
    for stream in ("teamwork.time", "hubspot.deals", "stripe.events"):
        accounted = sum(n for (name, _), n in counts.items() if name == stream)
        assert accounted == records[stream], stream
