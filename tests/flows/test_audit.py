"""The audit trail after the demo, on both warehouses: audit.events, the events the commands
append, an identical rerun, audit.runs' new columns and the monthly audit
(marts.audit_monthly), computed by hand. tests/flows/test_audit_verify.py tampers with it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal as D  # noqa: N817 - short, for tables of figures
from pathlib import Path
from typing import Any

import pytest

from billflow import audit, pipeline
from billflow.commands import credit_invoice
from billflow.config import Settings
from billflow.money import half_up
from billflow.paths import SAMPLE_DIR
from billflow.pipeline import Run
from billflow.warehouse import Warehouse
from tests.conftest import warehouse_env
from tests.helpers import (
    DEMO_DATES,
    STEPS,
    ScenarioCase,
    land,
    rows,
    run_demo_commands,
    run_nightly,
    sample_scenario,
)

EVENT_COLUMNS = "seq, event_type, subject, as_of, run_id, payload, prev_hash, hash"


def bill(settings: Settings, as_of: date) -> None:
    """One nightly run on the sample without Prefect: land, every step, publish."""
    wh = Warehouse(settings)
    try:
        wh.init()
        run_id = f"run-{as_of.isoformat()}"
        land(wh, SAMPLE_DIR, run_id)
        run = Run(wh, as_of, run_id)
        for step in STEPS:
            step(run)
        pipeline.publish(run, pipeline.conservation(run))
    finally:
        wh.close()


def verify(settings: Settings) -> tuple[int, list[str]]:
    wh = Warehouse(settings)
    try:
        return audit.verify(wh)
    finally:
        wh.close()


def events(settings: Settings) -> list[tuple[Any, ...]]:
    return rows(settings, f"select {EVENT_COLUMNS} from {{audit}}.events order by seq")


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefect_server: str
) -> Iterator[Settings]:
    """The demo's runs (without Prefect), its three commands, and the refresh run (the flow)."""
    with warehouse_env(request.param, tmp_path_factory.mktemp(request.param)) as settings:
        for as_of in DEMO_DATES:
            bill(settings, as_of)
        run_demo_commands(settings)
        run_nightly(date(2026, 4, 15))
        yield settings


def test_the_chain_after_the_demo_is_intact(demo: Settings) -> None:
    chained = events(demo)
    assert verify(demo) == (len(chained), [])
    assert [row[0] for row in chained] == list(range(1, len(chained) + 1))
    by_type = dict(rows(demo, "select event_type, count(*) from {audit}.events group by 1"))
    # one event per published fact and per review decision: on the demo of 15 April, 8
    # contracts' 22 statuses (DRAFTING 8, SIGNED 7, ACTIVE 4, COMPLETED, LIQUIDATED and
    # CANCELLED 1 each), 20 invoices, 1 credit note and 8 payment applications
    published = rows(
        demo,
        "select 'contract.status', count(*) from {marts}.contract_history union all "
        "select kind || '.issued', count(*) from {marts}.invoices group by kind union all "
        "select 'payment.applied', count(*) from {marts}.payment_applications union all "
        "select command, count(*) from {audit}.commands where command like 'review.%' "
        "group by command",
    )
    assert by_type == dict(published)
    assert by_type["invoice.issued"] >= 20 and by_type["credit_note.issued"] == 1
    first = chained[0]
    assert (first[1], first[2], first[6]) == ("contract.status", "C-18401:DRAFTING", "0" * 64)
    for seq, event_type, subject, _, _, payload, prev_hash, digest in chained:
        text = f"{prev_hash}\n{seq}\n{event_type}\n{subject}\n{payload}"
        assert hashlib.sha256(text.encode()).hexdigest() == digest


def test_an_invoice_event_carries_its_facts(demo: Settings) -> None:
    ((as_of, payload),) = rows(
        demo,
        "select as_of, payload from {audit}.events "
        "where event_type = 'invoice.issued' and subject = 'INV-2026-000005'",
    )
    facts = json.loads(payload)
    assert as_of == date(2026, 3, 2)
    assert (facts["draft_key"], facts["issue_date"], facts["trigger_date"]) == (
        "C-18401:time:2026-02",
        "2026-03-02",
        "2026-02-28",
    )
    assert (facts["currency"], facts["subtotal"], facts["total"]) == ("USD", "5949.10", "5949.10")
    ((applied,),) = rows(
        demo,
        "select payload from {audit}.events where subject = 'evt_1QbF0002:INV-2026-000005'",
    )
    assert json.loads(applied)["applied_amount"] == "3000.00"


def test_commands_append_their_events_with_their_id(demo: Settings) -> None:
    commands = dict(rows(demo, "select command, command_id from {audit}.commands"))
    found = rows(
        demo,
        "select event_type, subject, as_of, run_id, payload from {audit}.events "
        "where run_id in (select command_id from {audit}.commands) order by seq",
    )
    assert [(t, s, a, r) for t, s, a, r, _ in found] == [
        ("contract.status", "C-18405:CANCELLED", date(2026, 4, 15), commands["contract.cancel"]),
        ("credit_note.issued", "CN-2026-000001", date(2026, 4, 15), commands["invoice.credit"]),
        (
            "contract.status",
            "C-18412:LIQUIDATED",
            date(2026, 4, 15),
            commands["contract.liquidate"],
        ),
    ]
    note = json.loads(found[1][4])
    assert (note["credits_invoice_number"], note["total"], note["memo"]) == (
        "INV-2026-000005",
        "-2866.60",
        "Chen's February hours were billed at the wrong rate",
    )
    cancelled = json.loads(found[0][4])
    assert (cancelled["from_status"], cancelled["actor"], cancelled["caused_by"]) == (
        "DRAFTING",
        "Ann Lee",
        "command",
    )


def test_a_rerun_appends_nothing_and_sees_the_same_inputs(demo: Settings) -> None:
    before = events(demo)
    run_nightly(date(2026, 4, 15))
    assert events(demo) == before
    last_two = rows(
        demo,
        "select inputs_fingerprint, counts, totals from {audit}.runs "
        "where status = 'COMPLETED' order by started_at desc limit 2",
    )
    assert last_two[0][0] == last_two[1][0]
    assert len(last_two[0][0]) == 64
    counts, totals = (_json(value) for value in last_two[0][1:])
    kinds = dict(rows(demo, "select kind, count(*) from {marts}.invoices group by kind"))
    quarantined = rows(demo, "select count(*) from {quarantine}.records")[0][0]
    assert (counts["issued"], counts["records_new"], counts["quarantined"]) == (0, 0, quarantined)
    assert (counts["invoices"], counts["credit_notes"]) == (kinds["invoice"], kinds["credit_note"])
    assert totals["issued"] == {}
    assert totals["ledger"] == _sums(demo, "sum(total)", "invoices")
    assert totals["open_receivables"] == _sums(demo, "sum(balance_due)", "ar_aging")
    # the demo of 15 April (README): EUR 2,296.71 and USD 114,347.58 net of credits
    assert (counts["credit_notes"], totals["ledger"]["EUR"]) == (1, "2296.71")


def test_the_monthly_audit_of_the_demo_recounted(demo: Settings) -> None:
    """marts.audit_monthly against the invoices it summarises, recounted in Python."""
    invoices = rows(
        demo,
        "select issue_date, trigger_date, status from {marts}.invoices where kind = 'invoice'",
    )
    months: dict[str, list[tuple[int, str]]] = {}
    for issued, trigger, status in invoices:
        months.setdefault(f"{issued:%Y-%m}", []).append(((issued - trigger).days, status))
    expected = {
        month: (
            len(found),
            sum(days > 2 for days, _ in found),
            _share(sum(days > 2 for days, _ in found), len(found)),
            (D(sum(days for days, _ in found)) / len(found)).quantize(D("0.01"), ROUND_HALF_UP),
            max(days for days, _ in found),
            sum(status == "OVERDUE" for _, status in found),
        )
        for month, found in months.items()
    }
    found = rows(
        demo,
        "select month, invoices_issued, issued_late, late_share, avg_trigger_days, "
        "max_trigger_days, overdue_invoices from {marts}.audit_monthly where invoices_issued > 0",
    )
    assert {month: tuple(figures) for month, *figures in found} == expected
    # February, by hand: INV-1 and 2 (31 Jan -> 2 Feb) 2 days, INV-3 (10 -> 16 Feb) 6,
    # INV-4 (20 -> 23 Feb) 3: 2 of 4 late, average 13 / 4 = 3.25, INV-3 overdue on 15 April
    assert expected["2026-02"] == (4, 2, D("0.5"), D("3.25"), 6, 1)
    credit_notes = rows(demo, "select sum(credit_notes) from {marts}.audit_monthly")[0][0]
    assert credit_notes == 1


def _share(part: int, whole: int) -> D:
    return (D(part) / whole).quantize(D("0.000001"), ROUND_HALF_UP)


def test_the_monthly_audit_by_hand(any_settings: Settings, tmp_path: Path) -> None:
    """Northwind alone (its time and its deliverable), nothing paid, billed on chosen days."""
    scenario = sample_scenario()
    scenario["deals"] = [deal for deal in scenario["deals"] if deal["id"] == "18401"]
    scenario["payments"] = []
    case = ScenarioCase(any_settings, scenario, tmp_path / "case")
    for as_of in (date(2026, 2, 1), date(2026, 3, 4), date(2026, 3, 25), date(2026, 4, 2)):
        case.run(as_of)
    credit_invoice(
        any_settings, "INV-2026-000002", reason="wrong rate", actor="Ann Lee",
        acted_on=date(2026, 4, 2), lines=[1],
    )  # fmt: skip
    case.run(date(2026, 4, 10))
    issued = case.rows(
        "select invoice_number, issue_date, trigger_date, due_date from {marts}.invoices "
        "where kind = 'invoice' order by 1"
    )
    assert issued == [
        ("INV-2026-000001", date(2026, 2, 1), date(2026, 1, 31), date(2026, 3, 3)),
        ("INV-2026-000002", date(2026, 3, 4), date(2026, 2, 28), date(2026, 4, 3)),
        ("INV-2026-000003", date(2026, 3, 25), date(2026, 3, 25), date(2026, 4, 24)),
        ("INV-2026-000004", date(2026, 4, 2), date(2026, 3, 31), date(2026, 5, 2)),
    ]
    # February: January's time, 1 day after the period: on time; overdue since 3 March.
    # March: February's time 4 days after (late) and the deliverable the day it was accepted:
    #   1 of 2 late, average (4 + 0) / 2 = 2.00, longest 4; INV-2 overdue since 3 April (a
    #   credit note took one line, not the balance).
    # April: March's time exactly 2 days after (48 hours: not late); the credit note of 2 April
    #   is the month's manual correction; nothing overdue yet.
    on = date(2026, 4, 10)
    assert case.rows(
        "select month, invoices_issued, issued_late, late_share, avg_trigger_days, "
        "max_trigger_days, credit_notes, drafts_released, drafts_discarded, "
        "manual_corrections, overdue_invoices, overdue_share, as_of "
        "from {marts}.audit_monthly order by month"
    ) == [
        ("2026-02", 1, 0, D("0"), D("1.00"), 1, 0, 0, 0, 0, 1, D("1"), on),
        ("2026-03", 2, 1, D("0.5"), D("2.00"), 4, 0, 0, 0, 0, 1, D("0.5"), on),
        ("2026-04", 1, 0, D("0"), D("2.00"), 2, 1, 0, 0, 1, 0, D("0"), on),
    ]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _sums(settings: Settings, amount: str, table: str) -> dict[str, str]:
    """Per currency, as audit.runs writes amounts: strings at the minor unit."""
    found = rows(settings, f"select currency, {amount} from {{marts}}.{table} group by 1")
    return {currency: str(half_up(value, currency)) for currency, value in found}
