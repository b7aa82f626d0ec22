"""Holds, review decisions and late edits, on edited copies of the sample company, run the
way the nightly flow runs them (without Prefect) on DuckDB and on PostgreSQL.

Figures are computed by hand from data/sample.yml plus each test's edit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D  # noqa: N817 - short, for tables of amounts
from pathlib import Path
from typing import Any

import pytest

from billflow.commands import CommandRefusedError
from billflow.config import Settings
from billflow.errors import BillflowError
from billflow.review import discard_draft, release_draft
from tests.helpers import ScenarioCase, sample_scenario

APRIL_15 = date(2026, 4, 15)


@pytest.fixture
def case(any_settings: Settings, tmp_path: Path) -> ScenarioCase:
    return ScenarioCase(any_settings, sample_scenario(), tmp_path / "case")


def deal(case: ScenarioCase, deal_id: str) -> dict[str, Any]:
    return next(d for d in case.scenario["deals"] if d["id"] == deal_id)


def entry(case: ScenarioCase, entry_id: int) -> dict[str, Any]:
    return next(e for e in case.scenario["time_entries"] if e["id"] == entry_id)


def draft(case: ScenarioCase, key: str) -> tuple[Any, ...]:
    found = case.rows(
        "select status, hold_codes, total, invoice_number from {marts}.invoice_drafts "
        f"where draft_key = '{key}'"
    )
    return found[0] if found else ()


def test_a_tolerance_override_on_the_deal_lets_the_draft_through(case: ScenarioCase) -> None:
    # Tyrell: 15 h against an estimate of 10 h; 60% tolerance allows 16 h
    deal(case, "18423")["billing"]["over_estimate_tolerance_pct"] = "60"
    case.run(APRIL_15)
    assert draft(case, "C-18423:time:2026-03")[:3] == ("ISSUED", None, D("1350.000"))
    assert case.rows(
        "select expected_value, actual_value, tolerance, passed from {marts}.reconciliation "
        "where draft_key = 'C-18423:time:2026-03' and check_name = 'OVER_CAP'"
    ) == [(D("10.000"), D("15.000"), D("6.000"), True)]


def test_installments_invoiced_before_the_amount_changed_hold_the_next(
    case: ScenarioCase,
) -> None:
    # Westbrook's 25% and 40% are invoiced on 46,000.00 (11,500 + 18,400); the deal then
    # grows to 50,000.00, whose schedule says 12,500 + 20,000 for them and 17,500 for the
    # third: 11,500 + 18,400 + 17,500 = 47,400 billed against 50,000 by the schedule.
    case.scenario["deals"] = [d for d in case.scenario["deals"] if d["id"] != "18414"]
    case.run(date(2026, 3, 16))
    deal(case, "18408")["amount"] = "50000.00"
    case.run(APRIL_15)
    assert draft(case, "C-18408:installment:3")[:3] == (
        "HELD",
        "SCHEDULE_MISMATCH",
        D("17500.000"),
    )
    assert case.rows(
        "select expected_value, actual_value, detail from {marts}.reconciliation "
        "where draft_key = 'C-18408:installment:3' and check_name = 'SCHEDULE_MISMATCH' "
        "and as_of = date '2026-04-15'"
    ) == [
        (
            D("50000.000"),
            D("47400.000"),
            "the installments invoiced so far and this one add up to 47400.00 USD, "
            "but the schedule says 50000.00",
        )
    ]


def test_a_released_draft_is_issued_with_the_reviewed_amounts(case: ScenarioCase) -> None:
    case.run(APRIL_15)
    assert draft(case, "C-18421:time:2026-03")[:2] == ("HELD", "MISSING_PO")
    message = release_draft(
        case.settings, "C-18421:time:2026-03", "PO by mail", "Ann Lee", APRIL_15
    )
    assert message.startswith("C-18421:time:2026-03 released by Ann Lee: USD 980.00")
    again = release_draft(case.settings, "C-18421:time:2026-03", "PO by mail", "Ann Lee", APRIL_15)
    assert again == "C-18421:time:2026-03 is already released as it stands; nothing to do"
    case.run(APRIL_15)
    status, _, total, number = draft(case, "C-18421:time:2026-03")
    assert (status, total) == ("ISSUED", D("980.000"))
    assert case.invoice_lines("C-18421:time:2026-03") == [
        ("time", "Ana Ruiz", 420, D("140.000"), D("980.000"), None)
    ]
    assert case.rows(
        "select review_decision, reviewed_by, review_note from {marts}.invoice_drafts "
        f"where invoice_number = '{number}'"
    ) == [("RELEASED", "Ann Lee", "PO by mail")]


def test_a_release_stops_applying_when_the_lines_change(case: ScenarioCase) -> None:
    case.run(APRIL_15)
    release_draft(case.settings, "C-18421:time:2026-03", "PO by mail", "Ann Lee", APRIL_15)
    entry(case, 9902)["minutes"] = 240  # 180 -> 240: the draft is now 1120.00
    case.run(APRIL_15)
    assert draft(case, "C-18421:time:2026-03") == ("HELD", "MISSING_PO", D("1120.000"), None)
    assert case.rows(
        "select review_decision, review_applies from {marts}.invoice_drafts "
        "where draft_key = 'C-18421:time:2026-03'"
    ) == [("RELEASED", False)]


def test_a_discarded_draft_stays_out_until_its_evidence_changes(case: ScenarioCase) -> None:
    case.run(APRIL_15)
    discard_draft(case.settings, "C-18423:time:2026-03", "covered by goodwill", "Ann Lee", APRIL_15)
    case.run(APRIL_15)
    assert draft(case, "C-18423:time:2026-03")[:3] == ("DISCARDED", "OVER_CAP", D("1350.000"))
    assert case.rows(
        "select records from {audit}.row_conservation where run_id = 'run2' "
        "and stream = 'teamwork.time' and disposition = 'on_discarded_draft'"
    ) == [(3,)]
    case.scenario["time_entries"].append(
        {"id": 9914, "project_id": 511, "person_id": 80, "date": "2026-03-30", "minutes": 60}
    )
    case.run(APRIL_15)
    assert draft(case, "C-18423:time:2026-03")[:3] == ("HELD", "OVER_CAP", D("1440.000"))


def test_review_decisions_that_the_rules_forbid_change_nothing(case: ScenarioCase) -> None:
    case.run(APRIL_15)
    with pytest.raises(CommandRefusedError, match=r"already issued as INV-2026-\d{6}$"):
        release_draft(case.settings, "C-18401:time:2026-01", "x", "Ann Lee", APRIL_15)
    with pytest.raises(BillflowError, match="no draft C-18401:time:2026-04 in marts"):
        discard_draft(case.settings, "C-18401:time:2026-04", "x", "Ann Lee", APRIL_15)
    assert case.rows("select count(*) from {audit}.commands") == [(0,)]


def test_late_edits_adjust_on_the_next_draft_and_credit_on_their_own(
    case: ScenarioCase,
) -> None:
    # Northwind, issued 2 Mar for February. On 3 Mar Chen's 9113 goes 405 -> 345 min and Bo
    # logs 60 more min for 25 Feb. On the 6 Apr run, 34 days later, the adjustments go alone:
    #   Chen: 1230 min x 133.33 / 60 = 2733.265 -> 2733.27, minus 2866.60 billed = -133.33
    #   Bo:   495 min x 120 / 60 = 990.00, minus 870.00 billed = +120.00
    # net -13.33: a credit note of the February invoice.
    case.run(date(2026, 3, 2))
    february = case.invoice_number("C-18401:time:2026-02")
    lines_before = case.invoice_lines("C-18401:time:2026-02")
    chen = entry(case, 9113)
    chen.update(minutes=345, updated="2026-03-03T16:00:00Z")
    case.scenario["time_entries"].append(
        {"id": 9117, "project_id": 500, "person_id": 78, "task_id": 3001, "date": "2026-02-25",
         "minutes": 60, "created": "2026-03-03T15:00:00Z"}
    )  # fmt: skip
    case.run(date(2026, 4, 6))
    assert case.invoice_lines("C-18401:time:2026-02") == lines_before
    assert case.rows(
        "select invoice_number, kind, credits_invoice_number, total, memo from {marts}.invoices "
        "where trigger_type = 'adjustment'"
    ) == [
        (
            "CN-2026-000001",
            "credit_note",
            february,
            D("-13.330"),
            f"Late edits to {february}: time removed after it was issued",
        )
    ]
    assert case.rows(
        "select description, minutes, amount from {marts}.invoice_lines "
        "where invoice_number = 'CN-2026-000001' order by line_no"
    ) == [
        (f"Adjustment to {february}: Bo Li, time added", 60, D("120.000")),
        (f"Adjustment to {february}: Chen Wu, time removed", -60, D("-133.330")),
    ]
    assert case.rows(
        "select entry_id, delta_minutes, status, invoice_number from {marts}.late_edits "
        "where contract_code = 'C-18401' order by entry_id"
    ) == [("9113", -60, "ISSUED", "CN-2026-000001"), ("9117", 60, "ISSUED", "CN-2026-000001")]
    # settled: the next run finds nothing left to adjust
    case.run(date(2026, 4, 13))
    assert case.rows(
        "select count(*) from {build}.int_adjustments where contract_code = 'C-18401'"
    ) == [(0,)]


def test_a_late_edit_rides_on_the_next_draft_within_thirty_days(case: ScenarioCase) -> None:
    # Bo's 60 min for 25 Feb, entered 10 Mar, ride on Northwind's March invoice (6 Apr)
    case.run(date(2026, 3, 2))
    february = case.invoice_number("C-18401:time:2026-02")
    case.scenario["time_entries"].append(
        {"id": 9117, "project_id": 500, "person_id": 78, "task_id": 3001, "date": "2026-02-25",
         "minutes": 60, "created": "2026-03-10T15:00:00Z"}
    )  # fmt: skip
    case.run(date(2026, 3, 16))
    assert case.rows(
        "select status, draft_key from {marts}.late_edits where contract_code = 'C-18401'"
    ) == [("PENDING", None)]
    case.run(date(2026, 4, 6))
    march = case.invoice_lines("C-18401:time:2026-03")
    assert march[-1] == (
        "adjustment", f"Adjustment to {february}: Bo Li, time added", 60, D("120.000"),
        D("120.000"), february,
    )  # fmt: skip
    assert case.rows(
        "select total from {marts}.invoices where draft_key = 'C-18401:time:2026-03'"
    ) == [(D("3731.930"),)]  # 3611.93 + 120.00


def test_a_deleted_invoiced_entry_is_taken_off_from_the_day_it_was_deleted(
    case: ScenarioCase,
) -> None:
    # Ana's 9111 (420 min of February at 150.00 = 1050.00) is deleted on 20 Mar: invisible to
    # the 16 Mar run, then an adjustment of -1050.00 on March's draft, 17.6% of February's
    # 5949.10: over the 10% review threshold, so the draft waits for a person.
    case.run(date(2026, 3, 2))
    february = case.invoice_number("C-18401:time:2026-02")
    entry(case, 9111).update(deleted=True, updated="2026-03-20T10:00:00Z")
    case.run(date(2026, 3, 16))
    assert case.rows("select count(*) from {marts}.late_edits where contract_code = 'C-18401'") == [
        (0,)
    ]
    case.run(date(2026, 4, 6))
    assert case.rows(
        "select description, minutes, amount from {marts}.invoice_draft_lines "
        "where draft_key = 'C-18401:time:2026-03' and line_type = 'adjustment'"
    ) == [(f"Adjustment to {february}: Ana Ruiz, time removed", -420, D("-1050.000"))]
    assert draft(case, "C-18401:time:2026-03")[:3] == (
        "HELD",
        "LATE_EDIT_ADJUSTMENT",
        D("2561.930"),  # 3611.93 - 1050.00
    )
