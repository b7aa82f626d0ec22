"""Aging buckets, the aging snapshots and the receivables KPIs (issue 6), on a small copy of the
sample company run the way the nightly flow runs it (without Prefect), on DuckDB and PostgreSQL.

The company keeps two time-and-materials contracts and their January and February hours only:
  Northwind  USD, 30 days' terms: INV-1 4,410.00 issued 2 Feb (due 4 Mar), INV-3 5,949.10
             issued 2 Mar (due 1 Apr), and its deliverable 4104, 1,200.00 issued on the first
             run on or after 1 Apr (due 30 days later)
  Initech    EUR, terms changed to 29 days: 1,145.38 issued 2 Feb (due 3 Mar), 1,151.33 issued
             2 Mar (due 31 Mar, one day before Northwind's February invoice)
No payments or disputes but each test's own. Figures are computed by hand.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D  # noqa: N817 - short, for tables of amounts
from pathlib import Path
from typing import Any

import pytest

from billflow.commands import credit_invoice
from billflow.config import Settings
from billflow.warehouse import Warehouse
from tests.helpers import ScenarioCase, sample_scenario

N_JAN, N_FEB = "C-18401:time:2026-01", "C-18401:time:2026-02"
I_JAN, I_FEB = "C-18403:time:2026-01", "C-18403:time:2026-02"


@pytest.fixture
def case(any_settings: Settings, tmp_path: Path) -> ScenarioCase:
    scenario = sample_scenario()
    scenario["deals"] = [d for d in scenario["deals"] if d["id"] in ("18401", "18403")]
    next(d for d in scenario["deals"] if d["id"] == "18403")["billing"]["terms_days"] = "29"
    scenario["time_entries"] = [
        e
        for e in scenario["time_entries"]
        if e["project_id"] in (500, 502)
        and e.get("date", "2026-04") < "2026-03-01"
        and "created" not in e  # Initech's late edit
    ]
    scenario["payments"] = []
    scenario["disputes"] = []
    return ScenarioCase(any_settings, scenario, tmp_path / "case")


def issue_january_and_february(case: ScenarioCase) -> None:
    case.run(date(2026, 2, 2))
    case.run(date(2026, 3, 2))


def aging(case: ScenarioCase, draft_key: str) -> tuple[Any, ...]:
    return case.rows(
        "select days_past_due, bucket, bucket_order, status from {marts}.ar_aging "
        f"where invoice_number = '{case.invoice_number(draft_key)}'"
    )[0]


def kpis(case: ScenarioCase, as_of: date, currency: str, columns: str) -> tuple[Any, ...]:
    return case.rows(
        f"select {columns} from {{marts}}.kpis "
        f"where as_of = date '{as_of.isoformat()}' and currency = '{currency}'"
    )[0]


def dispute(event_id: str, type_: str, payment_intent: str, at: str, status: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": type_,
        "dispute_id": "du_case0001",
        "payment_intent": payment_intent,
        "at": at,
        "amount": "3000.00",
        "currency": "usd",
        "status": status,
        "reason": "product_unacceptable",
    }


def test_buckets_follow_the_setting(any_settings: Settings) -> None:
    # aging_bucket_days (15, 45): current, 1-15, 16-45, 45+ (over 45), through the macros the
    # aging models use
    wh = Warehouse(any_settings.model_copy(update={"aging_bucket_days": (15, 45)}))
    try:
        bucketed = wh.query(
            wh.render_string(
                "select days, {{ aging.bucket('days') }}, {{ aging.bucket_order('days') }} "
                "from (values (-1), (0), (1), (15), (16), (45), (46)) as t(days) order by days"
            )
        )
        listed = wh.query(
            wh.render_string("select * from ({{ aging.buckets() }}) as b order by bucket_order")
        )
    finally:
        wh.close()
    assert [tuple(row) for row in bucketed] == [
        (-1, "current", 0),
        (0, "current", 0),
        (1, "1-15", 1),
        (15, "1-15", 1),
        (16, "16-45", 2),
        (45, "16-45", 2),
        (46, "45+", 3),
    ]
    assert [tuple(row) for row in listed] == [
        ("current", 0),
        ("1-15", 1),
        ("16-45", 2),
        ("45+", 3),
    ]


def test_every_aging_bucket_edge_and_the_daily_snapshots(case: ScenarioCase) -> None:
    # no late fees here: they would be invoices of their own (tests/sql/test_late_fees.py)
    for deal in case.scenario["deals"]:
        if "billing" in deal:
            deal["billing"]["late_fee_pct"] = "0"
    issue_january_and_february(case)
    # Northwind's February invoice is due 1 Apr, Initech's 31 Mar: one day apart, so each run
    # checks both sides of an edge
    for as_of, northwind, initech in [
        (date(2026, 4, 1), (0, "current", 0, "PENDING"), (1, "1-30", 1, "OVERDUE")),
        (date(2026, 5, 1), (30, "1-30", 1, "OVERDUE"), (31, "31-60", 2, "OVERDUE")),
        (date(2026, 5, 31), (60, "31-60", 2, "OVERDUE"), (61, "61-90", 3, "OVERDUE")),
        (date(2026, 6, 30), (90, "61-90", 3, "OVERDUE"), (91, "90+", 4, "OVERDUE")),
    ]:
        case.run(as_of)
        assert (aging(case, N_FEB), aging(case, I_FEB)) == (northwind, initech), as_of

    # ar_aging_daily keeps every run's snapshot. Initech's two invoices (1,145.38 due 3 Mar,
    # 1,151.33 due 31 Mar; 2,296.71 together) move a bucket together at each run; the other
    # buckets are there with 0
    eur = case.rows(
        "select as_of, bucket, invoices, balance from {marts}.ar_aging_daily "
        "where currency = 'EUR' order by as_of, bucket_order"
    )
    assert len(eur) == 6 * 5
    assert [row for row in eur if row[2] > 0] == [
        (date(2026, 2, 2), "current", 1, D("1145.380")),  # -29 days
        (date(2026, 3, 2), "current", 2, D("2296.710")),  # -1, -29
        (date(2026, 4, 1), "1-30", 2, D("2296.710")),  # 29, 1
        (date(2026, 5, 1), "31-60", 2, D("2296.710")),  # 59, 31
        (date(2026, 5, 31), "61-90", 2, D("2296.710")),  # 89, 61
        (date(2026, 6, 30), "90+", 2, D("2296.710")),  # 119, 91
    ]
    assert [row[1] for row in eur[:5]] == ["current", "1-30", "31-60", "61-90", "90+"]

    # by client at 30 Jun: Northwind's January invoice is 118 days past due, February's 90,
    # the deliverable (issued 1 Apr, due 1 May) 60
    assert case.rows(
        "select client_name, currency, bucket, invoices, balance, max_days_past_due "
        "from {marts}.ar_aging_by_client order by client_name, bucket_order"
    ) == [
        ("Initech GmbH", "EUR", "90+", 2, D("2296.710"), 119),
        ("Northwind Traders", "USD", "31-60", 1, D("1200.000"), 60),
        ("Northwind Traders", "USD", "61-90", 1, D("5949.100"), 90),
        ("Northwind Traders", "USD", "90+", 1, D("4410.000"), 118),
    ]


def test_dso_overdue_share_dispute_rate_and_days_to_pay(case: ScenarioCase) -> None:
    case.run(date(2026, 2, 2))
    case.pay(N_JAN, "3000.00", "2026-02-20T15:00:00Z")  # pi_case0001
    case.pay(N_JAN, "1000.00", "2026-02-25T15:00:00Z")  # 410.00 left
    case.pay(I_JAN, "1145.38", "2026-03-28T10:00:00Z")  # after the 2 Mar run
    case.scenario["disputes"] = [
        dispute(
            "evt_case0301",
            "charge.dispute.created",
            "pi_case0001",
            "2026-03-12T10:00:00Z",
            "needs_response",
        ),
        dispute(
            "evt_case0302", "charge.dispute.closed", "pi_case0001", "2026-03-20T10:00:00Z", "won"
        ),
    ]
    case.run(date(2026, 3, 2))
    columns = "open_receivables, invoiced_90d, credited_90d, net_invoiced_90d, dso"
    # USD: open 410.00 + 5,949.10 = 6,359.10; invoiced since 2 Dec 2025: 4,410.00 + 5,949.10
    # = 10,359.10; DSO = 6,359.10 / 10,359.10 x 90 = 572,319 / 10,359.10 = 55.2479.. -> 55.25
    assert kpis(case, date(2026, 3, 2), "USD", columns) == (
        D("6359.100"),
        D("10359.100"),
        D("0.000"),
        D("10359.100"),
        D("55.25"),
    )
    # EUR: nothing paid yet, so everything invoiced is open: 2,296.71 / 2,296.71 x 90 = 90
    assert kpis(case, date(2026, 3, 2), "EUR", columns) == (
        D("2296.710"),
        D("2296.710"),
        D("0.000"),
        D("2296.710"),
        D("90.00"),
    )

    # Initech's February invoice is credited in full on 10 Mar
    credit_invoice(
        case.settings,
        case.invoice_number(I_FEB),
        reason="billed twice",
        actor="Ann Lee",
        acted_on=date(2026, 3, 10),
    )
    case.run(date(2026, 4, 1))
    # USD: 410.00 (28 days past due) + 5,949.10 (due today) + 1,200.00 (issued today) = 7,559.10
    # open, invoiced since 1 Jan 4,410.00 + 5,949.10 + 1,200.00 = 11,559.10;
    # DSO = 7,559.10 x 90 / 11,559.10 = 680,319 / 11,559.10 = 58.856.. -> 58.86;
    # overdue 1 of 3 open; 2 payments, 1 dispute (opened 12 Mar, won since)
    assert kpis(
        case,
        date(2026, 4, 1),
        "USD",
        f"{columns}, invoices_open, invoices_overdue, overdue_share, overdue_receivables, "
        "payments_90d, disputes_90d, dispute_rate",
    ) == (
        D("7559.100"),
        D("11559.100"),
        D("0.000"),
        D("11559.100"),
        D("58.86"),
        3,
        1,
        D("0.333333"),
        D("410.000"),
        2,
        1,
        D("0.500000"),
    )
    # EUR: January paid on 28 Mar, February credited: nothing open; net invoiced
    # 1,145.38 + 1,151.33 - 1,151.33 = 1,145.38, DSO 0; no open invoice, no share
    assert kpis(
        case,
        date(2026, 4, 1),
        "EUR",
        f"{columns}, invoices_open, overdue_share, payments_90d, dispute_rate",
    ) == (
        D("0.000"),
        D("2296.710"),
        D("1151.330"),
        D("1145.380"),
        D("0.00"),
        0,
        None,
        1,
        D("0.000000"),
    )

    case.pay(N_JAN, "410.00", "2026-04-10T15:00:00Z")
    case.pay(N_FEB, "5949.10", "2026-04-21T15:00:00Z")
    case.run(date(2026, 4, 21))
    # Northwind: January issued 2 Feb, due 4 Mar, paid 10 Apr: 67 days to pay, 37 late;
    #            February issued 2 Mar, due 1 Apr, paid 21 Apr: 50 days, 20 late;
    #            averages (67 + 50) / 2 = 58.5 and (37 + 20) / 2 = 28.5
    # Initech:   January issued 2 Feb, due 3 Mar, paid 28 Mar: 54 days, 25 late; February is
    #            void (credited), not paid
    assert case.rows(
        "select as_of, client_name, currency, invoices_issued, invoices_paid, avg_days_to_pay, "
        "avg_days_late, open_balance from {marts}.kpis_by_client "
        "where as_of >= date '2026-04-01' order by as_of, client_name"
    ) == [
        (date(2026, 4, 1), "Initech GmbH", "EUR", 2, 1, D("54.00"), D("25.00"), D("0.000")),
        (date(2026, 4, 1), "Northwind Traders", "USD", 3, 0, None, None, D("7559.100")),
        (date(2026, 4, 21), "Initech GmbH", "EUR", 2, 1, D("54.00"), D("25.00"), D("0.000")),
        (
            date(2026, 4, 21),
            "Northwind Traders",
            "USD",
            3,
            2,
            D("58.50"),
            D("28.50"),
            D("1200.000"),
        ),
    ]
    assert kpis(
        case, date(2026, 4, 21), "USD", "invoices_paid, avg_days_to_pay, avg_days_late"
    ) == (2, D("58.50"), D("28.50"))
    # every run's KPIs are kept: 4 runs x 2 currencies
    assert case.rows("select count(*) from {marts}.kpis") == [(8,)]
