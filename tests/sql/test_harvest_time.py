"""Harvest v2 time entries billed like Teamwork time: a deal names the Harvest project by
`billing_project_id` = harvest:<project id>, and its entries are drafted, invoiced, reconciled,
adjusted and counted on DuckDB and on PostgreSQL.

The sample company plus one Harvest-linked T&M contract (C-18480, USD, no tax). Its March
entries, priced from minutes (hours x 60, half-up) at each entry's billable_rate:
  Kim   636709355  2.11 h -> 127 min @ 100.00   127 x 100.00 / 60 = 211.666.. -> 211.67
  Kim   636709360  0.25 h ->  15 min @ 100.02    15 x 100.02 / 60 =  25.005   ->  25.01
  Lee   636709361  1.5 h  ->  90 min @ 150.00
  Lee   9101       3 h    -> 180 min @ 150.00   (Teamwork has a timelog 9101 too)
  Lee   636709362  0.175 h -> 10.5 -> 11 min @ 150.00  (as a float, 0.175 x 60 = 10.4999..)
                           Lee: 281 x 150.00 / 60 = 702.50
  Kim   636709363  0.5 h, not billable
  Kim   636709364  1.2 h, timer still running
March invoice: 211.67 + 25.01 + 702.50 = 939.18.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D  # noqa: N817 - short, for tables of amounts
from pathlib import Path
from typing import Any

import pytest

from billflow.config import Settings
from tests.helpers import ScenarioCase, sample_scenario

PROJECT = 14307913
OTHER_PROJECT = 14307999
KIM = (1782959, "Kim Allen")
LEE = (77, "Lee Park")  # Teamwork's person 77 is Ana Ruiz: Harvest's 77 is someone else
DEVELOPMENT = (8083365, "Development")
MEETING = (8083366, "Internal meeting")
MARCH = "C-18480:time:2026-03"
APRIL = "C-18480:time:2026-04"


def harvest_entry(
    entry_id: int,
    user: tuple[int, str],
    spent: str,
    hours: float,
    rate: float | None,
    *,
    task: tuple[int, str] = DEVELOPMENT,
    project: int = PROJECT,
    running: bool = False,
    created: str | None = None,
    updated: str | None = None,
) -> dict[str, Any]:
    """A time entry as GET /v2/time_entries lists it (../shared/vendors/harvest.md)."""
    created = created or f"{spent}T18:00:00Z"
    return {
        "id": entry_id,
        "spent_date": spent,
        "user": {"id": user[0], "name": user[1]},
        "client": {"id": 5735774, "name": "Acme Labs", "currency": "USD"},
        "project": {"id": project, "name": f"Acme platform {project}", "code": "ACME"},
        "task": {"id": task[0], "name": task[1]},
        "user_assignment": {"id": 130403296, "is_project_manager": False, "is_active": True,
                            "budget": None, "hourly_rate": rate,
                            "created_at": "2026-01-02T10:00:00Z",
                            "updated_at": "2026-01-02T10:00:00Z"},
        "task_assignment": {"id": 155505014, "billable": rate is not None, "is_active": True,
                            "budget": None, "hourly_rate": rate,
                            "created_at": "2026-01-02T10:00:00Z",
                            "updated_at": "2026-01-02T10:00:00Z"},
        "hours": hours,
        "hours_without_timer": hours,
        "rounded_hours": hours,
        "notes": None,
        "created_at": created,
        "updated_at": updated or created,
        "is_locked": False,
        "locked_reason": None,
        "is_closed": False,
        "is_billed": False,
        "timer_started_at": f"{spent}T17:00:00Z" if running else None,
        "started_time": None,
        "ended_time": None,
        "is_running": running,
        "invoice": None,
        "external_reference": None,
        "billable": rate is not None,
        "budgeted": True,
        "billable_rate": rate,
        "cost_rate": 50.0,
    }  # fmt: skip


def page(entries: list[dict[str, Any]]) -> dict[str, Any]:
    link = "https://api.harvestapp.com/v2/time_entries?page=1&per_page=2000"
    return {
        "time_entries": entries,
        "per_page": 2000,
        "total_pages": 1,
        "total_entries": len(entries),
        "next_page": None,
        "previous_page": None,
        "page": 1,
        "links": {"first": f"{link}&ref=first", "next": None, "previous": None,
                  "last": f"{link}&ref=last"},
    }  # fmt: skip


def march_entries() -> list[dict[str, Any]]:
    return [
        harvest_entry(636709355, KIM, "2026-03-03", 2.11, 100.0),
        harvest_entry(636709360, KIM, "2026-03-10", 0.25, 100.02),
        harvest_entry(636709361, LEE, "2026-03-11", 1.5, 150.0),
        harvest_entry(9101, LEE, "2026-03-20", 3.0, 150.0),
        harvest_entry(636709362, LEE, "2026-03-24", 0.175, 150.0),
        harvest_entry(636709363, KIM, "2026-03-25", 0.5, None, task=MEETING),
        harvest_entry(636709364, KIM, "2026-03-31", 1.2, 100.0, running=True),
    ]


class HarvestCase(ScenarioCase):
    @property
    def entries(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.pages["harvest/time_entries"][0]["time_entries"]
        return entries

    def entry(self, entry_id: int) -> dict[str, Any]:
        return next(e for e in self.entries if e["id"] == entry_id)

    def draft(self, key: str) -> tuple[Any, ...]:
        found = self.rows(
            "select status, hold_codes, total, invoice_number from {marts}.invoice_drafts "
            f"where draft_key = '{key}'"
        )
        return found[0] if found else ()

    def dispositions(self) -> dict[str, int]:
        latest = self.rows("select max(run_id) from {audit}.row_conservation")[0][0]
        return {
            disposition: int(records)
            for disposition, records in self.rows(
                "select disposition, records from {audit}.row_conservation "
                f"where stream = 'harvest.time_entries' and run_id = '{latest}'"
            )
        }


@pytest.fixture
def case(any_settings: Settings, tmp_path: Path) -> HarvestCase:
    scenario = sample_scenario()
    scenario["companies"].append({"id": "9020", "name": "Acme Labs"})
    scenario["deals"].append(
        {
            "id": "18480",
            "name": "Acme Labs - Platform (T&M, Harvest)",
            "company_id": "9020",
            "owner_id": "910901",
            "stage": "closedwon",
            "amount": "20000.00",
            "currency": "USD",
            "created": "2026-02-01T10:00:00Z",
            "close_date": "2026-02-15T00:00:00Z",
            "billing": {
                "model": "time_and_materials",
                "project_id": f"harvest:{PROJECT}",
                "terms_days": "30",
                "signed_date": "2026-02-15",
                "late_edit_review_pct": "50",
            },
        }
    )
    return HarvestCase(
        any_settings, scenario, tmp_path / "case", pages={"harvest/time_entries": [page([])]}
    )


def test_harvest_time_is_invoiced_to_the_cent(case: HarvestCase) -> None:
    case.entries.extend(march_entries())
    case.run(date(2026, 2, 2))  # Northwind's January invoice bills Teamwork's timelog 9101
    case.run(date(2026, 4, 6))
    assert case.draft(MARCH)[:3] == ("ISSUED", None, D("939.180"))
    assert case.invoice_lines(MARCH) == [
        ("time", "Kim Allen", 127, D("100.000"), D("211.670"), None),
        ("time", "Kim Allen", 15, D("100.020"), D("25.010"), None),
        ("time", "Lee Park", 281, D("150.000"), D("702.500"), None),
    ]
    number = case.invoice_number(MARCH)
    assert case.rows(
        "select subtotal, tax, total, currency, status from {marts}.invoices "
        f"where invoice_number = '{number}'"
    ) == [(D("939.180"), D("0.000"), D("939.180"), "USD", "PENDING")]
    assert case.rows(
        "select lines.person_id, sources.source, sources.stream, sources.record_id, "
        "sources.minutes from {marts}.invoice_line_sources as sources "
        "inner join {marts}.invoice_lines as lines "
        "on lines.invoice_number = sources.invoice_number and lines.line_no = sources.line_no "
        f"where sources.invoice_number = '{number}' order by lines.line_no, sources.record_id"
    ) == [
        ("harvest:1782959", "harvest", "time_entries", "636709355", 127),
        ("harvest:1782959", "harvest", "time_entries", "636709360", 15),
        ("harvest:77", "harvest", "time_entries", "636709361", 90),
        ("harvest:77", "harvest", "time_entries", "636709362", 11),
        ("harvest:77", "harvest", "time_entries", "9101", 180),
    ]
    assert case.rows(
        "select check_name, passed from {marts}.reconciliation "
        f"where draft_key = '{MARCH}' order by check_name"
    ) == [("HOURS_MISMATCH", True), ("MISSING_RATE", True), ("NON_POSITIVE_TOTAL", True)]
    assert case.rows(
        "select project_id, project_name, status from {marts}.contracts "
        "where contract_code = 'C-18480'"
    ) == [(f"harvest:{PROJECT}", f"Acme platform {PROJECT}", "SIGNED")]


def test_an_id_equal_to_a_teamwork_id_is_another_entry(case: HarvestCase) -> None:
    case.entries.extend(march_entries())
    case.run(date(2026, 2, 2))
    january = case.invoice_number("C-18401:time:2026-01")
    january_lines = case.invoice_lines("C-18401:time:2026-01")
    case.run(date(2026, 4, 6))
    march = case.invoice_number(MARCH)
    assert case.rows(
        "select source, stream, invoice_number, minutes from {marts}.invoice_line_sources "
        "where record_id = '9101' order by source"
    ) == [("harvest", "time_entries", march, 180), ("teamwork", "time", january, 480)]
    assert case.invoice_lines("C-18401:time:2026-01") == january_lines
    # Northwind is billed as without Harvest: its March invoice is the sample's
    assert case.rows(
        "select total from {marts}.invoices where draft_key = 'C-18401:time:2026-03'"
    ) == [(D("3611.930"),)]


def test_non_billable_and_running_entries_are_counted_not_billed(case: HarvestCase) -> None:
    case.entries.extend(march_entries())
    case.entries.append(
        harvest_entry(636709370, KIM, "2026-03-12", 1.0, 90.0, project=OTHER_PROJECT)
    )
    case.entries.append(
        harvest_entry(636709371, KIM, "2026-03-13", 1.0, 90.12345, project=OTHER_PROJECT)
    )
    case.run(date(2026, 4, 6))
    assert case.dispositions() == {
        "on_invoice": 5,
        "non_billable": 1,
        "timer_running": 1,
        "no_contract": 1,
        "quarantined": 1,
    }
    assert case.rows(
        "select source, stream, record_id, rule from {quarantine}.records where source = 'harvest'"
    ) == [("harvest", "time_entries", "636709371", "bad_rate")]
    assert case.rows(
        "select reason, hours from {marts}.unbilled_work "
        f"where project_id = 'harvest:{PROJECT}' order by reason"
    ) == [("timer_running", D("1.20"))]
    assert case.rows(
        "select person_name, billable_hours, non_billable_hours from {marts}.project_costs "
        f"where project_id = 'harvest:{PROJECT}' order by person_id"
    ) == [("Kim Allen", D("3.57"), D("0.50")), ("Lee Park", D("4.68"), D("0.00"))]
    # the timer stops: 72 minutes of March, entered after March was invoiced, are a late edit
    case.entry(636709364).update(is_running=False, updated_at="2026-04-07T09:00:00Z")
    case.run(date(2026, 4, 13))
    assert case.rows(
        "select entry_id, delta_minutes, status from {marts}.late_edits "
        "where contract_code = 'C-18480'"
    ) == [("636709364", 72, "PENDING")]
    assert case.dispositions() == {
        "on_invoice": 5,
        "non_billable": 1,
        "adjustment_pending": 1,
        "no_contract": 1,
        "quarantined": 1,
    }


def test_a_late_edit_of_harvest_time_is_an_adjustment(case: HarvestCase) -> None:
    # After March's invoice (939.18): Kim's 636709355 goes 2.11 -> 3.11 h (127 -> 187 min) and
    # Kim logs 1 h more for 25 Mar at a new rate, 120.00. April's invoice carries them:
    #   Kim @ 100.00: 187 x 100 / 60 = 311.666.. -> 311.67, minus 211.67 billed = +100.00
    #   Kim @ 120.00: 60 x 120 / 60 = 120.00 (a group March did not have, at its own rate)
    #   Lee, April: 1 h @ 150.00 = 150.00
    case.entries.extend(march_entries())
    case.run(date(2026, 4, 6))
    march = case.invoice_number(MARCH)
    march_lines = case.invoice_lines(MARCH)
    case.entry(636709355).update(hours=3.11, updated_at="2026-04-08T09:00:00Z")
    case.entries.append(
        harvest_entry(636709380, KIM, "2026-03-25", 1.0, 120.0, created="2026-04-08T10:00:00Z")
    )
    case.entries.append(harvest_entry(636709381, LEE, "2026-04-07", 1.0, 150.0))
    case.run(date(2026, 4, 13))
    assert case.rows(
        "select entry_id, delta_minutes, status from {marts}.late_edits "
        "where contract_code = 'C-18480' order by entry_id"
    ) == [("636709355", 60, "PENDING"), ("636709380", 60, "PENDING")]
    case.run(date(2026, 5, 4))
    assert case.invoice_lines(MARCH) == march_lines
    assert case.draft(APRIL)[:3] == ("ISSUED", None, D("370.000"))
    assert case.invoice_lines(APRIL) == [
        ("time", "Lee Park", 60, D("150.000"), D("150.000"), None),
        ("adjustment", f"Adjustment to {march}: Kim Allen, time added", 60, D("100.000"),
         D("100.000"), march),
        ("adjustment", f"Adjustment to {march}: Kim Allen, time added", 60, D("120.000"),
         D("120.000"), march),
    ]  # fmt: skip
    april = case.invoice_number(APRIL)
    assert case.rows(
        "select entry_id, delta_minutes, status, invoice_number from {marts}.late_edits "
        "where contract_code = 'C-18480' order by entry_id"
    ) == [("636709355", 60, "ISSUED", april), ("636709380", 60, "ISSUED", april)]
    assert case.rows(
        "select source, stream, record_id, minutes from {marts}.invoice_line_sources "
        f"where invoice_number = '{april}' order by line_no"
    ) == [
        ("harvest", "time_entries", "636709381", 60),
        ("harvest", "time_entries", "636709355", 60),
        ("harvest", "time_entries", "636709380", 60),
    ]
    assert case.dispositions()["on_invoice"] == 7
    # settled: the next run finds nothing left to adjust
    case.run(date(2026, 5, 11))
    assert case.rows(
        "select count(*) from {build}.int_adjustments where contract_code = 'C-18480'"
    ) == [(0,)]
