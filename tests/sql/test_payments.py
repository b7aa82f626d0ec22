"""Payments (issue 6): matching in DESIGN's order, client credit, refunds, disputes, minor units,
and duplicated or out-of-order events, on edited copies of the sample company run the way the
nightly flow runs them, on DuckDB and on PostgreSQL.

The sample's invoices used here (issued by the 6 April run, docs/billing.md):
  INV-2026-000011 Acme 2,580.65 (16 Mar)     INV-2026-000019 Acme 5,752.50 (6 Apr)
  INV-2026-000008 Stark 5,760.00 (16 Mar)    INV-2026-000013 Stark 1,440.00 (23 Mar)
  INV-2026-000006 Initech EUR 1,151.33, paid on 10 Apr by pi_1QbF0004
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D  # noqa: N817 - short, for tables of amounts
from pathlib import Path
from typing import Any

import pytest

from billflow.config import Settings
from tests.conftest import warehouse_env
from tests.helpers import ScenarioCase, copy_warehouse, sample_scenario

APRIL_15 = date(2026, 4, 15)
SAMPLE_EVENTS = ("payments", "refunds", "disputes")
# The demo's weekly runs that issue something: run on these alone, the invoices get the demo's
# numbers, which the sample's payments name.
ISSUE_DATES = [date(2026, 2, 2), date(2026, 2, 16), date(2026, 2, 23), date(2026, 3, 2),
               date(2026, 3, 16), date(2026, 3, 23), date(2026, 3, 30), date(2026, 4, 6),
               date(2026, 4, 13)]  # fmt: skip


HISTORY_END = date(2026, 4, 6)


def run_until(case: ScenarioCase, as_of: date) -> None:
    """From the history (6 April), the demo's runs before `as_of`, then a run of `as_of`.
    Payments are rebuilt from the whole event log each run, so events dated in the history
    settle as they would have."""
    for day in ISSUE_DATES:
        if HISTORY_END < day < as_of:
            case.run(day)
    case.run(as_of)


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """The sample billed up to 6 April, once per warehouse, with the Stripe events dated by
    then; each case starts from a copy."""
    folder = tmp_path_factory.mktemp(f"payments-{request.param}")
    with warehouse_env(request.param, folder / "warehouse") as settings:
        base = ScenarioCase(settings, sample_scenario(), folder / "runs")
        for key in SAMPLE_EVENTS:  # events to come are landed by the cases, as they edit them
            base.scenario[key] = [e for e in base.scenario[key] if e["at"] < "2026-04-07"]
        for day in ISSUE_DATES:
            if day <= HISTORY_END:
                base.run(day)
        yield settings


@pytest.fixture
def case(history: Settings, tmp_path: Path) -> Iterator[ScenarioCase]:
    kind = "duckdb" if history.warehouse_url.startswith("duckdb") else "postgres"
    with warehouse_env(kind, tmp_path / "warehouse") as settings:
        copy_warehouse(history, settings)
        yield ScenarioCase(settings, sample_scenario(), tmp_path / "case", runs=100)


def without_events(case: ScenarioCase, *ids: str) -> list[dict[str, Any]]:
    """Take events out of the scenario; returns them."""
    taken = []
    for key in SAMPLE_EVENTS:
        kept = [e for e in case.scenario[key] if e["event_id"] not in ids]
        taken += [e for e in case.scenario[key] if e["event_id"] in ids]
        case.scenario[key] = kept
    return taken


def payment(event: str, at: str, amount: str, **fields: str) -> dict[str, Any]:
    return {"event_id": event, "payment_intent": "pi_" + event.removeprefix("evt_"), "at": at,
            "amount": amount, "currency": "usd", **fields}  # fmt: skip


def applications(case: ScenarioCase, invoice: str) -> list[tuple[Any, ...]]:
    return case.rows(
        "select event_id, kind, applied_date, applied_amount from {marts}.payment_applications "
        f"where invoice_number = '{invoice}' order by applied_date, event_id"
    )


def invoice(case: ScenarioCase, number: str) -> tuple[Any, ...]:
    return case.rows(
        "select amount_paid, balance_due, status from {marts}.invoices "
        f"where invoice_number = '{number}'"
    )[0]


def test_an_over_payment_is_client_credit_applied_by_the_next_run(case: ScenarioCase) -> None:
    # Acme pays 3,000.00 on 8 Apr for INV-11 (2,580.65): 419.35 over. The run of 8 Apr keeps it
    # unapplied as client credit; from 9 Apr it pays Acme's oldest open invoice, INV-19.
    run_until(case, date(2026, 4, 8))
    assert case.rows(
        "select applied_amount, credit_applied_amount, unapplied_amount, status, unapplied_reason "
        "from {marts}.payments where event_id = 'evt_1QbF0011'"
    ) == [(D("2580.650"), D("0.000"), D("419.350"), "partially_applied",
           "over-payment of INV-2026-000011: client credit, applied to the client's oldest open "
           "invoice in USD from the next run")]  # fmt: skip
    assert case.rows("select kind, unapplied_amount from {marts}.unapplied_cash") == [
        ("client_credit", D("419.350"))
    ]
    case.run(date(2026, 4, 9))
    assert invoice(case, "INV-2026-000011") == (D("2580.650"), D("0.000"), "PAID")
    assert applications(case, "INV-2026-000019") == [
        ("evt_1QbF0011", "client_credit", date(2026, 4, 9), D("419.350"))
    ]
    assert invoice(case, "INV-2026-000019") == (D("419.350"), D("5333.150"), "PENDING")
    assert case.rows("select count(*) from {marts}.unapplied_cash") == [(0,)]


def test_a_credit_spans_invoices_oldest_first(case: ScenarioCase) -> None:
    # Stark over-pays INV-8 (5,760.00) by 2,000.00 on 1 Apr: from 2 Apr the credit pays INV-13
    # (1,440.00, issued 23 Mar) in full, then 560.00 of nothing else open: 560.00 stays credit.
    without_events(case, "evt_1QbF0012")
    case.scenario["payments"].append(
        payment("evt_case0001", "2026-04-01T10:00:00Z", "7760.00",
                invoice_number="INV-2026-000008", customer="cus_Stark")
    )  # fmt: skip
    run_until(case, APRIL_15)
    assert applications(case, "INV-2026-000013") == [
        ("evt_case0001", "client_credit", date(2026, 4, 2), D("1440.000"))
    ]
    assert case.rows(
        "select applied_amount, credit_applied_amount, unapplied_amount from {marts}.payments "
        "where event_id = 'evt_case0001'"
    ) == [(D("5760.000"), D("1440.000"), D("560.000"))]


def test_payments_without_an_invoice_number(case: ScenarioCase) -> None:
    # Stark's 1,440.00 naming only its contract takes INV-13, the oldest open invoice of exactly
    # that amount. A second 1,440.00 finds no other; 99.00 matches nothing; an unknown
    # customer with no contract has no client.
    case.scenario["payments"] += [
        payment("evt_case0002", "2026-04-10T10:00:00Z", "1440.00", customer="cus_Stark"),
        payment("evt_case0003", "2026-04-10T11:00:00Z", "99.00", contract_code="C-18411"),
        payment("evt_case0004", "2026-04-10T12:00:00Z", "1440.00", customer="cus_Nobody"),
    ]
    run_until(case, APRIL_15)
    assert case.rows(
        "select event_id, client_id, matched_by, invoice_number, applied_amount, "
        "unapplied_reason from {marts}.payments where event_id in "
        "('evt_1QbF0012', 'evt_case0002', 'evt_case0003', 'evt_case0004') order by event_id"
    ) == [
        ("evt_1QbF0012", "9008", "exact_amount", "INV-2026-000013", D("1440.000"), None),
        # cus_Stark never named an invoice: without a contract code the payer is unknown
        ("evt_case0002", None, None, None, D("0.000"),
         "no invoice_number in the payment metadata, and no client known for customer cus_Stark"),
        ("evt_case0003", "9008", None, None, D("0.000"),
         "no invoice_number in the payment metadata, and no open invoice of the client for "
         "exactly this amount"),
        ("evt_case0004", None, None, None, D("0.000"),
         "no invoice_number in the payment metadata, and no client known for customer "
         "cus_Nobody"),
    ]  # fmt: skip
    assert invoice(case, "INV-2026-000013") == (D("1440.000"), D("0.000"), "PAID")


def test_a_partial_refund_reopens_the_invoice(case: ScenarioCase) -> None:
    # INV-6 (EUR 1,151.33, due 1 Apr) is paid on 10 Apr; 100.00 is refunded on 14 Apr
    run_until(case, date(2026, 4, 13))
    assert invoice(case, "INV-2026-000006") == (D("1151.330"), D("0.000"), "PAID")
    case.run(APRIL_15)
    assert invoice(case, "INV-2026-000006") == (D("1051.330"), D("100.000"), "OVERDUE")
    assert applications(case, "INV-2026-000006") == [
        ("evt_1QbF0004", "payment", date(2026, 4, 10), D("1151.330")),
        ("evt_1QbF0201", "refund", date(2026, 4, 14), D("-100.000")),
    ]
    assert case.rows(
        "select refunded_amount, status from {marts}.payments where event_id = 'evt_1QbF0004'"
    ) == [(D("100.000"), "partially_refunded")]


def test_a_refund_reverses_client_credit_first_and_a_lost_dispute_reverses_too(
    case: ScenarioCase,
) -> None:
    # Acme's 3,000.00: 2,580.65 on INV-11 (8 Apr), 419.35 as credit on INV-19 (9 Apr).
    # A refund of 500.00 on 12 Apr takes the latest application first: all 419.35 of the
    # credit, then 80.65 of INV-11. Northwind's disputed 4,410.00 is lost on 13 Apr.
    case.scenario["refunds"].append(
        {"event_id": "evt_case0201", "payment_intent": "pi_1QbF0011",
         "at": "2026-04-12T10:00:00Z", "refunded_to_date": "500.00", "amount": "3000.00",
         "currency": "usd"}
    )  # fmt: skip
    case.scenario["disputes"][1].update(status="lost", at="2026-04-13T10:00:00Z")
    run_until(case, APRIL_15)
    assert case.rows(
        "select event_id, invoice_number, applied_date, applied_amount, reverses_event_id "
        "from {marts}.payment_applications where kind in ('refund', 'dispute_lost') "
        "and reverses_event_id <> 'evt_1QbF0004' order by applied_date, invoice_number"
    ) == [
        ("evt_case0201", "INV-2026-000011", date(2026, 4, 12), D("-80.650"), "evt_1QbF0011"),
        ("evt_case0201", "INV-2026-000019", date(2026, 4, 12), D("-419.350"), "evt_1QbF0011"),
        ("evt_1QbF0302", "INV-2026-000001", date(2026, 4, 13), D("-4410.000"), "evt_1QbF0001"),
    ]
    assert invoice(case, "INV-2026-000011") == (D("2500.000"), D("80.650"), "PENDING")
    assert invoice(case, "INV-2026-000001")[1:] == (D("4410.000"), "OVERDUE")
    assert case.rows(
        "select dispute_id, status, amount, opened_date, closed_date, invoice_number "
        "from {marts}.disputes"
    ) == [("du_1QbF0001", "lost", D("4410.000"), date(2026, 3, 12), date(2026, 4, 13),
           "INV-2026-000001")]  # fmt: skip


def test_duplicated_and_out_of_order_events_settle_the_same(
    case: ScenarioCase, tmp_path: Path
) -> None:
    """Events in order in one run, against: a later cumulative refund seen before the payment
    it refunds and before the earlier refund, the same events delivered twice, over two runs."""
    extra_refund = {"event_id": "evt_case0202", "payment_intent": "pi_1QbF0004",
                    "at": "2026-04-14T12:00:00Z", "refunded_to_date": "150.00",
                    "amount": "1151.33", "currency": "eur"}  # fmt: skip
    query = (
        "select event_id, invoice_number, kind, applied_date, applied_amount "
        "from {marts}.payment_applications order by event_id, invoice_number"
    )
    kind = "duckdb" if case.settings.warehouse_url.startswith("duckdb") else "postgres"
    with warehouse_env(kind, tmp_path / "in_order") as settings:
        copy_warehouse(case.settings, settings)
        in_order = ScenarioCase(settings, sample_scenario(), tmp_path / "in_order", runs=100)
        in_order.scenario["refunds"].append(extra_refund)
        run_until(in_order, APRIL_15)
        expected = in_order.rows(query)
    # 100.00 then 150.00 refunded to date: two refunds, of 100.00 and 50.00
    assert [row[1:] for row in expected if row[2] == "refund"] == [
        ("INV-2026-000006", "refund", date(2026, 4, 14), D("-100.000")),
        ("INV-2026-000006", "refund", date(2026, 4, 14), D("-50.000")),
    ]
    paid = without_events(case, "evt_1QbF0004", "evt_1QbF0011")
    case.scenario["refunds"] = [extra_refund]
    run_until(case, date(2026, 4, 14))
    assert case.rows("select count(*) from {marts}.payment_applications where kind = 'refund'") == [
        (0,)
    ]  # nothing to reverse yet: the payment has not come
    case.scenario["refunds"] = [extra_refund, *sample_scenario()["refunds"]] * 2
    case.scenario["payments"] += list(reversed(paid)) * 2
    case.run(APRIL_15)
    assert case.rows(query) == expected


@pytest.mark.parametrize(
    ("currency", "minor", "amount"),
    [("jpy", 500, D("500")), ("bhd", 5120, D("5.120")), ("usd", 1099, D("10.99"))],
)
def test_amounts_arrive_in_the_currency_minor_unit(
    case: ScenarioCase, currency: str, minor: int, amount: D
) -> None:
    # the generator writes Stripe's integer minor units; the warehouse reads them back exactly
    case.scenario["payments"].append(
        payment("evt_case0005", "2026-04-10T10:00:00Z", str(amount), currency=currency,
                invoice_number="INV-2026-000999")
    )  # fmt: skip
    run_until(case, APRIL_15)
    assert case.rows(
        "select currency, amount, unapplied_amount from {marts}.payments "
        "where event_id = 'evt_case0005'"
    ) == [(currency.upper(), amount, amount)]
    pages = case.folder / f"run{case.runs}" / "pages" / "stripe" / "events"
    assert f'"amount_received": {minor},' in "".join(p.read_text() for p in pages.glob("*.json"))


def test_the_seed_deposit_activates_the_contract(any_settings: Settings, tmp_path: Path) -> None:
    # CS-05: 11,500.00 paid on 5 Mar on Westbrook's 46,000.00 (25%; its change order comes
    # on 1 Apr): installment 1 PAID, the contract ACTIVE from that day, 34,500.00 remaining
    case = ScenarioCase(any_settings, sample_scenario(), tmp_path / "case")
    for day in [d for d in ISSUE_DATES if d < date(2026, 3, 9)] + [date(2026, 3, 9)]:
        case.run(day)
    assert case.rows(
        "select installment_no, amount, status from {marts}.installments "
        "where contract_code = 'C-18408' order by 1"
    )[0] == (1, D("11500.000"), "PAID")
    assert case.rows(
        "select status, total_value, amount_paid, remaining_balance from {marts}.contracts "
        "where contract_code = 'C-18408'"
    ) == [("ACTIVE", D("46000.000"), D("11500.000"), D("34500.000"))]
    assert case.rows(
        "select changed_on from {marts}.contract_history "
        "where contract_code = 'C-18408' and to_status = 'ACTIVE'"
    ) == [(date(2026, 3, 5),)]
