"""Billing rules that once went wrong, each on an edited copy of the sample company, run the
way the nightly flow runs them (without Prefect) on DuckDB and on PostgreSQL.

Figures are computed by hand from data/sample.yml plus the edit each test makes; rates are
minor units per hour (18000 = 180.00), a time amount is half-up(minutes x rate / 60).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D  # noqa: N817 - short, for tables of amounts
from pathlib import Path
from typing import Any

import pytest

from billflow.commands import (
    CommandRefusedError,
    cancel_contract,
    credit_invoice,
    liquidate_contract,
)
from billflow.config import Settings
from tests.helpers import ScenarioCase, sample_scenario


@pytest.fixture
def case(any_settings: Settings, tmp_path: Path) -> ScenarioCase:
    return ScenarioCase(any_settings, sample_scenario(), tmp_path / "case")


def deal(case: ScenarioCase, deal_id: str) -> dict[str, Any]:
    return next(d for d in case.scenario["deals"] if d["id"] == deal_id)


def deal_rules(case: ScenarioCase, deal_id: str) -> list[tuple[str]]:
    return case.rows(
        f"select rule from {{quarantine}}.records where source = 'hubspot' and stream = 'deals' "
        f"and record_id = '{deal_id}'"
    )


def add_entry(
    case: ScenarioCase, entry_id: int, project: int, on: str, minutes: int, **more: Any
) -> None:
    entry = {"id": entry_id, "project_id": project, "person_id": more.pop("person_id", 79)}
    case.scenario["time_entries"].append({**entry, "date": on, "minutes": minutes, **more})


def test_a_future_installment_keeps_a_finished_project_open(case: ScenarioCase) -> None:
    # Westbrook's project is done and its two invoiced installments are paid, but the third
    # falls due on 30 June: the contract is ACTIVE, not COMPLETED, and cannot be liquidated.
    deal(case, "18408")["billing"]["payment_schedule"] = (
        "25:signature;40:milestone=4201;35:date=2026-06-30"
    )
    next(p for p in case.scenario["projects"] if p["id"] == 505)["completed"] = (
        "2026-03-31T18:00:00Z"
    )
    case.scenario["deals"] = [d for d in case.scenario["deals"] if d["id"] != "18414"]
    case.scenario["payments"] = []  # the sample's payments name the demo's invoice numbers
    case.run(date(2026, 3, 16))
    case.pay("C-18408:installment:1", "11500.00", "2026-03-20T12:00:00Z")
    case.pay("C-18408:installment:2", "18400.00", "2026-04-01T12:00:00Z")
    case.run(date(2026, 4, 15))
    assert case.rows(
        "select status, amount_paid, remaining_balance from {marts}.contracts "
        "where contract_code = 'C-18408'"
    ) == [("ACTIVE", D("29900.000"), D("16100.000"))]
    with pytest.raises(CommandRefusedError, match="C-18408 is ACTIVE"):
        liquidate_contract(case.settings, "C-18408", "LIQ-1", "Ann Lee", date(2026, 4, 15))


def test_change_orders_wait_for_a_signed_open_contract(case: ScenarioCase) -> None:
    # an approved change order on Hooli's contract, not yet signed, then cancelled
    case.scenario["deals"].append(
        {
            "id": "18417",
            "name": "Hooli - Extra reports (CO)",
            "company_id": "9005",
            "owner_id": "910902",
            "pipeline": "change_orders",
            "stage": "co_approved",
            "amount": "1500.00",
            "currency": "USD",
            "created": "2026-03-02T10:00:00Z",
            "close_date": "2026-03-03T00:00:00Z",
            "billing": {"parent_deal_id": "18405"},
        }
    )
    draft = "select count(*) from {build}.invoice_drafts where draft_key like 'C-18405:%'"
    case.run(date(2026, 4, 13))
    assert case.rows(draft) == [(0,)]
    cancel_contract(case.settings, "C-18405", "Lost", "Ann Lee", date(2026, 4, 13))
    case.run(date(2026, 4, 15))
    assert case.rows(draft) == [(0,)]
    assert case.rows(
        "select status, invoice_number from {marts}.change_orders where change_order_id = '18417'"
    ) == [("APPROVED", None)]


def test_a_change_order_in_another_currency_is_quarantined(case: ScenarioCase) -> None:
    deal(case, "18415")["currency"] = "EUR"  # its contract, Globex, bills in USD
    case.run(date(2026, 4, 15))
    assert deal_rules(case, "18415") == [("change_order_currency",)]
    assert case.rows(
        "select count(*) from {marts}.invoices where draft_key like '%:change_order:18415'"
    ) == [(0,)]


def test_the_hours_cap_is_spent_in_the_order_worked_late_edits_included(
    case: ScenarioCase,
) -> None:
    # Stark's 40-hour block: a non-billable day does not use it. After the first period's
    # invoice (32 h), 4 hours dated 6 March arrive late: they were worked first, so they
    # take 4 of the 8 hours left, as an adjustment of that invoice (+240 min x 180.00 =
    # 720.00); 9605 (17 Mar) gets the other 4 (720.00) and 9606 is over the cap.
    deal(case, "18411")["billing"]["late_edit_review_pct"] = "15"  # 720 / 5760 = 12.5%
    add_entry(case, 9608, 506, "2026-03-04", 600, billable=False)
    case.run(date(2026, 3, 16))
    first = case.invoice_lines("C-18411:time:2026-03-02")
    add_entry(case, 9609, 506, "2026-03-06", 240)
    case.run(date(2026, 3, 23))
    adjusted = case.invoice_number("C-18411:time:2026-03-02")
    assert case.invoice_lines("C-18411:time:2026-03-02") == first  # never edited
    assert case.invoice_lines("C-18411:time:2026-03-16") == [
        ("time", "Chen Wu", 240, D("180.000"), D("720.000"), None),
        ("adjustment", f"Adjustment to {adjusted}: Chen Wu, time added", 240, D("180.000"),
         D("720.000"), adjusted),
    ]  # fmt: skip
    assert case.rows(
        "select entry_id, disposition, billable_minutes from {build}.int_time_entries "
        "where entry_id in ('9605', '9606', '9608', '9609') order by entry_id"
    ) == [
        ("9605", "billable", 240),
        ("9606", "over_cap", 0),
        ("9608", "non_billable", 600),
        ("9609", "late_edit", 240),
    ]


def test_a_late_edit_over_the_review_threshold_holds_the_draft_it_rides_on(
    case: ScenarioCase,
) -> None:
    # the same late 4 hours, at the default threshold (10% of the invoice's subtotal)
    case.run(date(2026, 3, 16))
    add_entry(case, 9609, 506, "2026-03-06", 240, created="2026-03-18T12:00:00Z")
    case.run(date(2026, 3, 23))
    assert case.rows(
        "select status, hold_codes, total from {marts}.invoice_drafts "
        "where draft_key = 'C-18411:time:2026-03-16'"
    ) == [("HELD", "LATE_EDIT_ADJUSTMENT", D("1440.000"))]


def test_hybrid_time_after_its_milestone_is_invoiced_bills_by_cycle(case: ScenarioCase) -> None:
    # Cyberdyne: Bo logs 2 more hours on the Data model's task after milestone 4301 was
    # invoiced (16 Mar); they bill with the week they were worked in: 120 x 140 / 60 = 280.00.
    case.run(date(2026, 3, 16))
    add_entry(case, 9706, 507, "2026-03-06", 120, person_id=78, task_id=3031)
    case.run(date(2026, 3, 23))
    assert case.rows(
        "select issue_date, subtotal from {marts}.invoices "
        "where draft_key = 'C-18412:time:2026-03-02'"
    ) == [(date(2026, 3, 23), D("280.000"))]


def test_credits_add_up_to_the_invoice_and_a_paid_invoice_stays_paid(
    case: ScenarioCase,
) -> None:
    case.run(date(2026, 2, 2))
    initech = case.invoice_number("C-18403:time:2026-01")  # 440.00 + 522.50, 19% tax: 1145.38
    for lines in ([1], None):
        credit_invoice(
            case.settings, initech, reason="r", actor="Ann Lee", acted_on=date(2026, 2, 10),
            lines=lines,
        )  # fmt: skip
    case.run(date(2026, 2, 23))  # Northwind's January invoice (4410.00) is paid on 20 Feb
    northwind = case.invoice_number("C-18401:time:2026-01")
    credit_invoice(
        case.settings, northwind, reason="r", actor="Ann Lee", acted_on=date(2026, 2, 23),
        lines=[1],
    )  # fmt: skip
    case.run(date(2026, 3, 2))
    # line 1: 440.00 + tax 83.60; the rest: 522.50 + (182.88 - 83.60) = 99.28, not 99.275 -> 99.28
    # rounded alone; the notes sum to the invoice to the cent
    assert case.rows(
        "select subtotal, tax, total from {marts}.invoices "
        f"where credits_invoice_number = '{initech}' order by invoice_number"
    ) == [
        (D("-440.000"), D("-83.600"), D("-523.600")),
        (D("-522.500"), D("-99.280"), D("-621.780")),
    ]
    assert case.rows(
        "select invoice_number, amount_paid, balance_due, status from {marts}.invoices "
        f"where invoice_number in ('{initech}', '{northwind}') order by invoice_number"
    ) == [
        (northwind, D("4410.000"), D("-3300.000"), "PAID"),
        (initech, D("0.000"), D("0.000"), "VOID"),
    ]


def test_a_moved_retainer_start_does_not_bill_a_cycle_twice(case: ScenarioCase) -> None:
    acme = deal(case, "18413")["billing"]
    acme["cycle"] = "biweekly"
    case.run(date(2026, 3, 16))
    acme["effective_date"] = "2026-03-18"  # the cycles now start on 18 Mar, 1 Apr, ...
    case.run(date(2026, 3, 30))
    case.run(date(2026, 4, 1))
    assert case.rows(
        "select draft_key, period_start, period_end, subtotal from {marts}.invoices "
        "where contract_code = 'C-18413' order by invoice_number"
    ) == [
        ("C-18413:retainer:2026-03-16", date(2026, 3, 16), date(2026, 3, 29), D("5000.000")),
        ("C-18413:retainer:2026-04-01", date(2026, 4, 1), date(2026, 4, 14), D("5000.000")),
    ]


@pytest.mark.parametrize(
    ("changes", "march", "april"),
    [
        # a change on the start day replaces the deal's fee: 5500 x 16 / 31 = 2838.709...
        ("2026-03-16=5500.00", "2838.71", "5500.00"),
        # two changes on one day: the one listed last wins; 5000 x 15/30 + 6500 x 15/30
        ("2026-04-16=6000.00;2026-04-16=6500.00", "2580.65", "5750.00"),
    ],
)
def test_retainer_fee_changes(case: ScenarioCase, changes: str, march: str, april: str) -> None:
    deal(case, "18413")["billing"]["retainer_fee_changes"] = changes
    case.run(date(2026, 4, 1))
    assert case.rows(
        "select lines.amount from {marts}.invoice_lines as lines "
        "inner join {marts}.invoices as invoices on invoices.invoice_number = lines.invoice_number "
        "where invoices.contract_code = 'C-18413' and lines.line_type = 'retainer' "
        "order by invoices.period_start"
    ) == [(D(march),), (D(april),)]


def test_a_compact_date_in_a_schedule_is_quarantined(case: ScenarioCase) -> None:
    deal(case, "18408")["billing"]["payment_schedule"] = (
        "25:signature;40:milestone=4201;35:date=20260410"
    )
    case.run(date(2026, 4, 15))
    assert deal_rules(case, "18408") == [("bad_schedule",)]
