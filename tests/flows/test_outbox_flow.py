"""The outbox through the nightly flow (issue 6): the delivery task retries a webhook that
failed once, a dry run delivers nothing, and a second run sends nothing new."""

from __future__ import annotations

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
