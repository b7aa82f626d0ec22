"""The Stripe webhook receiver over real HTTP (uvicorn on 127.0.0.1): a verified event is in the
landing folder before the 2xx; a bad signature or an old timestamp gets a 400 and stores
nothing; repeats and out-of-order deliveries end as one record each in the warehouse."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal as D  # noqa: N817 - short, for amounts
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from billflow import pipeline
from billflow.cli import main
from billflow.config import Settings
from billflow.paths import SAMPLE_DIR
from billflow.pipeline import Run
from billflow.warehouse import Warehouse
from connectors.stripe_webhook import create_app, sign
from tests.helpers import STEPS, land, rows

SECRET = "whsec_test_secret"
NOW = 1_776_000_000  # the receiver's clock in these tests


@dataclass
class Receiver:
    url: str
    landing: Path

    def post(self, event: dict[str, Any], timestamp: int = NOW, secret: str = SECRET) -> Any:
        body = json.dumps(event, indent=2).encode()
        headers = {"Stripe-Signature": sign(body, secret, timestamp)}
        return httpx.post(self.url, content=body, headers=headers, timeout=10)

    def stored(self) -> dict[str, bytes]:
        folder = self.landing / "stripe" / "events"
        return {path.name: path.read_bytes() for path in sorted(folder.glob("*"))}


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    app = create_app(tmp_path / "landing", SECRET, clock=lambda: NOW)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the receiver did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Receiver(f"http://127.0.0.1:{port}/stripe/webhook", tmp_path / "landing")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def payment(event_id: str, amount: int, invoice: str, created: int) -> dict[str, Any]:
    return {
        "id": event_id, "object": "event", "type": "payment_intent.succeeded",
        "created": created, "livemode": False,
        "data": {"object": {"id": "pi_" + event_id[4:], "object": "payment_intent",
                            "amount": amount, "amount_received": amount, "currency": "usd",
                            "customer": "cus_Acme", "latest_charge": "ch_" + event_id[4:],
                            "status": "succeeded", "metadata": {"invoice_number": invoice}}},
    }  # fmt: skip


def test_a_verified_event_is_stored_before_the_answer(receiver: Receiver) -> None:
    event = payment("evt_web0001", 100000, "INV-2026-000019", NOW)
    answer = receiver.post(event)
    assert (answer.status_code, answer.json()) == (200, {"received": "evt_web0001"})
    assert receiver.stored() == {"evt_web0001.json": json.dumps(event, indent=2).encode()}


@pytest.mark.parametrize(
    ("timestamp", "secret", "error"),
    [
        (NOW, "whsec_someone_else", "no v1 signature matches the endpoint secret"),
        (NOW - 301, SECRET, f"timestamp {NOW - 301} is outside the 300 s tolerance"),
        (NOW + 301, SECRET, f"timestamp {NOW + 301} is outside the 300 s tolerance"),
    ],
)
def test_a_bad_signature_or_timestamp_is_refused_and_nothing_stored(
    receiver: Receiver, timestamp: int, secret: str, error: str
) -> None:
    answer = receiver.post(payment("evt_web0002", 500, "INV-2026-000019", NOW), timestamp, secret)
    assert (answer.status_code, answer.json()) == (400, {"error": error})
    assert not (receiver.landing / "stripe" / "events").exists()


def test_a_missing_signature_header_is_refused(receiver: Receiver) -> None:
    answer = httpx.post(receiver.url, content=b"{}", timeout=10)
    assert answer.status_code == 400
    assert answer.json()["error"] == "Stripe-Signature has no timestamp or no v1 signature"


def test_repeated_and_out_of_order_events_are_each_one_record(
    receiver: Receiver, duckdb_settings: Settings
) -> None:
    # two payments beside the sample's events; Stripe delivers the later one first, then the
    # earlier one twice
    pages = receiver.landing
    shutil.copytree(SAMPLE_DIR, pages)
    early = payment("evt_web0003", 300000, "INV-2099-000001", 1_776_081_600)  # 13 Apr 12:00 UTC
    late = payment("evt_web0004", 233315, "INV-2099-000001", 1_776_168_000)  # 14 Apr 12:00 UTC
    assert [receiver.post(event).status_code for event in (late, early, early)] == [200] * 3
    warehouse = Warehouse(duckdb_settings)
    try:
        warehouse.init()
        land(warehouse, pages, "run1")
        run = Run(warehouse, date(2026, 4, 15), "run1")
        for step in STEPS:
            step(run)
        pipeline.publish(run, pipeline.conservation(run))
    finally:
        warehouse.close()
    assert rows(
        duckdb_settings,
        "select event_id, payment_date, amount, unapplied_reason from {marts}.payments "
        "where event_id like 'evt_web%' order by event_id",
    ) == [
        ("evt_web0003", date(2026, 4, 13), D("3000.000"), "invoice INV-2099-000001 does not exist"),
        ("evt_web0004", date(2026, 4, 14), D("2333.150"), "invoice INV-2099-000001 does not exist"),
    ]


def test_the_command_needs_the_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from billflow.config import load_settings

    monkeypatch.delenv("BILLFLOW_STRIPE_WEBHOOK_SECRET", raising=False)
    load_settings.cache_clear()
    try:
        assert main(["webhooks"]) == 1
    finally:
        load_settings.cache_clear()
    assert "set BILLFLOW_STRIPE_WEBHOOK_SECRET" in capsys.readouterr().err
