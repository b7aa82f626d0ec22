"""Inputs that once broke a run: each now ends where the docs say, on both engines."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from billflow import pipeline
from billflow.config import Settings
from billflow.errors import ConfigError
from billflow.pipeline import Run
from billflow.quality import validate_staging
from billflow.warehouse import Warehouse
from tests.conftest import POSTGRES_URL
from tests.helpers import land, render_pages, sample_scenario


@pytest.fixture(params=["duckdb", "postgres"])
def make_warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    made: list[Warehouse] = []

    def make(**settings: Any) -> Warehouse:
        if request.param == "duckdb":
            url, prefix = f"duckdb:///{tmp_path / 'w.duckdb'}", ""
        else:
            url, prefix = POSTGRES_URL, f"t{uuid.uuid4().hex[:10]}_"
        wh = Warehouse(Settings(warehouse_url=url, schema_prefix=prefix, **settings))
        wh.init()
        made.append(wh)
        return wh

    yield make
    for wh in made:
        if wh.dialect.name == "postgresql":
            wh.drop_all()
        wh.close()


def run_steps(wh: Warehouse, pages: Path, as_of: date = date(2026, 4, 15)) -> Run:
    land(wh, pages, "run")
    run = Run(wh, as_of, "run")
    pipeline.stage(run)
    validate_staging(wh)
    for step in (pipeline.bill, pipeline.reconcile, pipeline.issue, pipeline.apply_payments):
        step(run)
    pipeline.age(run)
    pipeline.forecast(run)
    pipeline.conservation(run)
    return run


def quarantine_rules(wh: Warehouse) -> dict[str, str]:
    return dict(wh.query(f"select record_id, rule from {wh.schemas.build}.quarantine_records"))


def test_bad_numbers_are_quarantined_the_same_on_both_engines(
    make_warehouse: Any, tmp_path: Path
) -> None:
    scenario = sample_scenario()
    deals = {deal["id"]: deal for deal in scenario["deals"]}
    deals["18401"]["billing"]["tax_rate"] = "1000"  # a contract: too big for a fraction
    deals["18404"]["billing"] = {"tax_rate": "8.25"}  # a pipeline deal: a percent, not a fraction
    deals["18405"]["amount"] = "NaN"
    wh = make_warehouse()
    run_steps(wh, render_pages(scenario, tmp_path / "case"))
    rules = quarantine_rules(wh)
    assert (rules["18401"], rules["18404"], rules["18405"]) == (
        "bad_tax_rate",
        "bad_tax_rate",
        "bad_amount",
    )


def test_a_deal_without_a_creation_date_is_quarantined(make_warehouse: Any, tmp_path: Path) -> None:
    pages = render_pages(sample_scenario(), tmp_path / "case")
    for page in (pages / "hubspot" / "deals").glob("*.json"):
        document = json.loads(page.read_text())
        for deal in document["results"]:
            if deal["id"] == "18401":
                deal["properties"]["createdate"] = None
        page.write_text(json.dumps(document))
    wh = make_warehouse()
    run_steps(wh, pages)
    assert quarantine_rules(wh)["18401"] == "bad_created_date"


def test_a_zero_value_milestone_is_held(make_warehouse: Any, tmp_path: Path) -> None:
    scenario = sample_scenario()
    next(t for t in scenario["tags"] if t["id"] == 31)["name"] = "billing:value=0.00"
    wh = make_warehouse()
    run_steps(wh, render_pages(scenario, tmp_path / "case"))
    held = wh.query(
        f"select status, hold_codes, hold_reasons from {wh.schemas.build}.invoice_drafts "
        "where draft_key = 'C-18402:milestone:4101'"
    )
    assert held == [
        (
            "HELD",
            "NON_POSITIVE_TOTAL",
            "NON_POSITIVE_TOTAL: the total is 0.00 USD: there is nothing to invoice",
        )
    ]


def test_an_empty_time_stream_runs(make_warehouse: Any, tmp_path: Path) -> None:
    scenario = sample_scenario()
    scenario["time_entries"] = []
    wh = make_warehouse()
    run = run_steps(wh, render_pages(scenario, tmp_path / "case"))
    keys = [
        key for (key,) in wh.query(f"select draft_key from {wh.schemas.build}.int_issued_invoices")
    ]
    assert "C-18402:milestone:4101" in keys
    assert not [key for key in keys if ":time:" in key]
    assert run.as_of == date(2026, 4, 15)


def test_an_unknown_contract_stage_is_a_configuration_error(
    make_warehouse: Any, tmp_path: Path
) -> None:
    wh = make_warehouse(contract_stage_id="contract_prep")
    land(wh, render_pages(sample_scenario(), tmp_path / "case"), "run")
    with pytest.raises(ConfigError, match="contract stage default/contract_prep is not in"):
        pipeline.stage(Run(wh, date(2026, 4, 15), "run"))
