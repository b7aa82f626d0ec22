"""The demo, on both warehouses: the nightly flow weekly over the sample company, then a
person's commands (cancel, credit, liquidate) and a refresh, exactly as `make demo` runs it.

Every figure below is computed by hand from data/sample.yml; the arithmetic is in the
comments. Rates are Teamwork minor units per hour (15000 = 150.00); a time amount is
half-up(minutes x rate / 60); fixed prices include tax (tax = gross x r / (1 + r)).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D  # noqa: N817 - short, for tables of amounts

import pytest

from billflow.config import Settings
from billflow.money import format_money
from tests.conftest import warehouse_env
from tests.helpers import DEMO_DATES, mart, rows, run_dates, run_demo_commands, run_nightly

# invoice: (draft key, issue date, due date, currency, subtotal, tax, total)
# fmt: off
EXPECTED_INVOICES = {
    # TIME, monthly. Northwind January, issued by the 2 Feb run, net 30. Ana 480+450+390 =
    # 1320 min = 22 h x 150.00 = 3300.00; Bo 300+255 = 555 min x 120 / 60 = 1110.00.
    "INV-2026-000001": ("C-18401:time:2026-01", "2026-02-02", "2026-03-04", "USD", "4410.00", "0.00", "4410.00"),
    # Initech January (EUR, 19% added): Ana 240 x 110 / 60 = 440.00; Dara 330 x 95 / 60 =
    # 522.50; net 962.50; tax 182.875 -> 182.88.
    "INV-2026-000002": ("C-18403:time:2026-01", "2026-02-02", "2026-03-04", "EUR", "962.50", "182.88", "1145.38"),
    # MILESTONE 4101 completed 10 Feb, issued 16 Feb, net 15; 8.25% included:
    # 12000 x 0.0825 / 1.0825 = 914.5496 -> 914.55.
    "INV-2026-000003": ("C-18402:milestone:4101", "2026-02-16", "2026-03-03", "USD", "11085.45", "914.55", "12000.00"),
    # INSTALLMENT 1 of 25/40/35 on 46,000.00: 25% on signature (20 Feb) = 11,500.00.
    "INV-2026-000004": ("C-18408:installment:1", "2026-02-23", "2026-03-25", "USD", "11500.00", "0.00", "11500.00"),
    # Northwind February: Ana 885 min x 150 / 60 = 2212.50; Bo 435 x 120 / 60 = 870.00;
    # Chen 1290 x 133.33 / 60 = 2866.595 -> 2866.60 (half-up); 5949.10.
    "INV-2026-000005": ("C-18401:time:2026-02", "2026-03-02", "2026-04-01", "USD", "5949.10", "0.00", "5949.10"),
    # Initech February: Dara 420 x 95 / 60 = 665.00; Ana 165 x 110 / 60 = 302.50; 967.50;
    # tax 183.825 -> 183.83.
    "INV-2026-000006": ("C-18403:time:2026-02", "2026-03-02", "2026-04-01", "EUR", "967.50", "183.83", "1151.33"),
    # INSTALLMENT 2: 40% x 46,000.00 = 18,400.00 when milestone 4201 completed (12 Mar).
    "INV-2026-000007": ("C-18408:installment:2", "2026-03-16", "2026-04-15", "USD", "18400.00", "0.00", "18400.00"),
    # TIME, bi-weekly from 2 March: 4 x 480 min = 32 h x 180.00 = 5760.00; net 15.
    "INV-2026-000008": ("C-18411:time:2026-03-02", "2026-03-16", "2026-03-31", "USD", "5760.00", "0.00", "5760.00"),
    # HYBRID: milestone 4301 completed 11 Mar unlocks its value 5000.00 and the hours on its
    # tasks, Bo 360 + 300 = 660 min x 140 / 60 = 1540.00: 6540.00.
    "INV-2026-000009": ("C-18412:milestone:4301", "2026-03-16", "2026-04-15", "USD", "6540.00", "0.00", "6540.00"),
    # Hybrid's other time, WEEKLY (week of 9 Mar): Ana 180 min x 160 / 60 = 480.00.
    "INV-2026-000010": ("C-18412:time:2026-03-09", "2026-03-16", "2026-04-15", "USD", "480.00", "0.00", "480.00"),
    # RETAINER in advance, starting 16 March: 5000.00 x 16 / 31 days = 2580.645 -> 2580.65.
    "INV-2026-000011": ("C-18413:retainer:2026-03", "2026-03-16", "2026-04-15", "USD", "2580.65", "0.00", "2580.65"),
    # CHANGE ORDER approved 20 Feb with no Globex invoice by 22 Mar (30 days): on its own.
    # 3000.00 incl. 8.25%: 3000 x 0.0825 / 1.0825 = 228.637 -> 228.64.
    "INV-2026-000012": ("C-18402:change_order:18415", "2026-03-23", "2026-04-07", "USD", "2771.36", "228.64", "3000.00"),
    # HOURS CAP 40 h: 32 h billed before; 9605 360 min (to 38 h); 9606 240 min, of which 120
    # fit; 480 min = 8 h x 180 = 1440.00. The cap was reached on 19 Mar, so the period bills
    # on the 23 Mar run, before it ends on 29 Mar. 9607 (24 Mar) is over the cap.
    "INV-2026-000013": ("C-18411:time:2026-03-16", "2026-03-23", "2026-04-07", "USD", "1440.00", "0.00", "1440.00"),
    # DELIVERABLE accepted 25 Mar: 1200.00.
    "INV-2026-000014": ("C-18401:deliverable:4104", "2026-03-30", "2026-04-29", "USD", "1200.00", "0.00", "1200.00"),
    # MILESTONE 4102 completed 25 Mar: 10500 x 0.0825 / 1.0825 = 800.2309 -> 800.23.
    "INV-2026-000015": ("C-18402:milestone:4102", "2026-03-30", "2026-04-14", "USD", "9699.77", "800.23", "10500.00"),
    # Hybrid weekly (week of 23 Mar): Ana 90 x 160 / 60 = 240.00.
    "INV-2026-000016": ("C-18412:time:2026-03-23", "2026-03-30", "2026-04-29", "USD", "240.00", "0.00", "240.00"),
    # Northwind March (9125, 22:30 New York time on 31 March, is March): Ana 855 min x 150 /
    # 60 = 2137.50; Bo 315 x 120 / 60 = 630.00; Chen 200 x 133.33 / 60 = 444.4333 -> 444.43;
    # TASK RATE: Architecture review at 200.00 overrides Ana's 150.00: 120 min = 400.00.
    "INV-2026-000017": ("C-18401:time:2026-03", "2026-04-06", "2026-05-06", "USD", "3611.93", "0.00", "3611.93"),
    # PARTIAL milestone: 4103 is 50% complete on 2 Apr (1800 of 3600 estimated minutes):
    # 50% x 7500 = 3750.00 incl. 8.25%: 285.797 -> 285.80.
    # 3,750.00 with tax included, and the late fee of INV-2026-000003 (1.5% of 12,000.00, untaxed)
    "INV-2026-000018": ("C-18402:milestone:4103:partial", "2026-04-06", "2026-04-21", "USD", "3644.20", "285.80", "3930.00"),
    # RETAINER April: 1-15 Apr at 5000, 16-30 Apr at 6000: (15 x 5000 + 15 x 6000) / 30 =
    # 5500.00; OVERAGE March in arrears: 240+300+180 = 720 min used against 20 h x 16 / 31 =
    # 619.35 -> 619 min; 101 min x 150 / 60 = 252.50. 5752.50.
    "INV-2026-000019": ("C-18413:retainer:2026-04", "2026-04-06", "2026-05-06", "USD", "5752.50", "0.00", "5752.50"),
    # INSTALLMENT 3: the last takes the rest, 46000 - 11500 - 18400 = 16100.00, on 10 Apr;
    # change order 18414 (approved 1 Apr) rides on this next invoice: + 4000.00.
    "INV-2026-000020": ("C-18408:installment:3", "2026-04-13", "2026-05-13", "USD", "20100.00", "0.00", "20100.00"),
    # RETAINER signed 10 Apr back to 1 March: March's whole fee, 3000.00, on the 13 Apr run;
    # April's fee waits with March's overage (RETAINER_OVERAGE, test_held_drafts_say_why).
    "INV-2026-000021": ("C-18425:retainer:2026-03", "2026-04-13", "2026-05-13", "USD", "3000.00", "0.00", "3000.00"),
}

# As of 15 April, after the demo's commands and refresh. Paid: 1 (20 Feb), 2 (28 Mar), 4 (the
# 11,500 deposit, 5 Mar), 6 (10 Apr), 9 and 10 (1 Apr), 16 (8 Apr). INV-5: 3000.00 paid and
# CN-2026-000001 credits Chen's line (2866.60): 5949.10 - 3000 - 2866.60 = 82.50 left.
EXPECTED_STATUS = {
    "INV-2026-000001": ("PAID", "4410.00", "0.00"),
    "INV-2026-000002": ("PAID", "1145.38", "0.00"),
    "INV-2026-000003": ("OVERDUE", "0.00", "12000.00"),
    "INV-2026-000004": ("PAID", "11500.00", "0.00"),
    "INV-2026-000005": ("OVERDUE", "3000.00", "82.50"),
    "INV-2026-000006": ("OVERDUE", "1051.33", "100.00"),  # 100.00 refunded on 14 Apr
    "INV-2026-000007": ("PENDING", "0.00", "18400.00"),
    "INV-2026-000008": ("OVERDUE", "0.00", "5760.00"),
    "INV-2026-000009": ("PAID", "6540.00", "0.00"),
    "INV-2026-000010": ("PAID", "480.00", "0.00"),
    "INV-2026-000011": ("PAID", "2580.65", "0.00"),  # 3,000.00 paid: 419.35 over
    "INV-2026-000012": ("OVERDUE", "0.00", "3000.00"),
    "INV-2026-000013": ("PAID", "1440.00", "0.00"),  # by exact amount
    "INV-2026-000014": ("PENDING", "0.00", "1200.00"),
    "INV-2026-000015": ("OVERDUE", "0.00", "10500.00"),
    "INV-2026-000016": ("PAID", "240.00", "0.00"),
    "INV-2026-000017": ("PENDING", "0.00", "3611.93"),
    "INV-2026-000018": ("PENDING", "0.00", "3930.00"),
    "INV-2026-000019": ("PENDING", "419.35", "5333.15"),  # Acme's client credit
    "INV-2026-000020": ("PENDING", "0.00", "20100.00"),
    "INV-2026-000021": ("PENDING", "0.00", "3000.00"),
}

# fmt: on

EXPECTED_ROW_COUNTS = {
    "contracts": 13,  # 18401-03, 05, 08, 11-13, 21-25; 18406 quarantined; change orders are not
    "invoice_drafts": 28,  # the 21 invoices + 7 held
    "invoices": 22,  # 21 invoices + 1 credit note
    "installments": 5,  # Westbrook 3, Wayne 2
    "change_orders": 3,  # 18414 and 18415 approved, 18416 requested
    "payments": 11,  # 12 payment events; evt 0006 is dated 16 Apr
    # 10 payments applied (evt 0005 names an invoice that does not exist), 1 client credit,
    # 1 refund
    "payment_applications": 12,
    "unapplied_cash": 1,
    "disputes": 1,
}


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefect_server: str
) -> Iterator[Settings]:
    """`make demo`, once per warehouse for the whole module; DuckDB's is the session's
    (tests/conftest.py), which the report tests read too."""
    if request.param == "duckdb":
        yield request.getfixturevalue("demo_duckdb")
        return
    with warehouse_env(request.param, tmp_path_factory.mktemp(request.param)) as settings:
        run_dates(DEMO_DATES)
        run_demo_commands(settings)
        run_nightly(date(2026, 4, 15))
        yield settings


def test_every_invoice_to_the_cent(demo: Settings) -> None:
    invoices = {
        row["invoice_number"]: row for row in mart(demo, "invoices") if row["kind"] == "invoice"
    }
    assert set(invoices) == set(EXPECTED_INVOICES)
    for number, expected in EXPECTED_INVOICES.items():
        key, issued, due, currency, subtotal, tax, total = expected
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
        ), number
        assert (row["subtotal"], row["tax"], row["total"]) == (D(subtotal), D(tax), D(total)), (
            number
        )


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
    by_amount, acme = payments["evt_1QbF0012"], payments["evt_1QbF0011"]
    assert (by_amount["matched_by"], by_amount["invoice_number"]) == (
        "exact_amount",
        "INV-2026-000013",
    )
    assert (acme["applied_amount"], acme["credit_applied_amount"], acme["status"]) == (
        D("2580.65"),
        D("419.35"),
        "applied",
    )
    assert rows(
        demo,
        "select event_id, invoice_number, applied_date, applied_amount, kind "
        "from {marts}.payment_applications where kind <> 'payment' order by applied_date",
    ) == [
        ("evt_1QbF0011", "INV-2026-000019", date(2026, 4, 9), D("419.35"), "client_credit"),
        ("evt_1QbF0201", "INV-2026-000006", date(2026, 4, 14), D("-100.00"), "refund"),
    ]
    assert rows(
        demo, "select event_id, kind, unapplied_amount, reason from {marts}.unapplied_cash"
    ) == [("evt_1QbF0005", "unmatched", D("500.00"), "invoice INV-2026-000999 does not exist")]
    assert rows(
        demo,
        "select dispute_id, status, opened_date, closed_date, invoice_number from {marts}.disputes",
    ) == [("du_1QbF0001", "won", date(2026, 3, 12), date(2026, 4, 2), "INV-2026-000001")]


def test_the_credit_note(demo: Settings) -> None:
    invoices = {row["invoice_number"]: row for row in mart(demo, "invoices")}
    note = invoices["CN-2026-000001"]
    assert (note["kind"], note["credits_invoice_number"], note["status"]) == (
        "credit_note",
        "INV-2026-000005",
        "APPLIED",
    )
    assert (note["issue_date"], note["total"], note["tax"]) == (
        date(2026, 4, 15),
        D("-2866.60"),
        D("0.00"),
    )
    assert invoices["INV-2026-000005"]["amount_credited"] == D("2866.60")
    lines = rows(
        demo,
        "select description, amount, reference from {marts}.invoice_lines "
        "where invoice_number = 'CN-2026-000001'",
    )
    assert lines == [("Credit: Chen Wu", D("-2866.60"), "INV-2026-000005:3")]


def test_time_lines_round_half_up_per_person_and_task_rate(demo: Settings) -> None:
    lines = {
        (row["invoice_number"], row["description"]): row for row in mart(demo, "invoice_lines")
    }
    chen_february = lines[("INV-2026-000005", "Chen Wu")]
    # 1290 min = 21.50 h at 133.33: 2866.595 exactly, half-up to 2866.60
    assert (chen_february["minutes"], chen_february["quantity"]) == (1290, D("21.50"))
    assert (chen_february["unit_price"], chen_february["amount"]) == (D("133.33"), D("2866.60"))
    # 200 min = 3.33 h (3.333...): the amount uses the minutes, 444.4333 -> 444.43
    chen_march = lines[("INV-2026-000017", "Chen Wu")]
    assert (chen_march["quantity"], chen_march["amount"]) == (D("3.33"), D("444.43"))
    review = lines[("INV-2026-000017", "Architecture review")]
    assert (review["task_id"], review["person_id"], review["unit_price"], review["amount"]) == (
        "3002",
        None,
        D("200.00"),
        D("400.00"),
    )


def test_lines_of_the_other_triggers(demo: Settings) -> None:
    lines = {
        (row["invoice_number"], row["line_no"]): (
            row["line_type"],
            row["amount"],
            row["tax_inclusive"],
        )
        for row in mart(demo, "invoice_lines")
    }
    assert lines[("INV-2026-000009", 1)] == ("milestone", D("5000.00"), True)
    assert lines[("INV-2026-000009", 2)] == ("time", D("1540.00"), False)
    assert lines[("INV-2026-000019", 1)] == ("retainer", D("5500.00"), False)
    assert lines[("INV-2026-000019", 2)] == ("overage", D("252.50"), False)
    assert lines[("INV-2026-000020", 1)] == ("installment", D("16100.00"), True)
    assert lines[("INV-2026-000020", 2)] == ("change_order", D("4000.00"), True)
    assert lines[("INV-2026-000018", 1)] == ("milestone_partial", D("3750.00"), True)
    # Globex's INV-2026-000003, unpaid 30 days after its due date (3 Mar), on its next invoice
    assert lines[("INV-2026-000018", 2)] == ("late_fee", D("180.00"), False)


def test_held_drafts_say_why(demo: Settings) -> None:
    drafts = {row["draft_key"]: row for row in mart(demo, "invoice_drafts")}
    held = drafts["C-18403:time:2026-03"]
    # Dara 390 min priced; Chen 150 min without a rate; Dara's 1500-minute timer is
    # quarantined. Teamwork logged 390 + 150 + 1500 = 2040 min = 34.00 h; the draft covers
    # 540 min = 9.00 h, of which 150 min = 2.50 h have no rate. LATE EDIT: Dara's 120 min of
    # 26 Feb, entered 20 Mar, adjust INV-2026-000006: 120 x 95 / 60 = 190.00, 19.6% of its
    # 967.50 subtotal (over 10%). The draft is 390 x 95 / 60 = 617.50 + 190.00 = 807.50
    # + 19% = 153.425 -> 153.43 = 960.93, and stays a draft.
    assert (held["status"], held["total"]) == ("HELD", D("960.93"))
    assert held["hold_codes"] == "HOURS_MISMATCH,LATE_EDIT_ADJUSTMENT,MISSING_RATE"
    assert held["hold_reasons"] == (
        "HOURS_MISMATCH: 34.00 billable hours logged in 2026-03 but the draft covers 9.00 h "
        "(difference 25.00 h, tolerance 0.00 h), not billed: entry 9224 (minutes_over_a_day); "
        "LATE_EDIT_ADJUSTMENT: late edits adjust INV-2026-000006 (190.00), more than 10.00% of "
        "the subtotal: review them before they are invoiced; "
        "MISSING_RATE: 2.50 billable hours have no rate on the project, for: Chen Wu"
    )
    assert held["invoice_number"] is None
    # one held draft per remaining hold reason (data/sample.yml, docs/billing.md)
    assert {key: (row["hold_codes"], row["total"]) for key, row in drafts.items()
            if row["status"] == "HELD" and key != "C-18403:time:2026-03"} == {
        # 420 min x 140.00 = 980.00; Soylent requires a PO
        "C-18421:time:2026-03": ("MISSING_PO", D("980.00")),
        # 8000.00 billed at 40% complete (600 of 1500 estimated minutes)
        "C-18422:milestone:4401": ("BILLED_PCT_OVER_COMPLETION", D("8000.00")),
        # tagged billing:value=0.00: nothing to invoice
        "C-18422:milestone:4402": ("NON_POSITIVE_TOTAL", D("0.00")),
        # 900 min = 15 h x 90.00 = 1350.00; estimate 10 h + 10%
        "C-18423:time:2026-03": ("OVER_CAP", D("1350.00")),
        # 50% of 30,000 = 15,000 but the milestone says 12,000
        "C-18424:installment:1": ("SCHEDULE_MISMATCH", D("15000.00")),
        # April's fee 3000.00 + March's overage 10 h x 120.00 = 1200.00
        "C-18425:retainer:2026-04": ("RETAINER_OVERAGE", D("4200.00")),
    }  # fmt: skip
    statuses = sorted(row["status"] for row in drafts.values())
    assert statuses == ["HELD"] * 7 + ["ISSUED"] * 21
    late = rows(
        demo,
        "select adjusted_invoice, entry_id, delta_minutes, changed_on, draft_key, status "
        "from {marts}.late_edits",
    )
    assert late == [
        ("INV-2026-000006", "9213", 120, date(2026, 3, 20), "C-18403:time:2026-03", "HELD")
    ]


def test_unbilled_work_by_client_reason_and_age(demo: Settings) -> None:
    # Globex's 10 h (501) and Westbrook's 14 h (505) are on fixed-fee contracts, Acme's and
    # Oscorp's within their retainers: covered, so not here. Initech's 2.5 h are on a held
    # draft's project but on no line (no rate).
    assert rows(
        demo,
        "select client_name, project_id, reason, age_bucket, entries, hours, estimated_amount, "
        "hours_without_rate, oldest_entry_date from {marts}.unbilled_work order by client_name",
    ) == [
        # Cancelled on 15 Apr: Hooli's 3 h of 16 Mar at 140.00 will never be billed
        ("Hooli", "504", "contract_closed", "1-30", 1, D("3.00"), D("420.00"), D("0.00"),
         date(2026, 3, 16)),
        ("Initech GmbH", "502", "unpriced", "31-60", 1, D("2.50"), None, D("2.50"),
         date(2026, 3, 12)),
        # April is still open: 8 h at 150.00
        ("Northwind Traders", "500", "open_period", "1-30", 1, D("8.00"), D("1200.00"),
         D("0.00"), date(2026, 4, 7)),
        # 4 h beyond the 40-hour cap at 180.00
        ("Stark Industries", "506", "over_cap", "1-30", 2, D("4.00"), D("720.00"), D("0.00"),
         date(2026, 3, 19)),
    ]  # fmt: skip


def test_installments_sum_to_the_total_seed_case(demo: Settings) -> None:
    installments = rows(
        demo,
        "select installment_no, percent, amount, status from {marts}.installments "
        "where contract_code = 'C-18408' order by 1",
    )
    # 003's case: 46,000 at 25/40/35 = 11,500 / 18,400 / 16,100; the deposit is paid
    assert installments == [
        (1, D("25"), D("11500.00"), "PAID"),
        (2, D("40"), D("18400.00"), "INVOICED"),
        (3, D("35"), D("16100.00"), "INVOICED"),
    ]
    assert sum(amount for _, _, amount, _ in installments) == D("46000.00")


def test_contracts_lifecycle_and_figures(demo: Settings) -> None:
    contracts = {row["contract_code"]: row for row in mart(demo, "contracts")}
    figures = {
        code: (
            r["status"],
            r["version"],
            r["total_value"],
            r["amount_paid"],
            r["remaining_balance"],
        )
        for code, r in contracts.items()
    }
    assert figures == {
        "C-18401": ("ACTIVE", 1, D("60000.00"), D("7410.00"), D("52590.00")),
        # 30,000 incl. tax + change order 3,000 (version 2)
        "C-18402": ("SIGNED", 2, D("33000.00"), D("0.00"), D("33000.00")),
        # 12,000 net + 19% = 14,280
        # 1,145.38 + 1,151.33 paid, 100.00 refunded
        "C-18403": ("ACTIVE", 1, D("14280.00"), D("2196.71"), D("12083.29")),
        "C-18405": ("CANCELLED", 1, D("20000.00"), D("0.00"), D("20000.00")),
        # 46,000 + change order 4,000; the 11,500 deposit paid
        "C-18408": ("ACTIVE", 2, D("50000.00"), D("11500.00"), D("38500.00")),
        # INV-2026-000013 paid in full on 9 Apr: active
        "C-18411": ("ACTIVE", 1, D("7200.00"), D("1440.00"), D("5760.00")),
        # project complete 31 Mar, its three invoices paid by 8 Apr, then liquidated
        "C-18412": ("LIQUIDATED", 1, D("12000.00"), D("7260.00"), D("4740.00")),
        # 3,000.00 paid on 8 Apr: 2,580.65 on INV-2026-000011, 419.35 of credit on 000019
        "C-18413": ("ACTIVE", 1, D("60000.00"), D("3000.00"), D("57000.00")),
        "C-18421": ("SIGNED", 1, D("15000.00"), D("0.00"), D("15000.00")),
        "C-18422": ("SIGNED", 1, D("20000.00"), D("0.00"), D("20000.00")),
        "C-18423": ("SIGNED", 1, D("1000.00"), D("0.00"), D("1000.00")),
        "C-18424": ("SIGNED", 1, D("30000.00"), D("0.00"), D("30000.00")),
        "C-18425": ("SIGNED", 1, D("36000.00"), D("0.00"), D("36000.00")),
    }
    history = rows(
        demo,
        "select to_status, changed_on, caused_by, actor from {marts}.contract_history "
        "where contract_code = 'C-18412' order by step",
    )
    assert history == [
        ("DRAFTING", date(2026, 2, 5), "source", None),
        ("SIGNED", date(2026, 2, 16), "source", None),
        ("ACTIVE", date(2026, 4, 1), "source", None),
        ("COMPLETED", date(2026, 4, 8), "source", None),
        ("LIQUIDATED", date(2026, 4, 15), "command", "Ann Lee"),
    ]


def test_retainer_usage_and_project_costs(demo: Settings) -> None:
    usage = rows(
        demo,
        "select contract_code, period, fee, allocation_hours, used_hours, overage_amount, "
        "flagged from {marts}.retainer_usage order by contract_code, period",
    )
    assert usage == [
        ("C-18413", "2026-03", D("2580.65"), D("10.32"), D("12.00"), D("252.50"), True),
        # April: 540 min used of 20 h, 1-15 Apr at 5000 and 16-30 at 6000
        ("C-18413", "2026-04", D("5500.00"), D("20.00"), D("9.00"), D("0.00"), False),
        # Oscorp: 4 x 300 min in March against 10 h: 10 h over x 120.00
        ("C-18425", "2026-03", D("3000.00"), D("10.00"), D("20.00"), D("1200.00"), True),
        ("C-18425", "2026-04", D("3000.00"), D("10.00"), D("0.00"), D("0.00"), False),
    ]
    # non-billable time is kept for cost: Ana's January stand-up, 60 min at 60.00/h
    january = rows(
        demo,
        "select billable_hours, non_billable_hours, cost from {marts}.project_costs "
        "where project_id = '500' and period = '2026-01' and person_id = '77'",
    )
    # (1320 + 60) min x 60.00 / 60 = 1380.00
    assert january == [(D("22.00"), D("1.00"), D("1380.00"))]


def test_aging_and_forecast(demo: Settings) -> None:
    aging = {row["invoice_number"]: row for row in mart(demo, "ar_aging")}
    assert aging["INV-2026-000003"]["days_past_due"] == 43
    assert aging["INV-2026-000003"]["bucket"] == "31-60"
    assert aging["INV-2026-000005"]["bucket"] == "1-30"
    assert aging["INV-2026-000007"]["bucket"] == "current"  # due 15 Apr: day 0
    assert aging["INV-2026-000006"]["balance_due"] == D("100.00")  # reopened by a refund
    assert len(aging) == 13
    forecast = rows(
        demo,
        "select week_start, expected_amount from {marts}.cash_forecast "
        "where as_of = date '2026-04-15' and currency = 'USD' and source = 'open_invoice' "
        "order by week_start",
    )
    assert len(forecast) == 13 and forecast[0][0] == date(2026, 4, 13)
    # all four sources; Umbrella (18404), a pipeline deal: 45,000.00 x 60% (stage
    # presentationscheduled) = 27,000.00, at close 29 May + 30 days default terms = 28 Jun
    pipeline = rows(
        demo,
        "select week_start, expected_amount from {marts}.cash_forecast "
        "where as_of = date '2026-04-15' and source = 'pipeline' and expected_amount <> 0",
    )
    assert pipeline == [(date(2026, 6, 22), D("27000.000"))]
    sources = rows(
        demo,
        "select distinct source from {marts}.cash_forecast "
        "where as_of = date '2026-04-15' and expected_amount <> 0 order by 1",
    )
    assert sources == [("installment",), ("open_invoice",), ("pipeline",), ("retainer",)]


def test_row_counts_and_quarantine(demo: Settings) -> None:
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


def test_every_time_entry_is_accounted_for(demo: Settings) -> None:
    dispositions = dict(
        rows(
            demo,
            "select disposition, records from {audit}.row_conservation where stream = "
            "'teamwork.time' and run_id = (select run_id from {audit}.runs "
            "where as_of = date '2026-04-15' and status = 'COMPLETED' "
            "order by started_at desc limit 1)",
        )
    )
    assert dispositions == {
        # Northwind 5 + 5 + 6 (Jan-Mar) + Initech 2 + 2 + Stark 6 + Cyberdyne 2 + 2 (on the
        # milestone) + 1 + 1 (weekly) + Acme March 3 (on the overage line)
        "on_invoice": 33,
        # Dara's March and her late entry 9213 (Initech), Soylent 2, Tyrell 3, Oscorp 4 (on
        # the held overage line)
        "on_held_draft": 11,
        "unpriced": 1,  # Chen on Initech
        "non_billable": 4,  # 9106, 9116, 9401, 9705
        "fixed_fee": 4,  # Globex 2, Westbrook 2
        "contract_closed": 1,  # Hooli, cancelled
        "open_period": 1,  # Northwind April
        "over_cap": 1,  # Stark 9607
        "covered_by_retainer": 2,  # Acme April, the cycle still open
        "not_yet_effective": 1,  # 20 April
        "quarantined": 2,  # 0 minutes; 1500 minutes
    }


def test_every_document_is_written_and_carries_its_figures(demo: Settings) -> None:
    folder = demo.documents_dir / "invoices"
    for number, (_, _, due, currency, _, _, total) in EXPECTED_INVOICES.items():
        page = (folder / f"{number}.html").read_text()
        assert f'<span id="invoice-number">{number}</span>' in page
        assert f'<span id="total">{format_money(D(total), currency)}</span>' in page
        due_on = date.fromisoformat(due)
        assert f'<span id="due-date">{due_on.day} {due_on:%B %Y}</span>' in page
    credit = (folder / "CN-2026-000001.html").read_text()
    assert "INV-2026-000005" in credit and "USD -2,866.60" in credit
    summary = (demo.documents_dir / "contracts" / "C-18408.html").read_text()
    assert '<span class="status" id="status">ACTIVE</span>' in summary
    assert "16,100.00" in summary
    liquidated = (demo.documents_dir / "contracts" / "C-18412.html").read_text()
    assert '<span class="status" id="status">LIQUIDATED</span>' in liquidated
    assert '<span id="liquidation-record">LIQ-2026-001</span>' in liquidated
    report = (demo.documents_dir / "reports" / "report-2026-04-15.html").read_text()
    assert '<span id="overdue-USD">USD 31,342.50</span>' in report  # tests/report: the rest
