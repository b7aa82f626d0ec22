"""Late fees (issue 6): per the contract's clause, on their own line, on the contract's next
draft or their own after 30 days, never compounded, outside the scope of tax; run the way the
nightly flow runs them, on DuckDB and on PostgreSQL.

Globex's INV-2026-000003 (12,000.00, due 3 March, tax 8.25% included) is never paid here: the
sample's payment of 16 April is taken out.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D  # noqa: N817 - short, for tables of amounts
from pathlib import Path
from typing import Any

import pytest

from billflow.commands import credit_invoice
from billflow.config import Settings
from billflow.documents import render_documents
from billflow.warehouse import Warehouse
from tests.helpers import ScenarioCase, sample_scenario

# the demo's runs that issue something (tests/sql/test_payments.py), so invoices get its numbers
ISSUE_DATES = [
    date(2026, 2, 2), date(2026, 2, 16), date(2026, 2, 23), date(2026, 3, 2),
    date(2026, 3, 16), date(2026, 3, 23), date(2026, 3, 30), date(2026, 4, 6),
]  # fmt: skip
GLOBEX = "INV-2026-000003"
LINES = (
    "select line_type, description, amount, tax_inclusive, reference from {marts}.invoice_lines "
    "where invoice_number = '{number}' order by line_no"
)


@pytest.fixture
def case(any_settings: Settings, tmp_path: Path) -> ScenarioCase:
    case = ScenarioCase(any_settings, sample_scenario(), tmp_path / "case")
    payments = case.scenario["payments"]
    case.scenario["payments"] = [p for p in payments if p.get("invoice_number") != GLOBEX]
    return case


def globex(case: ScenarioCase) -> dict[str, Any]:
    deal: dict[str, Any] = next(d for d in case.scenario["deals"] if d["id"] == "18402")
    return deal


def totals(case: ScenarioCase, number: str) -> tuple[Any, ...]:
    return case.rows(
        "select subtotal, tax, tax_included, total from {marts}.invoices "
        f"where invoice_number = '{number}'"
    )[0]


def test_the_default_clause_on_the_next_invoice(case: ScenarioCase) -> None:
    # 3 Mar + 30 days = 2 Apr: 1.5% of 12,000.00 = 180.00, on Globex's next invoice (6 April,
    # the Go-live partial 3,750.00 with 8.25% included: 3750 x 0.0825 / 1.0825 = 285.80).
    # The fee is outside the scope of tax: the tax stays 285.80, the total is 3,930.00.
    for day in ISSUE_DATES:
        case.run(day)
    number = case.invoice_number("C-18402:milestone:4103:partial")
    assert case.rows(LINES.format(marts="{marts}", number=number))[1:] == [
        ("late_fee", f"Late fee: 1.50% of 12000.00 overdue on {GLOBEX}, 30 days past due on "
         "2026-04-02", D("180.000"), False, f"{GLOBEX}#1"),
    ]  # fmt: skip
    assert totals(case, number) == (D("3644.200"), D("285.800"), D("285.800"), D("3930.000"))
    assert case.rows(
        "select source, stream, record_id from {marts}.invoice_line_sources "
        f"where invoice_number = '{number}' and line_no = 2"
    ) == [("billflow", "invoices", GLOBEX)]
    # crediting the fee takes back no tax
    note = credit_invoice(
        case.settings, number, reason="waived", actor="Ann Lee", acted_on=date(2026, 4, 7),
        lines=[2],
    )  # fmt: skip
    assert note.startswith("CN-2026-000001 issued on 2026-04-07: USD -180.00")
    case.run(date(2026, 4, 13))
    assert totals(case, "CN-2026-000001") == (D("-180.000"), D("0.000"), D("0.000"), D("-180.000"))
    # a period already billed (and credited) is not drafted again
    assert case.rows(
        "select count(*) from {build}.int_late_fees where reference = 'INV-2026-000003#1'"
    ) == [(0,)]


def test_the_clause_of_the_deal_partial_payments_and_no_compounding(case: ScenarioCase) -> None:
    # 2% after 5 grace days; 2,000.00 paid on 20 March. Period 1: 3 Mar + 5 + 30 = 7 Apr, on
    # 10,000.00: 200.00. Globex has no draft by 7 May (7 Apr + 30), so it goes alone.
    globex(case)["billing"].update(late_fee_pct="2", late_fee_grace_days="5")
    case.scenario["payments"].append(
        {"event_id": "evt_case0001", "payment_intent": "pi_case0001", "at": "2026-03-20T10:00:00Z",
         "amount": "2000.00", "currency": "usd", "invoice_number": GLOBEX}
    )  # fmt: skip
    for day in [*ISSUE_DATES, date(2026, 4, 13), date(2026, 5, 11)]:
        case.run(day)
    alone = "C-18402:late_fee:INV-2026-000003#1"
    number = case.invoice_number(alone)
    assert case.rows(LINES.format(marts="{marts}", number=number)) == [
        ("late_fee", f"Late fee: 2.00% of 10000.00 overdue on {GLOBEX}, 35 days past due on "
         "2026-04-07", D("200.000"), False, f"{GLOBEX}#1"),
    ]  # fmt: skip
    assert totals(case, number) == (D("200.000"), D("0.000"), D("0.000"), D("200.000"))
    # the document prints the contract's own clause
    warehouse = Warehouse(case.settings)
    try:
        render_documents(warehouse)
    finally:
        warehouse.close()
    page = (case.settings.documents_dir / "invoices" / f"{number}.html").read_text()
    assert (
        "a late fee of 2% per full 30 days past due, after a grace period of 5 days, simple"
    ) in page
    # What the run of 11 May assessed (the build, before publish: #1 is issued by this run):
    # Globex period 2 (7 May) on the same 10,000.00, 200.00 again (simple: never on the 200.00
    # of period 1); Northwind's INV-5 (due 1 Apr, 5,949.10 - 3,000.00 paid) and Stark's INV-8
    # (due 31 Mar, 5,760.00) at the default 1.5% after 30 days: 44.2365 -> 44.24, 86.40. They
    # wait for their contract's next draft.
    assert case.rows(
        "select reference, assessed_on, overdue_balance, amount_minor from {build}.int_late_fees "
        "order by reference"
    ) == [
        (f"{GLOBEX}#1", date(2026, 4, 7), D("10000.000"), 20000),
        (f"{GLOBEX}#2", date(2026, 5, 7), D("10000.000"), 20000),
        ("INV-2026-000005#1", date(2026, 5, 1), D("2949.100"), 4424),
        ("INV-2026-000008#1", date(2026, 4, 30), D("5760.000"), 8640),
    ]


def test_no_fee_within_the_grace_or_on_a_paid_invoice(case: ScenarioCase) -> None:
    # 40 grace days: 3 Mar + 40 + 30 = 12 May. Initech's INV-2026-000002 (due 4 Mar, paid on
    # 28 Mar, before its period 1 on 3 Apr) owes no fee.
    globex(case)["billing"].update(late_fee_grace_days="40")
    for day in ISSUE_DATES:
        case.run(day)
    assert case.rows("select count(*) from {marts}.invoice_lines where line_type = 'late_fee'") == [
        (0,)
    ]
