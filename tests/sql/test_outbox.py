"""The outbox and payment reminders (issue 6): messages created once from the facts, a reminder
whose day fell between two runs sent by the next run, and delivery under a retry."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D  # noqa: N817 - short, for tables of amounts
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from billflow import outbox
from billflow.config import Settings
from billflow.warehouse import Warehouse
from tests.helpers import ScenarioCase, sample_scenario

NORTHWIND_PAID = date(2026, 2, 20)  # the sample pays INV-2026-000001 (C-18401) in full
INITECH = "INV-2026-000002"  # C-18403's January, due 4 March, paid 28 March
GLOBEX = "INV-2026-000004"  # C-18402's milestone, issued 2 March, due 17 March


def _outbox(case: ScenarioCase) -> list[tuple[Any, ...]]:
    return case.rows(
        "select message_key, kind, recipient_role, recipient_address, contract_code, "
        "invoice_number, event_date, created_on from {marts}.outbox order by message_key"
    )


INITECH_MAIL = "rechnungen@initech.example"  # the company's billing_email (data/sample.yml)


def test_messages_are_created_once_from_the_facts(any_settings: Settings, tmp_path: Path) -> None:
    case = ScenarioCase(any_settings, sample_scenario(), tmp_path / "case")
    case.run(date(2026, 2, 2))
    assert _outbox(case) == []

    case.run(date(2026, 3, 2))  # Northwind's first invoice was paid on 20 February: ACTIVE
    activation = [
        ("kickoff:C-18401", "kickoff", "project_management", None, "C-18401",
         "INV-2026-000001", NORTHWIND_PAID, date(2026, 3, 2)),
        ("notify_sales:C-18401", "notify_sales", "sales_rep", "ann.lee@example.com", "C-18401",
         "INV-2026-000001", NORTHWIND_PAID, date(2026, 3, 2)),
    ]  # fmt: skip
    assert _outbox(case) == activation
    everything = "select * from {marts}.outbox order by message_key"
    first = case.rows(everything)
    case.run(date(2026, 3, 2))  # a rerun creates none twice and changes none
    assert case.rows(everything) == first

    # Globex's invoice, due 17 March, is overdue; Initech's, due 4 March, is 14 days past due:
    # its day-7 reminder fell before any run saw it overdue, so only day 14 is sent
    case.run(date(2026, 3, 18))
    new = [row for row in _outbox(case) if row[0] not in {r[0] for r in activation}]
    on = date(2026, 3, 18)
    assert new == [
        (f"overdue_accounting:{INITECH}", "overdue_accounting", "accounting",
         "billing@example.com", "C-18403", INITECH, date(2026, 3, 5), on),
        (f"overdue_accounting:{GLOBEX}", "overdue_accounting", "accounting",
         "billing@example.com", "C-18402", GLOBEX, on, on),
        (f"overdue_client:{INITECH}", "overdue_client", "client", INITECH_MAIL, "C-18403",
         INITECH, date(2026, 3, 5), on),
        (f"overdue_client:{GLOBEX}", "overdue_client", "client", "invoices@globex.example",
         "C-18402", GLOBEX, on, on),
        (f"reminder:{INITECH}:14", "reminder", "client", INITECH_MAIL, "C-18403", INITECH, on,
         on),
    ]  # fmt: skip
    assert case.rows("select invoice_number, reminder_day, sent_on from {marts}.reminders") == [
        (INITECH, 14, on)
    ]
    subject, body = case.rows(
        f"select subject, body from {{marts}}.outbox where message_key = 'overdue_client:{GLOBEX}'"
    )[0]
    assert subject == f"Invoice {GLOBEX} is overdue"
    assert "was due on 17 March 2026" in body
    assert case.rows(everything)[:2] == first  # the earlier messages are kept as they were


def test_a_reminder_whose_day_fell_between_two_runs(any_settings: Settings, tmp_path: Path) -> None:
    case = ScenarioCase(any_settings, sample_scenario(), tmp_path / "case")
    for as_of in (date(2026, 2, 2), date(2026, 3, 2), date(2026, 3, 18)):
        case.run(as_of)
    reminders = (
        "select invoice_number, reminder_day, due_date, reminder_date, sent_on, days_past_due, "
        f"balance_due, message_key from {{marts}}.reminders where invoice_number = '{GLOBEX}' "
        "order by reminder_day"
    )
    case.run(date(2026, 3, 23))  # day 7 (24 March) has not come
    assert case.rows(reminders) == []
    case.run(date(2026, 3, 30))  # the next run after 24 March sends it
    seven = (GLOBEX, 7, date(2026, 3, 17), date(2026, 3, 24), date(2026, 3, 30), 13,
             D("3500.000"), f"reminder:{GLOBEX}:7")  # fmt: skip
    assert case.rows(reminders) == [seven]
    case.run(date(2026, 3, 30))
    assert case.rows(reminders) == [seven]  # once
    (body,) = case.rows(
        f"select body from {{marts}}.outbox where message_key = 'reminder:{GLOBEX}:7'"
    )[0]
    assert "USD 3,500.00 of USD 15,000.00 is still open" in body
    # 15 April jumps past day 14 (31 March) and day 28 (14 April): only day 28 is sent
    case.run(date(2026, 4, 15))
    sent = [(row[0], row[1], row[4]) for row in case.rows(reminders) if row[0] == GLOBEX]
    assert sent == [(GLOBEX, 7, date(2026, 3, 30)), (GLOBEX, 28, date(2026, 4, 15))]
    assert case.rows(
        "select count(*) from {marts}.reminders as r "
        "inner join {marts}.outbox as o on o.message_key = r.message_key"
    ) == case.rows("select count(*) from {marts}.outbox where kind = 'reminder'")


def test_a_paid_invoice_gets_no_more_reminders(duckdb_settings: Settings, tmp_path: Path) -> None:
    case = ScenarioCase(duckdb_settings, sample_scenario(), tmp_path / "case")
    for as_of in (date(2026, 2, 2), date(2026, 3, 2), date(2026, 3, 30)):
        case.run(as_of)
    case.pay("C-18402:milestone:4101", "3500.00", "2026-04-06T15:00:00Z")
    case.run(date(2026, 4, 15))
    assert case.rows(
        f"select reminder_day from {{marts}}.reminders where invoice_number = '{GLOBEX}'"
    ) == [(7,)]


def test_a_run_dated_before_the_newest_message_creates_none(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    case = ScenarioCase(duckdb_settings, sample_scenario(), tmp_path / "case")
    for as_of in (date(2026, 2, 2), date(2026, 3, 2), date(2026, 3, 5)):
        case.run(as_of)  # 5 March: Initech's invoice, due 4 March, is overdue (notices)
    # Initech's January invoice paid on 3 March, a payment that lands late; a run of 4 March
    # (after the latest issue date, so the flow allows it) sees the contract ACTIVE
    case.pay("C-18403:time:2026-01", "1145.38", "2026-03-03T15:00:00Z")
    case.run(date(2026, 3, 4))
    activation = (
        "select message_key, event_date, created_on from {marts}.outbox "
        "where contract_code = 'C-18403' and kind in ('kickoff', 'notify_sales') order by 1"
    )
    assert case.rows("select status from {marts}.contracts where contract_code = 'C-18403'") == [
        ("ACTIVE",)
    ]
    assert case.rows(activation) == []
    case.run(date(2026, 3, 9))  # the next run on or after the newest message creates them
    assert case.rows(activation) == [
        ("kickoff:C-18403", date(2026, 3, 3), date(2026, 3, 9)),
        ("notify_sales:C-18403", date(2026, 3, 3), date(2026, 3, 9)),
    ]


def test_your_templates_replace_the_built_in_ones(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "kickoff.txt.j2").write_text(
        '{% set subject = "Go " ~ message.contract_code %}Start {{ message.project_name }}.\n'
    )
    settings = duckdb_settings.model_copy(update={"templates_dir": folder})
    case = ScenarioCase(settings, sample_scenario(), tmp_path / "case")
    case.run(date(2026, 3, 2))
    assert case.rows("select subject, body from {marts}.outbox where kind = 'kickoff'") == [
        ("Go C-18401", "Start Northwind data platform.\n")
    ]


# -- delivery ------------------------------------------------------------------------------


class Receiver:
    """A webhook on 127.0.0.1: records (Idempotency-Key, payload) per request; answers `fail`'s
    status to a key as many times as given, then 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.fail: dict[str, list[int]] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers["Idempotency-Key"]
                receiver.requests.append((key, data))
                pending = receiver.fail.get(key) or []
                self.send_response(pending.pop(0) if pending else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/outbox"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def keys(self) -> list[str]:
        return [key for key, _ in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _deliver(settings: Settings, as_of: date, **options: Any) -> dict[str, int]:
    wh = Warehouse(settings)
    try:
        return outbox.deliver(wh, as_of, **options)
    finally:
        wh.close()


def _delivery(case: ScenarioCase) -> list[tuple[Any, ...]]:
    return case.rows(
        "select message_key, delivered_on, attempts from {marts}.outbox order by message_key"
    )


def _billed(settings: Settings, tmp_path: Path) -> ScenarioCase:
    case = ScenarioCase(settings, sample_scenario(), tmp_path / "case")
    case.run(date(2026, 2, 2))
    case.run(date(2026, 3, 2))
    case.run(date(2026, 3, 18))  # C-18401's activation, two invoices overdue, one reminder
    return case


# in the order of delivery: created_on, then message_key
KEYS = [
    "kickoff:C-18401",
    "notify_sales:C-18401",
    f"overdue_accounting:{INITECH}",
    f"overdue_accounting:{GLOBEX}",
    f"overdue_client:{INITECH}",
    f"overdue_client:{GLOBEX}",
    f"reminder:{INITECH}:14",
]
SENT = date(2026, 3, 18)


def test_the_outbox_is_written_to_files_once(any_settings: Settings, tmp_path: Path) -> None:
    case = _billed(any_settings, tmp_path)
    assert _deliver(any_settings, SENT) == {"delivered": 7, "undelivered": 0}
    folder = any_settings.outbox_folder
    assert sorted(path.name for path in folder.iterdir()) == sorted(f"{key}.json" for key in KEYS)
    message = json.loads((folder / "notify_sales:C-18401.json").read_text())
    assert message["recipient"] == {
        "role": "sales_rep", "name": "Ann Lee", "address": "ann.lee@example.com"
    }  # fmt: skip
    assert message["subject"] == "Payment received! Northwind Traders, C-18401"
    assert _delivery(case) == sorted((key, SENT, 1) for key in KEYS)
    # a second delivery sends nothing; a rerun of the day creates nothing to send
    assert _deliver(any_settings, SENT) == {"delivered": 0, "undelivered": 0}
    case.run(SENT)
    assert _deliver(any_settings, SENT) == {"delivered": 0, "undelivered": 0}
    assert _delivery(case) == sorted((key, SENT, 1) for key in KEYS)
    assert len(list(folder.iterdir())) == 7


def test_the_outbox_under_a_retry(
    duckdb_settings: Settings, tmp_path: Path, receiver: Receiver
) -> None:
    settings = duckdb_settings.model_copy(update={"outbox_webhook_url": receiver.url})
    case = _billed(settings, tmp_path)
    receiver.fail[KEYS[3]] = [500]
    with pytest.raises(outbox.TransientOutboxError, match="1 of 7 outbox messages"):
        _deliver(settings, SENT)
    assert receiver.keys() == KEYS  # the failure does not hold the others back
    assert _delivery(case) == sorted((key, None if key == KEYS[3] else SENT, 1) for key in KEYS)
    # the retry sends only what was not delivered
    assert _deliver(settings, SENT) == {"delivered": 1, "undelivered": 0}
    assert receiver.keys() == [*KEYS, KEYS[3]]
    assert receiver.requests[3][1] == receiver.requests[7][1]  # the same message, the same key
    assert dict((key, (on, n)) for key, on, n in _delivery(case))[KEYS[3]] == (SENT, 2)
    assert _deliver(settings, SENT) == {"delivered": 0, "undelivered": 0}
    assert len(receiver.requests) == 8


def test_a_crash_after_a_send_sends_it_again_with_its_key(
    duckdb_settings: Settings, tmp_path: Path, receiver: Receiver
) -> None:
    settings = duckdb_settings.model_copy(update={"outbox_webhook_url": receiver.url})
    case = _billed(settings, tmp_path)

    def crash(key: str) -> None:
        raise RuntimeError(f"the process died after sending {key}")

    with pytest.raises(RuntimeError):
        _deliver(settings, SENT, sent=crash)
    assert receiver.keys() == KEYS[:1]
    assert _delivery(case)[0] == (KEYS[0], None, 1)
    assert _deliver(settings, SENT) == {"delivered": 7, "undelivered": 0}
    # at least once: the receiver sees the first message twice, with the same key
    assert receiver.keys() == [KEYS[0], *KEYS]
    assert _delivery(case) == sorted((key, SENT, 2 if key == KEYS[0] else 1) for key in KEYS)


def test_a_refused_message_is_not_transient(
    duckdb_settings: Settings, tmp_path: Path, receiver: Receiver
) -> None:
    settings = duckdb_settings.model_copy(update={"outbox_webhook_url": receiver.url})
    _billed(settings, tmp_path)
    receiver.fail[KEYS[0]] = [400]
    with pytest.raises(outbox.OutboxError) as failed:
        _deliver(settings, SENT)
    assert not isinstance(failed.value, outbox.TransientOutboxError)
    assert "answered 400 for kickoff:C-18401" in str(failed.value)
