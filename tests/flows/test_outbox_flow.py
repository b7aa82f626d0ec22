"""The outbox through the nightly flow (issue 6): the delivery task retries a webhook that
failed once, a dry run delivers nothing, and a second run sends nothing new."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from billflow.config import load_settings
from tests.conftest import warehouse_env
from tests.helpers import rows, run_nightly
from tests.sql.test_outbox import INITECH, Receiver

DATES = [date(2026, 2, 2), date(2026, 3, 2)]


def test_the_delivery_task_retries_and_sends_each_message_once(
    tmp_path: Path, prefect_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = Receiver()
    try:
        _run(tmp_path, receiver, monkeypatch)
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
        load_settings.cache_clear()


def _run(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    with warehouse_env("duckdb", tmp_path) as settings:
        monkeypatch.setenv("BILLFLOW_OUTBOX_WEBHOOK_URL", receiver.url)
        load_settings.cache_clear()
        for as_of in DATES:
            run_nightly(as_of)
        assert receiver.keys() == ["kickoff:C-18401", "notify_sales:C-18401"]

        run_nightly(date(2026, 3, 5), dry_run=True)  # Initech's invoice is overdue: not sent
        assert len(receiver.requests) == 2

        receiver.fail[f"overdue_client:{INITECH}"] = [503]
        run_nightly(date(2026, 3, 5))  # the task fails on the 503, then its retry sends it
        overdue = [f"overdue_accounting:{INITECH}", f"overdue_client:{INITECH}"]
        assert receiver.keys()[2:] == [*overdue, overdue[1]]
        assert rows(
            settings,
            "select message_key, delivered_on, attempts from {marts}.outbox "
            "where created_on = date '2026-03-05' order by 1",
        ) == [(overdue[0], date(2026, 3, 5), 1), (overdue[1], date(2026, 3, 5), 2)]
        assert rows(settings, "select status from {audit}.runs order by started_at desc limit 1")[
            0
        ] == ("COMPLETED",)

        run_nightly(date(2026, 3, 5))  # a second run of the day sends nothing
        assert len(receiver.requests) == 5


def test_deal_amounts_land_as_files_with_the_files_source(
    tmp_path: Path, prefect_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hubspot_writeback = on without the live source: the CRM write-back goes where the other
    messages go, one file per deal and change (docs/connectors.md, HubSpot write-back)."""
    try:
        with warehouse_env("duckdb", tmp_path) as settings:
            monkeypatch.setenv("BILLFLOW_HUBSPOT_WRITEBACK", "on")
            load_settings.cache_clear()
            run_nightly(date(2026, 2, 2))
            folder = settings.outbox_folder
            names = sorted(path.name for path in folder.iterdir())
            assert names == [
                f"deal_amounts:{deal}:2026-02-02.json"
                for deal in ("18401", "18402", "18403", "18408")
            ]
            facts = json.loads((folder / "deal_amounts:18401:2026-02-02.json").read_text())["deal"]
            assert facts == {
                "id": "18401", "currency": "USD", "invoiced": "4410.00", "paid": "0.00",
                "overdue": "0.00", "as_of": "2026-02-02",
            }  # fmt: skip
            run_nightly(date(2026, 2, 2))  # a rerun of the day writes nothing new
            assert sorted(path.name for path in folder.iterdir()) == names
            assert rows(
                settings,
                "select count(*), min(delivered_on), max(attempts) from {marts}.outbox "
                "where kind = 'deal_amounts'",
            ) == [(4, date(2026, 2, 2), 1)]
    finally:
        load_settings.cache_clear()
