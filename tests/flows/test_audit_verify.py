"""`billflow audit verify` on a tampered chain, review decisions as events and corrections,
and the additive migration of an existing warehouse; on DuckDB and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from billflow import audit
from billflow.commands import Command, decision_event, record_command
from billflow.config import Settings
from billflow.warehouse import Warehouse
from tests.cli.test_bad_input import billflow
from tests.conftest import warehouse_env
from tests.flows.test_audit import EVENT_COLUMNS, bill, events, verify
from tests.helpers import rows


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def early(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """Two runs of the sample (2 February, 2 March): some 20 events to tamper with (with the
    sample of HEAD, 15 contract statuses, INV-2026-000001 to 6 and 1 payment)."""
    folder = tmp_path_factory.mktemp(f"early-{request.param}")
    with warehouse_env(request.param, folder) as settings:
        bill(settings, date(2026, 2, 2))
        bill(settings, date(2026, 3, 2))
        yield settings


@pytest.fixture
def tampered(early: Settings) -> Iterator[Settings]:
    """The early warehouse, its audit.events put back as they were after the test."""
    saved = events(early)
    yield early
    wh = Warehouse(early)
    try:
        wh.execute(f"delete from {wh.schemas.audit}.events")
        values = ", ".join(
            f"({seq}, '{kind}', '{subject}', date '{as_of}', '{run}', "
            f"'{payload.replace(chr(39), chr(39) * 2)}', '{prev}', '{digest}')"
            for seq, kind, subject, as_of, run, payload, prev, digest in saved
        )
        wh.execute(f"insert into {wh.schemas.audit}.events ({EVENT_COLUMNS}) values {values}")
    finally:
        wh.close()
    assert events(early) == saved


def tamper(settings: Settings, *statements: str) -> None:
    wh = Warehouse(settings)
    try:
        with wh.transaction():
            for statement in statements:
                wh.execute(statement.format(events=f"{wh.schemas.audit}.events"))
    finally:
        wh.close()


def event_at(settings: Settings, seq: int) -> tuple[str, str]:
    """(event_type, subject) of a row."""
    found = rows(settings, f"select event_type, subject from {{audit}}.events where seq = {seq}")
    return str(found[0][0]), str(found[0][1])


def lacks(event_type: str, subject: str) -> str:
    """What verify says of a published fact without its event."""
    table = audit.source_of(event_type).table
    return (
        f"audit.events lacks 1 {event_type} event(s) of marts.{table}: {subject} (deleted, or "
        "recorded before audit.events existed: the next nightly run appends them)"
    )


def test_the_early_chain_is_intact(early: Settings) -> None:
    count, problems = verify(early)
    assert (count, problems) == (len(events(early)), [])
    assert count >= 20


def test_verify_names_an_edited_row(tampered: Settings) -> None:
    tamper(
        tampered,
        "update {events} set payload = replace(payload, '4410.00', '4400.00') "
        "where subject = 'INV-2026-000001'",
    )
    (seq,) = rows(tampered, "select seq from {audit}.events where subject = 'INV-2026-000001'")[0]
    result = billflow(None, "audit", "verify")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        f"audit.events seq {seq} (invoice.issued INV-2026-000001) was edited: "
        "its hash does not match its content",
        f"audit.events: {len(events(tampered))} events, 1 problem(s) found",
    ]


def test_verify_names_a_deleted_row(tampered: Settings) -> None:
    count, deleted = len(events(tampered)), event_at(tampered, 7)
    tamper(tampered, "delete from {events} where seq = 7")
    assert verify(tampered) == (
        count - 1,
        ["audit.events seq 7 is missing (deleted): seq 8 follows seq 6", lacks(*deleted)],
    )


def test_verify_names_a_swapped_pair(tampered: Settings) -> None:
    (_, fifth), (_, sixth) = event_at(tampered, 5), event_at(tampered, 6)
    tamper(
        tampered,
        "update {events} set seq = 1000 where seq = 5",
        "update {events} set seq = 5 where seq = 6",
        "update {events} set seq = 6 where seq = 1000",
    )
    count, problems = verify(tampered)
    assert count == len(events(tampered))
    assert [line.split(") ", 1)[1] for line in problems] == [
        "is out of order: it was chained as seq 6",
        "is out of order: it was chained as seq 5",
    ]
    assert "seq 5 (" in problems[0] and sixth in problems[0]
    assert "seq 6 (" in problems[1] and fifth in problems[1]


def test_verify_names_the_newest_row_deleted(tampered: Settings) -> None:
    """The chain cannot see its last row go; the published facts without events show it."""
    count = len(events(tampered))
    newest = event_at(tampered, count)
    tamper(tampered, f"delete from {{events}} where seq = {count}")
    assert verify(tampered) == (count - 1, [lacks(*newest)])


def test_a_clean_chain_passes_the_cli(early: Settings) -> None:
    result = billflow(None, "audit", "verify")
    expected = f"audit.events: {len(events(early))} events, chain intact\n"
    assert (result.returncode, result.stdout) == (0, expected)


def test_review_decisions_are_events_and_corrections(tmp_path: Path) -> None:
    """A review.release recorded by a command appends its event at once; one recorded without
    (a decision of an earlier release) is appended by the next run; both count as manual
    corrections of their month."""
    with warehouse_env("duckdb", tmp_path) as settings:
        bill(settings, date(2026, 4, 6))
        wh = Warehouse(settings)
        try:
            release = Command(
                "review.release", "C-18403:time:2026-03", {"reason": "ok"}, "Ann Lee",
                date(2026, 4, 6),
            )  # fmt: skip
            record_command(wh, release, "RELEASED")
            wh.execute(
                f"insert into {wh.schemas.audit}.commands (command_id, command, target, "
                "details, actor, acted_on, acted_at, result) values ('c-2', 'review.discard', "
                "'C-18401:time:2026-04', '{\"reason\": \"duplicate\"}', 'Bo', "
                "date '2026-04-06', current_timestamp, 'DISCARDED')"
            )
        finally:
            wh.close()
        decisions = (
            "select event_type, subject, run_id from {audit}.events "
            "where event_type like 'review.%' order by seq"
        )
        released = ("review.release", f"C-18403:time:2026-03:{release.command_id}")
        assert rows(settings, decisions) == [(*released, release.command_id)]
        bill(settings, date(2026, 4, 6))
        assert rows(settings, decisions) == [
            (*released, release.command_id),
            ("review.discard", "C-18401:time:2026-04:c-2", "run-2026-04-06"),
        ]
        again = replace(release, command_id="c-3")  # decided again: its lines changed
        wh = Warehouse(settings)
        try:
            record_command(wh, again, "RELEASED")
            assert audit.append_events(wh, [decision_event(again, "RELEASED")]) == []
        finally:
            wh.close()
        assert rows(settings, decisions)[2:] == [
            ("review.release", "C-18403:time:2026-03:c-3", "c-3")
        ]
        ((payload,),) = rows(
            settings, "select payload from {audit}.events where event_type = 'review.discard'"
        )
        assert json.loads(payload) == {
            "acted_on": "2026-04-06",
            "actor": "Bo",
            "command": "review.discard",
            "command_id": "c-2",
            "details": {"reason": "duplicate"},
            "result": "DISCARDED",
            "target": "C-18401:time:2026-04",
        }
        april = rows(
            settings,
            "select drafts_released, drafts_discarded, credit_notes, manual_corrections "
            "from {marts}.audit_monthly where month = '2026-04'",
        )
        assert april == [(1, 1, 0, 2)]  # as of the last run, before the second release
        assert verify(settings) == (len(events(settings)), [])


OLD_RUNS = """create table {audit}.runs (
  run_id VARCHAR NOT NULL, flow VARCHAR NOT NULL, as_of DATE NOT NULL,
  parameters {json} NOT NULL, status VARCHAR NOT NULL, started_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ, duration_seconds DECIMAL(12,3), summary {json}, error VARCHAR,
  PRIMARY KEY (run_id))"""


def test_an_existing_warehouse_gets_the_audit_columns_and_events(any_settings: Settings) -> None:
    wh = Warehouse(any_settings)
    try:
        wh.execute(f"create schema if not exists {wh.schemas.audit}")
        wh.execute(OLD_RUNS.format(audit=wh.schemas.audit, json=wh.dialect.json))
        wh.execute(
            f"insert into {wh.schemas.audit}.runs (run_id, flow, as_of, parameters, status, "
            "started_at) values ('old', 'nightly_billing', date '2026-01-05', "
            f"cast('{{}}' as {wh.dialect.json}), 'COMPLETED', current_timestamp)"
        )
        wh.init()
        columns = {
            name
            for (name,) in wh.query(
                "select column_name from information_schema.columns "
                f"where table_schema = '{wh.schemas.audit}' and table_name = 'runs'"
            )
        }
        assert {"inputs_fingerprint", "counts", "totals", "summary"} <= columns
        assert wh.query(f"select run_id, counts from {wh.schemas.audit}.runs") == [("old", None)]
        assert wh.scalar(f"select count(*) from {wh.schemas.audit}.events") == 0
    finally:
        wh.close()
