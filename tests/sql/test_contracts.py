"""Which deals are contracts and when they may bill (CF-03), through the SQL that decides."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from billflow import pipeline
from billflow.config import Settings
from billflow.pipeline import Run
from billflow.warehouse import Warehouse
from tests.helpers import land, render_pages, sample_scenario


def contracts_as_of(
    tmp_path: Path, scenario: dict[str, object], as_of: date
) -> dict[str, tuple[object, ...]]:
    wh = Warehouse(Settings(warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}"))
    try:
        wh.init()
        land(wh, render_pages(scenario, tmp_path / "case"), "run")
        run = Run(wh, as_of, "run")
        pipeline.stage(run)
        pipeline.bill(run)
        return {
            code: (signed, is_signed)
            for code, signed, is_signed in wh.query(
                "select contract_code, signed_date, is_signed from build.int_contracts"
            )
        }
    finally:
        wh.close()


def test_closed_won_deal_without_signing_date_signed_when_it_closed(tmp_path: Path) -> None:
    scenario = sample_scenario()
    for deal in scenario["deals"]:
        deal.get("billing", {}).pop("signed_date", None)
    contracts = contracts_as_of(tmp_path, scenario, date(2026, 4, 15))
    # 18401 closed won on 15 Dec 2025: signed then; 18402 on 20 Jan 2026
    assert contracts["C-18401"] == (date(2025, 12, 15), True)
    assert contracts["C-18402"] == (date(2026, 1, 20), True)
    # 18403 is at the contract stage, not closed: a contract, not signed
    assert contracts["C-18403"] == (None, False)


def test_signing_in_the_future_is_not_signed_yet(tmp_path: Path) -> None:
    contracts = contracts_as_of(tmp_path, sample_scenario(), date(2026, 1, 15))
    assert contracts["C-18401"] == (date(2025, 12, 15), True)
    assert contracts["C-18403"] == (date(2026, 1, 10), True)
    # Globex signs on 20 January
    assert contracts["C-18402"] == (None, False)
    # Hooli's deal is created on 1 March: not visible on 15 January
    assert "C-18405" not in contracts


def test_client_from_associations_embedded_in_deal_pages(tmp_path: Path) -> None:
    """Deals listed with associations=companies, and no batch-read pages at all."""
    pages = render_pages(sample_scenario(), tmp_path / "listed")
    shutil.rmtree(pages / "hubspot" / "deal_companies")
    for page in (pages / "hubspot" / "deals").glob("*.json"):
        document = json.loads(page.read_text())
        for deal in document["results"]:
            company = {"18401": "9001", "18402": "9002", "18403": "9003"}.get(deal["id"])
            if company:
                deal["associations"] = {
                    "companies": {
                        "results": [
                            {"id": "9999", "type": "deal_to_company_unlabeled"},
                            {"id": company, "type": "deal_to_company"},
                            {"id": company, "type": "deal_to_company_unlabeled"},
                        ]
                    }
                }
        page.write_text(json.dumps(document))
    wh = Warehouse(Settings(warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}"))
    try:
        wh.init()
        land(wh, pages, "run")
        run = Run(wh, date(2026, 4, 15), "run")
        pipeline.stage(run)
        pipeline.bill(run)
        clients = dict(wh.query("select contract_code, client_name from build.int_contracts"))
    finally:
        wh.close()
    assert clients["C-18401"] == "Northwind Traders"
    assert clients["C-18402"] == "Globex Corporation"
    assert clients["C-18403"] == "Initech GmbH"


def test_time_before_the_effective_date_is_not_billed(tmp_path: Path) -> None:
    scenario = sample_scenario()
    northwind = next(deal for deal in scenario["deals"] if deal["id"] == "18401")
    northwind["billing"]["effective_date"] = "2026-02-01"
    wh = Warehouse(Settings(warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}"))
    try:
        wh.init()
        land(wh, render_pages(scenario, tmp_path / "case"), "run")
        run = Run(wh, date(2026, 4, 15), "run")
        pipeline.stage(run)
        pipeline.bill(run)
        january = dict(
            wh.query(
                "select disposition, count(*) from build.int_time_entries "
                "where contract_code = 'C-18401' and period = '2026-01' group by 1"
            )
        )
        drafts = [key for (key,) in wh.query("select draft_key from build.int_drafts order by 1")]
    finally:
        wh.close()
    # five billable January entries and the non-billable stand-up (non-billable wins)
    assert january == {"before_effective_date": 5, "non_billable": 1}
    assert "C-18401:time:2026-01" not in drafts
    assert "C-18401:time:2026-02" in drafts
