"""HubSpot write-back through the outbox (issue 7): each run queues one deal_amounts message per
deal whose amounts invoiced, paid and overdue changed, and delivery sets them as deal
properties with a batch update, against a fake HubSpot speaking real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal as D  # noqa: N817 - short, for tables of amounts
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from billflow import outbox
from billflow.config import Settings
from billflow.warehouse import Warehouse
from tests.helpers import ScenarioCase, sample_scenario

TOKEN = "pat-na1-0b1d-secret-token"
PATH = "/crm/v3/objects/deals/batch/update"
PROPERTIES = (
    "billflow_invoiced_amount",
    "billflow_paid_amount",
    "billflow_overdue_amount",
    "billflow_amounts_as_of",
)
SAMPLE_DEALS = [str(deal["id"]) for deal in sample_scenario()["deals"]]


class FakeHubSpot:
    """`POST /crm/v3/objects/deals/batch/update` as HubSpot answers it: 401 without the right
    bearer token, 400 for a property the portal lacks or a deal twice in one batch, 207 with
    `errors` for deals it does not have, else 200; it keeps each deal's properties. `fail`
    holds (status, body) answers to give first, one per request."""

    def __init__(self, deals: Iterable[str] = SAMPLE_DEALS) -> None:
        self.deals: dict[str, dict[str, str]] = {deal_id: {} for deal_id in deals}
        self.properties = set(PROPERTIES)
        self.requests: list[tuple[str, str, str, dict[str, Any]]] = []
        self.updates: list[tuple[str, dict[str, str]]] = []  # applied: (deal id, properties)
        self.fail: list[tuple[int, dict[str, Any]]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                auth = self.headers.get("Authorization", "")
                fake.requests.append(("POST", self.path, auth, body))
                status, answer = fake.answer(self.path, auth, body)
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                if status >= 500 or status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, auth: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.fail:
            return self.fail.pop(0)
        if auth != f"Bearer {TOKEN}":
            token = auth.removeprefix("Bearer ")
            return 401, _error("INVALID_AUTHENTICATION", f"Authentication failed for {token}")
        if path != PATH:
            return 404, _error("OBJECT_NOT_FOUND", f"no route {path}")
        inputs = body["inputs"]
        ids = [item["id"] for item in inputs]
        if len(ids) > 100 or len(set(ids)) != len(ids):
            return 400, _error("VALIDATION_ERROR", "Duplicate IDs found in batch input")
        unknown = sorted({n for item in inputs for n in item["properties"]} - self.properties)
        if unknown:
            return 400, _error("VALIDATION_ERROR", f'Property "{unknown[0]}" does not exist')
        results, errors = [], []
        for item in inputs:
            if item["id"] not in self.deals:
                errors.append({
                    "status": "error", "category": "OBJECT_NOT_FOUND",
                    "message": "Could not get some DEAL objects, they may be deleted or not "
                               "exist. Check that ids are valid.",
                    "context": {"ids": [item["id"]]},
                })  # fmt: skip
                continue
            self.deals[item["id"]].update(item["properties"])
            self.updates.append((item["id"], item["properties"]))
            results.append({"id": item["id"], "properties": item["properties"]})
        answer = {"status": "COMPLETE", "results": results}
        if errors:
            return 207, {**answer, "numErrors": len(errors), "errors": errors}
        return 200, answer

    def sent(self) -> list[dict[str, dict[str, str]]]:
        """Each request's inputs: {deal id: properties}."""
        return [
            {item["id"]: item["properties"] for item in body["inputs"]}
            for _, _, _, body in self.requests
        ]


def _error(category: str, message: str) -> dict[str, Any]:
    return {"status": "error", "message": message, "correlationId": "0c1d", "category": category}


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    fake = FakeHubSpot()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def live(settings: Settings, fake: FakeHubSpot, token: str = TOKEN, **changes: Any) -> Settings:
    """The live source with a HubSpot token: write-back on (hubspot_writeback auto)."""
    return settings.model_copy(
        update={
            "source": "live",
            "hubspot_token": SecretStr(token),
            "hubspot_base_url": fake.url,
            "http_attempts": 3,
            **changes,
        }
    )


def deliver(settings: Settings, as_of: date) -> dict[str, int]:
    wh = Warehouse(settings)
    try:
        return outbox.deliver(wh, as_of)
    finally:
        wh.close()


def props(invoiced: str, paid: str, overdue: str, as_of: str) -> dict[str, str]:
    return dict(zip(PROPERTIES, (invoiced, paid, overdue, as_of), strict=True))


def writebacks(case: ScenarioCase) -> list[tuple[Any, ...]]:
    return case.rows(
        "select outbox.message_key, outbox.recipient_address, outbox.delivered_on, "
        "outbox.attempts from {marts}.outbox as outbox where kind = 'deal_amounts' "
        "order by outbox.message_key"
    )


FEB_2 = date(2026, 2, 2)
MARCH_2 = date(2026, 3, 2)
MARCH_18 = date(2026, 3, 18)
MARCH_20 = date(2026, 3, 20)

# 2 February, the first run: the four contracts of the day, with what the marts say
FEB = {
    "18401": props("4410.00", "0.00", "0.00", "2026-02-02"),
    "18402": props("0.00", "0.00", "0.00", "2026-02-02"),
    "18403": props("1145.38", "0.00", "0.00", "2026-02-02"),  # EUR
    "18408": props("0.00", "0.00", "0.00", "2026-02-02"),
}
# 2 March: the four changed, and nine deals became contracts
FIRST = {
    "18401": props("10359.10", "4410.00", "0.00", "2026-03-02"),  # INV-1 paid 20 Feb
    "18402": props("15000.00", "0.00", "0.00", "2026-03-02"),
    "18403": props("2296.71", "0.00", "0.00", "2026-03-02"),  # EUR
    "18405": props("0.00", "0.00", "0.00", "2026-03-02"),
    "18408": props("11500.00", "0.00", "0.00", "2026-03-02"),
    **{
        deal_id: props("0.00", "0.00", "0.00", "2026-03-02")
        for deal_id in ("18411", "18412", "18413", "18421", "18422", "18423", "18424", "18425")
    },
}
# 18 March: six deals changed (invoices issued, 11,500.00 paid, two invoices overdue)
CHANGED = {
    "18402": props("15000.00", "11500.00", "3500.00", "2026-03-18"),
    "18403": props("2296.71", "0.00", "1145.38", "2026-03-18"),
    "18408": props("29900.00", "0.00", "0.00", "2026-03-18"),
    "18411": props("5760.00", "0.00", "0.00", "2026-03-18"),
    "18412": props("7020.00", "0.00", "0.00", "2026-03-18"),
    "18413": props("2580.65", "0.00", "0.00", "2026-03-18"),
}


def test_each_deal_gets_its_amounts_once_and_again_when_they_change(
    any_settings: Settings, tmp_path: Path, hubspot: FakeHubSpot
) -> None:
    settings = live(any_settings, hubspot)
    case = ScenarioCase(settings, sample_scenario(), tmp_path / "case")
    case.run(FEB_2)
    assert deliver(settings, FEB_2) == {"delivered": 4, "undelivered": 0}
    assert hubspot.sent() == [FEB]  # one batch request, to the cent
    assert {path for _, path, _, _ in hubspot.requests} == {PATH}
    assert {auth for _, _, auth, _ in hubspot.requests} == {f"Bearer {TOKEN}"}
    assert writebacks(case) == [
        (f"deal_amounts:{deal_id}:2026-02-02", deal_id, FEB_2, 1) for deal_id in sorted(FEB)
    ]
    case.run(FEB_2)  # a rerun of the day queues nothing and sends nothing
    assert deliver(settings, FEB_2) == {"delivered": 0, "undelivered": 0}
    assert len(hubspot.requests) == 1
    assert case.rows("select count(*) from {marts}.deal_writebacks") == [(4,)]

    case.run(MARCH_2)  # 13 deals to HubSpot; the kick-off and the sales note to files
    assert deliver(settings, MARCH_2) == {"delivered": 13 + 2, "undelivered": 0}
    assert hubspot.sent()[1] == FIRST
    assert sorted(p.name for p in settings.outbox_folder.iterdir()) == [
        "kickoff:C-18401.json",
        "notify_sales:C-18401.json",
    ]

    case.run(MARCH_18)  # only the deals whose amounts changed (and 5 overdue notices)
    assert deliver(settings, MARCH_18) == {"delivered": 6 + 5, "undelivered": 0}
    assert hubspot.sent()[2] == CHANGED
    assert hubspot.deals["18401"] == FIRST["18401"]
    assert hubspot.deals["18403"] == CHANGED["18403"]
    case.run(MARCH_18)
    assert deliver(settings, MARCH_18) == {"delivered": 0, "undelivered": 0}
    assert len(hubspot.requests) == 3

    # Initech pays its overdue January invoice: its paid and overdue amounts are sent again
    # (with Stark's, whose next invoice of 1,440.00 the run issues); no other deal's
    case.pay("C-18403:time:2026-01", "1145.38", "2026-03-19T15:00:00Z")
    case.run(MARCH_20)
    assert deliver(settings, MARCH_20) == {"delivered": 2 + 2, "undelivered": 0}  # + kick-off
    assert hubspot.sent()[3] == {
        "18403": props("2296.71", "1145.38", "0.00", "2026-03-20"),
        "18411": props("7200.00", "0.00", "0.00", "2026-03-20"),
    }
    assert case.rows(
        "select deal_id, currency, amount_invoiced, amount_paid, amount_overdue, amounts_as_of "
        "from {marts}.deal_writebacks where deal_id = '18403' order by amounts_as_of"
    ) == [
        ("18403", "EUR", D("1145.380"), D("0.000"), D("0.000"), FEB_2),
        ("18403", "EUR", D("2296.710"), D("0.000"), D("0.000"), MARCH_2),
        ("18403", "EUR", D("2296.710"), D("0.000"), D("1145.380"), MARCH_18),
        ("18403", "EUR", D("2296.710"), D("1145.380"), D("0.000"), MARCH_20),
    ]
    assert len(hubspot.updates) == 4 + 13 + 6 + 2  # each change applied once


def test_a_server_error_then_success_delivers_exactly_once(
    duckdb_settings: Settings, tmp_path: Path, hubspot: FakeHubSpot
) -> None:
    settings = live(duckdb_settings, hubspot)
    case = ScenarioCase(settings, sample_scenario(), tmp_path / "case")
    case.run(FEB_2)
    hubspot.fail = [(500, _error("INTERNAL_ERROR", "internal error"))]
    assert deliver(settings, FEB_2) == {"delivered": 4, "undelivered": 0}
    # the client retried the same request; HubSpot applied it once
    assert len(hubspot.requests) == 2
    assert hubspot.requests[0][3] == hubspot.requests[1][3]
    assert hubspot.sent()[1] == FEB
    assert hubspot.updates == list(FEB.items())
    assert {(on, n) for _, _, on, n in writebacks(case)} == {(FEB_2, 1)}
    assert deliver(settings, FEB_2) == {"delivered": 0, "undelivered": 0}
    assert len(hubspot.requests) == 2


def test_a_fault_that_persists_leaves_the_messages_for_the_retry(
    duckdb_settings: Settings, tmp_path: Path, hubspot: FakeHubSpot
) -> None:
    settings = live(duckdb_settings, hubspot)
    case = ScenarioCase(settings, sample_scenario(), tmp_path / "case")
    case.run(FEB_2)
    hubspot.fail = [(503, _error("UNAVAILABLE", "unavailable"))] * 3  # http_attempts: 3
    with pytest.raises(outbox.TransientOutboxError, match="4 of 4 outbox messages") as failed:
        deliver(settings, FEB_2)
    assert "POST /crm/v3/objects/deals/batch/update failed 3 times (HTTP 503)" in str(failed.value)
    assert {(on, n) for _, _, on, n in writebacks(case)} == {(None, 1)}
    assert deliver(settings, FEB_2) == {"delivered": 4, "undelivered": 0}  # the task's retry
    assert hubspot.sent()[-1] == FEB
    assert {(on, n) for _, _, on, n in writebacks(case)} == {(FEB_2, 2)}


def test_a_refused_token_leaves_the_messages_pending_and_never_shows(
    duckdb_settings: Settings,
    tmp_path: Path,
    hubspot: FakeHubSpot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    expired = "pat-na1-expired-token-4711"
    settings = live(duckdb_settings, hubspot, token=expired)
    case = ScenarioCase(settings, sample_scenario(), tmp_path / "case")
    case.run(FEB_2)
    case.run(MARCH_2)  # with the kick-off and the sales note, which go to files
    caplog.set_level(logging.DEBUG)
    with pytest.raises(outbox.OutboxError) as refused:
        deliver(settings, MARCH_2)
    message = str(refused.value)
    assert not isinstance(refused.value, outbox.TransientOutboxError)
    assert "17 of 19 outbox messages not delivered" in message
    assert "POST /crm/v3/objects/deals/batch/update answered HTTP 401" in message
    assert "the token is missing, wrong or expired" in message
    assert "crm.objects.deals.write" in message
    assert "Authentication failed for ***" in message  # HubSpot echoed it: masked
    assert expired not in message and expired not in caplog.text
    assert len(hubspot.requests) == 1  # a refusal is not retried; one request for 13 deals
    assert hubspot.updates == []
    assert {(on, n) for _, _, on, n in writebacks(case)} == {(None, 1)}
    assert len(list(settings.outbox_folder.iterdir())) == 2
    # nothing stored or written holds the token; the kickoff files went out regardless
    for (text,) in case.rows(
        "select cast(message_key as text) || subject || body || coalesce(recipient_address, '') "
        "from {marts}.outbox"
    ):
        assert expired not in text
    for path in settings.outbox_folder.iterdir():
        assert expired not in path.read_text()
    # with a valid token the next run's delivery sends them
    assert deliver(live(duckdb_settings, hubspot), MARCH_2) == {"delivered": 17, "undelivered": 0}
    assert hubspot.sent()[-1] == FIRST  # the newest amounts of each deal
    assert {(on, n) for _, _, on, n in writebacks(case)} == {(MARCH_2, 2)}


def test_a_deal_hubspot_lacks_stays_pending_without_holding_back_the_others(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    fake = FakeHubSpot(deals=[d for d in SAMPLE_DEALS if d != "18405"])  # deleted in HubSpot
    try:
        settings = live(duckdb_settings, fake)
        case = ScenarioCase(settings, sample_scenario(), tmp_path / "case")
        case.run(FEB_2)
        assert deliver(settings, FEB_2) == {"delivered": 4, "undelivered": 0}
        case.run(MARCH_2)
        with pytest.raises(outbox.OutboxError) as refused:
            deliver(settings, MARCH_2)
        assert "1 of 15 outbox messages not delivered" in str(refused.value)
        assert (
            "HubSpot refused the write-back deal_amounts:18405:2026-03-02 to deal 18405: "
            "OBJECT_NOT_FOUND Could not get some DEAL objects"
        ) in str(refused.value)
        delivered = {key: on for key, _, on, _ in writebacks(case) if "2026-03-02" in key}
        assert delivered.pop("deal_amounts:18405:2026-03-02") is None
        assert set(delivered.values()) == {MARCH_2}
        assert len(fake.updates) == 4 + 12
    finally:
        fake.server.shutdown()
        fake.server.server_close()


def test_your_property_names_and_a_missing_property(
    duckdb_settings: Settings, tmp_path: Path, hubspot: FakeHubSpot
) -> None:
    settings = live(duckdb_settings, hubspot, hubspot_paid_property="paid_to_date")
    case = ScenarioCase(settings, sample_scenario(), tmp_path / "case")
    case.run(FEB_2)
    with pytest.raises(outbox.OutboxError, match=r'Property \\"paid_to_date\\" does not exist'):
        deliver(settings, FEB_2)
    hubspot.properties.add("paid_to_date")  # the HubSpot admin creates it
    assert deliver(settings, FEB_2) == {"delivered": 4, "undelivered": 0}
    assert hubspot.deals["18401"] == {
        "billflow_invoiced_amount": "4410.00",
        "paid_to_date": "0.00",
        "billflow_overdue_amount": "0.00",
        "billflow_amounts_as_of": "2026-02-02",
    }


def test_a_message_not_sent_is_superseded_by_the_deals_newer_one(
    duckdb_settings: Settings, tmp_path: Path, hubspot: FakeHubSpot
) -> None:
    settings = live(duckdb_settings, hubspot)
    case = ScenarioCase(settings, sample_scenario(), tmp_path / "case")
    case.run(FEB_2)
    hubspot.fail = [(403, _error("MISSING_SCOPES", "missing crm.objects.deals.write"))]
    with pytest.raises(outbox.OutboxError, match="HTTP 403"):
        deliver(settings, FEB_2)
    case.run(MARCH_2)
    # one request, one input per deal with its newest amounts: HubSpot keeps only the latest
    assert deliver(settings, MARCH_2) == {"delivered": 4 + 13 + 2, "undelivered": 0}
    assert len(hubspot.requests) == 2
    assert hubspot.sent()[-1] == FIRST
    assert {on for _, _, on, _ in writebacks(case)} == {MARCH_2}


def test_without_write_back_no_deal_amounts_are_queued(
    duckdb_settings: Settings, tmp_path: Path, hubspot: FakeHubSpot
) -> None:
    for n, settings in enumerate(
        [
            duckdb_settings,  # the files source: off unless hubspot_writeback = on (the demo)
            duckdb_settings.model_copy(update={"source": "live"}),  # live, but no token
            live(duckdb_settings, hubspot, hubspot_writeback="off"),
        ]
    ):
        case = ScenarioCase(settings, sample_scenario(), tmp_path / f"case{n}")
        case.run(FEB_2)
        assert deliver(settings, FEB_2) == {"delivered": 0, "undelivered": 0}
        assert writebacks(case) == []
        assert case.rows("select count(*) from {marts}.deal_writebacks") == [(0,)]
    assert hubspot.requests == []


def test_with_the_files_source_they_land_as_files(any_settings: Settings, tmp_path: Path) -> None:
    settings = any_settings.model_copy(update={"hubspot_writeback": "on"})
    case = ScenarioCase(settings, sample_scenario(), tmp_path / "case")
    case.run(FEB_2)
    assert deliver(settings, FEB_2) == {"delivered": 4, "undelivered": 0}
    folder = settings.outbox_folder
    assert sorted(path.name for path in folder.iterdir()) == [
        f"deal_amounts:{deal_id}:2026-02-02.json" for deal_id in sorted(FEB)
    ]
    message = json.loads((folder / "deal_amounts:18403:2026-02-02.json").read_text())
    assert message["message_key"] == "deal_amounts:18403:2026-02-02"
    assert message["deal"] == {
        "id": "18403", "currency": "EUR", "invoiced": "1145.38", "paid": "0.00",
        "overdue": "0.00", "as_of": "2026-02-02",
    }  # fmt: skip
    assert message["recipient"] == {"role": "crm", "name": "HubSpot", "address": "18403"}
    assert message["subject"] == "Deal amounts: C-18403, Initech GmbH"
    assert "Invoiced     EUR 1,145.38" in message["body"]
    case.run(MARCH_2)
    assert deliver(settings, MARCH_2) == {"delivered": 13 + 2, "undelivered": 0}
    case.run(MARCH_18)
    assert deliver(settings, MARCH_18) == {"delivered": 6 + 5, "undelivered": 0}
    for deal_id, expected in CHANGED.items():
        facts = json.loads((folder / f"deal_amounts:{deal_id}:2026-03-18.json").read_text())
        sent = (facts["deal"]["invoiced"], facts["deal"]["paid"], facts["deal"]["overdue"])
        assert sent == tuple(expected[name] for name in PROPERTIES[:3])
    assert len([n for n in folder.iterdir() if n.name.startswith("deal_amounts:")]) == 4 + 13 + 6


def test_amounts_are_exact_strings_at_the_currency_minor_unit() -> None:
    assert outbox.amount_text(D("4410.000"), "USD") == "4410.00"
    assert outbox.amount_text(D("150000.000"), "JPY") == "150000"
    assert outbox.amount_text(D("12.345"), "BHD") == "12.345"
    assert outbox.amount_text(D("-0.000"), "EUR") == "0.00"
    assert outbox.amount_text(D("99999999999999.990"), "USD") == "99999999999999.99"
