"""The nightly flow on the bundled sample, run weekly as the demo does, on both warehouses.

Every figure below is computed by hand from data/sample.yml; the arithmetic is in the comments.
Rates are Teamwork minor units per hour (15000 = 150.00). Amount = half-up(minutes x rate / 60).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D  # noqa: N817 - short, for tables of amounts

import pytest

from billflow.config import Settings
from tests.conftest import warehouse_env
from tests.helpers import DEMO_DATES, mart, rows, run_dates

# invoice: (draft key, issue date, due date, currency, lines total, subtotal, tax, total)
EXPECTED_INVOICES = {
    # Northwind January, issued by the 2 Feb run, net 30. Ana 480+450+390 = 1320 min = 22 h
    # x 150.00 = 3300.00; Bo 300+255 = 555 min = 9.25 h x 120.00 = 1110.00; 3300 + 1110 = 4410.00.
    "INV-2026-000001": (
        "C-18401:time:2026-01",
        "2026-02-02",
        "2026-03-04",
        "USD",
        "4410.00",
        "4410.00",
        "0.00",
        "4410.00",
    ),
    # Initech January (EUR, 19% on top): Ana 240 min x 110.00 / 60 = 440.00; Dara 330 min x
    # 95.00 / 60 = 522.50; net 962.50; tax 962.50 x 0.19 = 182.875 -> 182.88; 1145.38.
    "INV-2026-000002": (
        "C-18403:time:2026-01",
        "2026-02-02",
        "2026-03-04",
        "EUR",
        "962.50",
        "962.50",
        "182.88",
        "1145.38",
    ),
    # Globex milestone 4101 completed 10 Feb, issued 16 Feb, net 15. Fixed price includes
    # 8.25% tax: 12000 x 0.0825 / 1.0825 = 914.5496... -> 914.55; net 11085.45.
    "INV-2026-000003": (
        "C-18402:milestone:4101",
        "2026-02-16",
        "2026-03-03",
        "USD",
        "12000.00",
        "11085.45",
        "914.55",
        "12000.00",
    ),
    # Northwind February: Ana 420+465 = 885 min x 150 / 60 = 2212.50; Bo 435 min x 120 / 60
    # = 870.00; Chen 405+885 = 1290 min x 133.33 / 60 = 2866.595 -> 2866.60 (half-up);
    # 2212.50 + 870.00 + 2866.60 = 5949.10.
    "INV-2026-000004": (
        "C-18401:time:2026-02",
        "2026-03-02",
        "2026-04-01",
        "USD",
        "5949.10",
        "5949.10",
        "0.00",
        "5949.10",
    ),
    # Initech February: Dara 420 x 95 / 60 = 665.00; Ana 165 x 110 / 60 = 302.50; net 967.50;
    # tax x 0.19 = 183.825 -> 183.83; 1151.33.
    "INV-2026-000005": (
        "C-18403:time:2026-02",
        "2026-03-02",
        "2026-04-01",
        "EUR",
        "967.50",
        "967.50",
        "183.83",
        "1151.33",
    ),
    # Globex milestone 4102 completed 25 Mar, issued 30 Mar: 10500 x 0.0825 / 1.0825 =
    # 800.2309... -> 800.23; net 9699.77.
    "INV-2026-000006": (
        "C-18402:milestone:4102",
        "2026-03-30",
        "2026-04-14",
        "USD",
        "10500.00",
        "9699.77",
        "800.23",
        "10500.00",
    ),
    # Northwind March (entry 9125 starts 22:30 New York time on 31 March: March): Ana 510+345 =
    # 855 min x 150 / 60 = 2137.50; Bo 225+90 = 315 x 120 / 60 = 630.00; Chen 200 x 133.33 /
    # 60 = 444.4333 -> 444.43; 3211.93.
    "INV-2026-000007": (
        "C-18401:time:2026-03",
        "2026-04-06",
        "2026-05-06",
        "USD",
        "3211.93",
        "3211.93",
        "0.00",
        "3211.93",
    ),
}

# At as_of 15 April: paid INV-1 (4410.00 on 20 Feb), INV-2 (28 Mar), INV-5 (10 Apr);
# INV-4 got 3000.00 of 5949.10 -> 2949.10 open, 14 days past 1 Apr; INV-3 43 days past 3 Mar;
# INV-6 1 day past 14 Apr; INV-7 due 6 May.
EXPECTED_STATUS = {
    "INV-2026-000001": ("PAID", "4410.00", "0.00"),
    "INV-2026-000002": ("PAID", "1145.38", "0.00"),
    "INV-2026-000003": ("OVERDUE", "0.00", "12000.00"),
    "INV-2026-000004": ("OVERDUE", "3000.00", "2949.10"),
    "INV-2026-000005": ("PAID", "1151.33", "0.00"),
    "INV-2026-000006": ("OVERDUE", "0.00", "10500.00"),
    "INV-2026-000007": ("PENDING", "0.00", "3211.93"),
}

EXPECTED_ROW_COUNTS = {
    "contracts": 4,  # 18401, 18402, 18403, 18405 (unsigned); 18406 quarantined, 2 pipeline deals
    "invoice_drafts": 8,  # the 7 invoices + Initech March, held
    "invoices": 7,
    "invoice_lines": 14,  # 2 + 2 + 1 + 3 + 2 + 1 + 3
    "invoice_line_sources": 21,  # 5 + 2 + 1 (milestone) + 5 + 2 + 1 + 5
    # kept per run: 3 checks per time draft, 1 per milestone draft, for the drafts each run
    # proposed: 6 (2 Feb) + 1 (16 Feb) + 6 (2 Mar) + 1 (30 Mar) + 6 (6 Apr) + 3 (13 Apr, the
    # held draft again) + 3 (15 Apr)
    "reconciliation": 26,
    "payments": 5,  # evt 0006 is dated 16 Apr: not yet effective
    "payment_applications": 4,  # evt 0005 names an invoice that does not exist
    "ar_aging": 4,  # INV-3, 4, 6, 7
    # snapshots kept per as_of: 10 runs (2 Feb .. 6 Apr) with USD and EUR open x 13 weeks
    # = 260, then 13 and 15 Apr with USD only = 26
    "cash_forecast": 286,
}


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefect_server: str
) -> Iterator[Settings]:
    """The demo's weekly runs, once per warehouse for the whole module."""
    with warehouse_env(request.param, tmp_path_factory.mktemp(request.param)) as settings:
        run_dates(DEMO_DATES)
        yield settings


def test_every_invoice_to_the_cent(demo: Settings) -> None:
    invoices = {row["invoice_number"]: row for row in mart(demo, "invoices")}
    assert set(invoices) == set(EXPECTED_INVOICES)
    for number, expected in EXPECTED_INVOICES.items():
        key, issued, due, currency, lines_total, subtotal, tax, total = expected
        row = invoices[number]
        assert (
            row["draft_key"],
            str(row["issue_date"]),
            str(row["due_date"]),
            row["currency"],
        ) == (
            key,
            issued,
            due,
            currency,
        )
        assert (row["lines_total"], row["subtotal"], row["tax"], row["total"]) == (
            D(lines_total),
            D(subtotal),
            D(tax),
            D(total),
        ), number


def test_statuses_payments_and_balances_at_as_of(demo: Settings) -> None:
    invoices = {row["invoice_number"]: row for row in mart(demo, "invoices")}
    for number, (status, paid, balance) in EXPECTED_STATUS.items():
        row = invoices[number]
        assert (row["status"], row["amount_paid"], row["balance_due"]) == (
            status,
            D(paid),
            D(balance),
        ), number
    payments = {row["event_id"]: row for row in mart(demo, "payments")}
    unknown = payments["evt_1QbF0005"]
    assert (unknown["status"], unknown["unapplied_amount"]) == ("unapplied", D("500.00"))
    assert unknown["unapplied_reason"] == "invoice INV-2026-000999 does not exist"
    assert "evt_1QbF0006" not in payments


def test_line_amounts_round_half_up_per_person_and_rate(demo: Settings) -> None:
    lines = {
        (row["invoice_number"], row["description"]): row for row in mart(demo, "invoice_lines")
    }
    chen_february = lines[("INV-2026-000004", "Chen Wu")]
    # 1290 min = 21.50 h at 133.33: 2866.595 exactly, half-up to 2866.60
    assert (chen_february["minutes"], chen_february["quantity"]) == (1290, D("21.50"))
    assert (chen_february["unit_price"], chen_february["amount"]) == (D("133.33"), D("2866.60"))
    # 200 min = 3.33 h (3.333...): the amount uses the minutes, 444.4333 -> 444.43
    chen_march = lines[("INV-2026-000007", "Chen Wu")]
    assert (chen_march["quantity"], chen_march["amount"]) == (D("3.33"), D("444.43"))


def test_held_draft_says_why(demo: Settings) -> None:
    drafts = {row["draft_key"]: row for row in mart(demo, "invoice_drafts")}
    held = drafts["C-18403:time:2026-03"]
    # Dara 390 min priced; Chen 150 min without a rate; Dara's 1500-minute timer is
    # quarantined. Teamwork logged 390 + 150 + 1500 = 2040 min = 34.00 h; the draft covers
    # 540 min = 9.00 h, of which 150 min = 2.50 h have no rate. The draft is 390 x 95 / 60 =
    # 617.50 + 19% = 117.325 -> 117.33 = 734.83, and stays a draft.
    assert (held["status"], held["total"]) == ("HELD", D("734.83"))
    assert held["hold_codes"] == "HOURS_MISMATCH,MISSING_RATE"
    assert held["hold_reasons"] == (
        "HOURS_MISMATCH: 34.00 billable hours logged in 2026-03 but the draft covers 9.00 h "
        "(difference 25.00 h, tolerance 0.00 h); not billed: entry 9224 (minutes_over_a_day); "
        "MISSING_RATE: 2.50 billable hours have no rate on the project, for: Chen Wu"
    )
    assert held["invoice_number"] is None
    statuses = sorted(row["status"] for row in drafts.values())
    assert statuses == ["HELD"] + ["ISSUED"] * 7


def test_aging_buckets_and_forecast(demo: Settings) -> None:
    aging = {row["invoice_number"]: row for row in mart(demo, "ar_aging")}
    assert {n: (r["days_past_due"], r["bucket"]) for n, r in aging.items()} == {
        "INV-2026-000003": (43, "31-60"),
        "INV-2026-000004": (14, "1-30"),
        "INV-2026-000006": (1, "1-30"),
        "INV-2026-000007": (-21, "current"),
    }
    forecast = rows(
        demo,
        "select week_start, expected_amount, items from {marts}.cash_forecast "
        "where as_of = date '2026-04-15' and currency = 'USD' order by week_start",
    )
    assert len(forecast) == 13
    assert forecast[0][0] == date(2026, 4, 13)
    # week of 13 Apr: everything already due lands in the first week: 2949.10 + 12000 + 10500
    # week of 20 Apr: INV-7 due 6 May, Northwind pays 12 days early on average (INV-1 paid
    # 20 Feb, due 4 Mar): 24 Apr.
    assert forecast[0][1:] == (D("25449.10"), 3)
    assert forecast[1][1:] == (D("3211.93"), 1)
    assert all(amount == 0 for _, amount, _ in forecast[2:])


def test_contract_figures(demo: Settings) -> None:
    contracts = {row["contract_code"]: row for row in mart(demo, "contracts")}
    figures = {
        code: (
            r["status"],
            r["total_value"],
            r["tax_amount"],
            r["amount_paid"],
            r["remaining_balance"],
        )
        for code, r in contracts.items()
    }
    assert figures == {
        # T&M, no tax: invoiced 4410 + 5949.10 + 3211.93, paid 4410 + 3000
        "C-18401": ("ACTIVE", D("60000.00"), D("0.00"), D("7410.00"), D("52590.00")),
        # fixed price incl. 8.25%: 30000 x 0.0825 / 1.0825 = 2286.374 -> 2286.37; nothing paid
        "C-18402": ("SIGNED", D("30000.00"), D("2286.37"), D("0.00"), D("30000.00")),
        # T&M EUR 12000 net + 19% = 14280; paid 1145.38 + 1151.33 = 2296.71
        "C-18403": ("ACTIVE", D("14280.00"), D("2280.00"), D("2296.71"), D("11983.29")),
        # no signing date yet: DRAFTING, and its March time waits
        "C-18405": ("DRAFTING", D("20000.00"), D("0.00"), D("0.00"), D("20000.00")),
    }


def test_row_counts_of_every_table(demo: Settings) -> None:
    for table, expected in EXPECTED_ROW_COUNTS.items():
        assert rows(demo, f"select count(*) from {{marts}}.{table}")[0][0] == expected, table
    quarantined = rows(
        demo, "select stream, record_id, rule from {quarantine}.records order by 1, 2"
    )
    assert quarantined == [
        ("deals", "18406", "unknown_billing_model"),
        ("time", "9223", "minutes_not_positive"),
        ("time", "9224", "minutes_over_a_day"),
    ]


def test_time_entry_dispositions_add_up(demo: Settings) -> None:
    dispositions = dict(
        rows(
            demo,
            "select disposition, records from {audit}.row_conservation where stream = "
            "'teamwork.time' and run_id = (select run_id from {audit}.runs "
            "where as_of = date '2026-04-15' and status = 'COMPLETED')",
        )
    )
    assert dispositions == {
        "on_invoice": 19,  # 5 + 5 + 5 Northwind, 2 + 2 Initech
        "on_held_draft": 1,  # Dara, Initech March
        "unpriced": 1,  # Chen on Initech
        "non_billable": 3,  # 9106, 9116, 9401
        "fixed_fee": 2,  # Globex hours, covered by its milestones
        "contract_not_signed": 1,  # Hooli
        "open_period": 1,  # April
        "not_yet_effective": 1,  # 20 April
        "quarantined": 2,  # 0 minutes; 1500 minutes
    }
    assert sum(dispositions.values()) == 31  # every time entry of the sample
