"""Crash safety (issue 5): a run that fails at any step, then a rerun, ends exactly where a run
that never failed ends; a failed run leaves the marts as they were; one writer at a time.

The history (the demo's weekly runs up to 16 March 2026) is billed once per warehouse and copied
for each case. The run of 23 March is the one that fails: it lands Northwind's payment of
20 March (the history's pages do not have it yet), issues two invoices (INV-2026-000012 and 000013)
and applies that payment, so a crash can lose the new record or duplicate all three.

On DuckDB (a file copy per case) each task gets its own crash and rerun; on PostgreSQL one case
fails after every task in turn, each failure on what the previous ones left, then reruns once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from prefect import Task, task

import flows.nightly
from billflow.config import Settings, load_settings
from billflow.contracts import load_layer
from billflow.errors import BillflowError
from billflow.lock import warehouse_lock
from billflow.paths import SAMPLE_DIR
from billflow.warehouse import Warehouse
from tasks.common import TASK_OPTIONS
from tests.conftest import warehouse_env
from tests.helpers import DEMO_DATES, copy_warehouse, fingerprint, rows, run_dates, run_nightly

CRASH_DATE = date(2026, 3, 23)
NEW_PAYMENT = "evt_1QbF0002"  # 3,000.00 on INV-2026-000005, paid 20 March
HISTORY = [as_of for as_of in DEMO_DATES if as_of < CRASH_DATE]

# Every Prefect task the nightly flow module calls: a task added later is covered too.
NIGHTLY_TASKS = sorted(
    name for name, value in vars(flows.nightly).items() if isinstance(value, Task)
)

# Rows that a retry must never write twice: (table, its natural key).
NATURAL_KEYS = {
    "invoices": "invoice_number",
    "invoice_lines": "invoice_number, line_no",
    "invoice_line_sources": "invoice_number, line_no, source, stream, record_id",
    "payment_applications": "event_id, invoice_number",
    "outbox": "message_key",
    "reminders": "invoice_number, reminder_day",
}


class InjectedCrashError(BillflowError):
    """A permanent fault (not a TransientError): the task fails at once, without retries."""


@dataclass
class History:
    """One warehouse kind: the history before the crash date, and a clean run of that date."""

    kind: str
    base: Settings  # after the clean runs up to 16 March
    reference: Settings  # base + a run of 23 March that never failed
    before: dict[str, str]  # fingerprint of base
    after: dict[str, str]  # fingerprint of reference


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefect_server: str
) -> Iterator[History]:
    """The history billed once, and the clean run of CRASH_DATE on a copy of it."""
    kind: str = request.param
    folder = tmp_path_factory.mktemp(f"crash-{kind}")
    with warehouse_env(kind, folder / "base", pages_without(NEW_PAYMENT, folder)) as base:
        run_dates(HISTORY)
        with warehouse_env(kind, folder / "reference") as reference:
            copy_warehouse(base, reference)
            summary = run_nightly(CRASH_DATE)
            # what a crash of this run could lose or duplicate: a new record, new invoices and
            # the application of the new payment
            assert (summary.records_new, summary.issued_count) == (1, 2)
            applied = "select event_id from {marts}.payment_applications"
            assert set(rows(reference, applied)) - set(rows(base, applied)) == {(NEW_PAYMENT,)}
            before, after = digest(base), digest(reference)
            assert (before, after) == (fingerprint(base), fingerprint(reference))
            yield History(kind, base, reference, before, after)


def pages_without(event_id: str, folder: Path) -> Path:
    """The sample's pages without one Stripe event: what the sources said before it came."""
    pages = folder / "pages"
    shutil.copytree(SAMPLE_DIR, pages)
    for page in (pages / "stripe" / "events").glob("*.json"):
        document = json.loads(page.read_text())
        kept = [event for event in document["data"] if event["id"] != event_id]
        if len(kept) < len(document["data"]):
            page.write_text(json.dumps({**document, "data": kept}))
            return pages
    raise AssertionError(f"no Stripe event {event_id} in {SAMPLE_DIR}")


@contextmanager
def restored(history: History, folder: Path) -> Iterator[Settings]:
    """A private copy of the history (warehouse and documents), set up for the flow."""
    with warehouse_env(history.kind, folder) as settings:
        copy_warehouse(history.base, settings)
        yield settings


def crash_after(name: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Replace task `name` in flows.nightly by one that runs the real task, then fails.

    Returns the calls made, one per task run: a permanent fault is never retried.
    """
    real: Task[..., Any] = getattr(flows.nightly, name)
    calls: list[tuple[Any, ...]] = []

    @functools.wraps(real.fn)
    def run_then_crash(*args: Any, **kwargs: Any) -> Any:
        calls.append(tuple(_plain(value) for value in (*args, *kwargs.values())))
        real.fn(*args, **kwargs)
        raise InjectedCrashError(f"injected crash after {real.name}")

    monkeypatch.setattr(flows.nightly, name, task(name=real.name, **TASK_OPTIONS)(run_then_crash))
    return calls


# Delivery state of the outbox: published with the marts, then set by the delivery task
DELIVERY = {"delivered_on", "attempts"}


def digest(
    settings: Settings,
    layers: tuple[str, ...] = ("marts", "quarantine"),
    *,
    delivery: bool = True,
) -> dict[str, str]:
    """tests.helpers.fingerprint, the same digests, read on one connection (a case reads it
    twice: per table connections would cost a second a case on DuckDB). Without `delivery`,
    the outbox's delivery columns are left out: a run that published, then failed before
    delivering, is whole but for them."""
    warehouse = Warehouse(settings)
    try:
        digests = {}
        for layer in layers:
            for table in load_layer(layer).values():
                ordered = ", ".join(
                    name
                    for name in table.column_names
                    if delivery or table.name != "outbox" or name not in DELIVERY
                )
                data = warehouse.query(
                    f"select {ordered} from {getattr(warehouse.schemas, layer)}.{table.name} "
                    f"order by {ordered}"
                )
                digests[f"{layer}.{table.name}"] = hashlib.sha256(repr(data).encode()).hexdigest()
        return digests
    finally:
        warehouse.close()


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | Path | date) else type(value).__name__


def _count(settings: Settings, table: str) -> int:
    return int(rows(settings, f"select count(*) from {{marts}}.{table}")[0][0])


def duplicates(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Natural keys held by more than one row, and time entries billed on more than one line."""
    found = {
        table: rows(
            settings,
            f"select {key}, count(*) from {{marts}}.{table} group by {key} having count(*) > 1",
        )
        for table, key in NATURAL_KEYS.items()
    }
    found["invoices by draft"] = rows(
        settings,
        "select draft_key, count(*) from {marts}.invoices group by draft_key having count(*) > 1",
    )
    found["time entries billed twice"] = rows(
        settings,
        "select s.record_id, count(*) from {marts}.invoice_line_sources s "
        "join {marts}.invoices i on i.invoice_number = s.invoice_number "
        "where s.stream = 'time' and i.kind = 'invoice' group by s.record_id having count(*) > 1",
    )
    return {name: keys for name, keys in found.items() if keys}


def documents(settings: Settings) -> dict[str, bytes]:
    """Every document file, by its path under the documents folder."""
    folder = settings.documents_dir
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*.html")}


def runs_of(settings: Settings, as_of: date) -> list[tuple[Any, ...]]:
    return rows(
        settings,
        "select status, error from {audit}.runs "
        f"where as_of = date '{as_of.isoformat()}' order by started_at",
    )


@pytest.mark.parametrize("history", ["duckdb"], indirect=True)
@pytest.mark.parametrize("name", NIGHTLY_TASKS)
def test_a_crash_after_any_task_then_a_rerun_ends_as_a_clean_run(
    name: str, history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Crash after one task, rerun the date: marts, quarantine and documents equal the clean
    run's, nothing is duplicated, and audit.runs keeps the failed run as FAILED."""
    with restored(history, tmp_path) as settings:
        failure = crash_then_check(name, history, settings, monkeypatch)

        run_nightly(CRASH_DATE)

        assert runs_of(settings, CRASH_DATE) == [("FAILED", failure), ("COMPLETED", None)]
        assert_as_clean_run(history, settings)


@pytest.mark.parametrize("history", ["postgres"], indirect=True)
def test_a_failed_run_after_every_task_in_turn_then_a_rerun(
    history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One failed run per task, each on what the previous failures left, then one rerun:
    failed runs pile up nothing, before or after publish. On PostgreSQL, where a copy of the
    history costs more than a DuckDB file copy, this one case covers every task."""
    with restored(history, tmp_path) as settings:
        failures = [
            crash_then_check(name, history, settings, monkeypatch) for name in NIGHTLY_TASKS
        ]

        run_nightly(CRASH_DATE)

        expected = [("FAILED", failure) for failure in failures] + [("COMPLETED", None)]
        assert runs_of(settings, CRASH_DATE) == expected
        assert_as_clean_run(history, settings)


def crash_then_check(
    name: str, history: History, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Run CRASH_DATE failing right after task `name`; check it ran once and that the marts
    are all or nothing (as before the run, or as the clean run). Returns the error."""
    failure = f"injected crash after {getattr(flows.nightly, name).name}"
    with monkeypatch.context() as patch:
        calls = crash_after(name, patch)
        with pytest.raises(InjectedCrashError, match=re.escape(failure)):
            run_nightly(CRASH_DATE)
    assert calls, f"the flow never called {name}"
    assert len(calls) == len(set(calls)), f"{name} was retried on a permanent fault"
    published = (digest(history.base, delivery=False), digest(history.reference, delivery=False))
    assert digest(settings, delivery=False) in published, f"half published after {name}"
    assert invoice_documents(settings) <= invoice_numbers(settings), "a document of no invoice"
    return failure


def assert_as_clean_run(history: History, settings: Settings) -> None:
    """Marts, quarantine and documents as the run that never failed left them; nothing twice."""
    assert digest(settings) == history.after
    assert duplicates(settings) == {}
    issued = invoice_numbers(settings)
    assert {"INV-2026-000012", "INV-2026-000013"} <= issued
    assert invoice_documents(settings) == issued
    assert documents(settings) == documents(history.reference)
    # every message delivered once, as the clean run delivered it
    assert outbox_files(settings) == outbox_files(history.reference)


def outbox_files(settings: Settings) -> dict[str, bytes]:
    folder = settings.documents_dir / "outbox"
    return {path.name: path.read_bytes() for path in folder.glob("*.json")}


def invoice_numbers(settings: Settings) -> set[str]:
    return {number for (number,) in rows(settings, "select invoice_number from {marts}.invoices")}


def invoice_documents(settings: Settings) -> set[str]:
    """The invoice numbers that have a document file."""
    return {Path(path).stem for path in documents(settings) if path.startswith("invoices/")}


@pytest.mark.parametrize("failure", ["after check_conservation", "inside publish"])
def test_a_failed_run_leaves_the_marts_as_they_were(
    failure: str, history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that fails just before publish, or halfway through publish's writes (the database
    refuses a duplicate payment application), changes no marts or quarantine row and records
    no row conservation; only audit.runs says FAILED, with the error."""
    with restored(history, tmp_path) as settings:
        before = digest(settings, ("marts", "quarantine", "audit"))
        midway: list[int] = []
        with monkeypatch.context() as patch:
            if failure.startswith("after"):
                crash_after("check_conservation", patch)
                error = "injected crash after check row conservation"
            else:
                _insert_twice(patch, "payment_applications", midway)
                error = "(?i)duplicate key"
            with pytest.raises(Exception, match=error):
                run_nightly(CRASH_DATE)
        if failure == "inside publish":
            # when the insert failed, publish had already written the new invoices (seen inside
            # its transaction): part of the marts were written, and all of it was rolled back
            assert midway == [_count(history.reference, "invoices")]
            assert midway[0] > _count(history.base, "invoices")

        after = digest(settings, ("marts", "quarantine", "audit"))
        changed = {table for table in before if before[table] != after[table]}
        assert changed == {"audit.runs"}
        ((status, message),) = runs_of(settings, CRASH_DATE)
        assert status == "FAILED"
        assert re.search(error, message)
        assert history.before != history.after  # the run would have changed the marts
        assert digest(settings) == history.before


def _insert_twice(patch: pytest.MonkeyPatch, table: str, midway: list[int]) -> None:
    """After publish inserts the rows of marts `table`, it inserts every build row again: the
    primary key makes that insert fail in the database. Notes the invoices publish has written
    by then."""
    execute = Warehouse.execute
    columns = ", ".join(load_layer("marts")[table].column_names)

    def twice(self: Warehouse, sql: str) -> None:
        execute(self, sql)
        marts, build = self.schemas.marts, self.schemas.build
        if sql.startswith(f"insert into {marts}.{table} "):
            midway.append(int(self.scalar(f"select count(*) from {marts}.invoices")))
            execute(
                self,
                f"insert into {marts}.{table} ({columns}) select {columns} from {build}.{table}",
            )

    patch.setattr(Warehouse, "execute", twice)


HOLDER = """
import sys, time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from billflow.config import load_settings
from billflow.lock import warehouse_lock
from billflow.warehouse import Schemas, sql_list

def written(settings):
    # has anything been written to the warehouse (a schema, the DuckDB file)?
    url = settings.warehouse_url
    if not url.startswith("postgresql"):
        return int(Path(make_url(url).database).exists())
    schemas = sql_list(Schemas.prefixed(settings.schema_prefix).all())
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as connection:
        return connection.exec_driver_sql(
            f"select count(*) from information_schema.schemata where schema_name in ({schemas})"
        ).scalar()

settings = load_settings()
with warehouse_lock(settings, "nightly_billing run held-by-test (pid 1 on ci)"):
    print("acquired", time.time(), flush=True)
    time.sleep(float(sys.argv[1]))
    print("written", written(settings), flush=True)
    print("releasing", time.time(), flush=True)
"""


@pytest.mark.parametrize("kind", ["duckdb", "postgres"])
def test_second_writer_waits_then_proceeds(kind: str, tmp_path: Path, prefect_server: str) -> None:
    """Another process holds the lock for 2 s: the run waits without touching the warehouse,
    starts once the lock is released, and completes; the two never hold it together."""
    hold_seconds = 2.0
    with warehouse_env(kind, tmp_path) as settings, pytest.MonkeyPatch.context() as patch:
        patch.setenv("BILLFLOW_LOCK_TIMEOUT_SECONDS", "60")
        load_settings.cache_clear()
        held = _timed_lock(patch)
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(hold_seconds)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert holder.stdout is not None
            word, acquired = holder.stdout.readline().split()
            assert word == "acquired"
            summary = run_nightly(date(2026, 2, 2))
            output, _ = holder.communicate(timeout=30)
        finally:
            holder.kill()
        assert holder.returncode == 0
        report = dict(line.split() for line in output.splitlines())
        assert report.keys() == {"written", "releasing"}
        assert report["written"] == "0"  # while it held the lock, the waiting run wrote nothing
        (start, end), *others = held
        assert others == []
        # the run held the lock only after the holder released it: it waited, then proceeded
        assert start >= float(report["releasing"]) >= float(acquired) + hold_seconds
        assert start < end
        assert summary.issued_count == 2  # Northwind and Initech January
        assert runs_of(settings, date(2026, 2, 2)) == [("COMPLETED", None)]
        assert _count(settings, "invoices") == 2


def _timed_lock(patch: pytest.MonkeyPatch) -> list[tuple[float, float]]:
    """Record when the flow holds the warehouse lock: (acquired, released) wall-clock times."""
    held: list[tuple[float, float]] = []

    @contextmanager
    def timed(settings: Settings, holder: str) -> Iterator[None]:
        with warehouse_lock(settings, holder):
            start = time.time()
            try:
                yield
            finally:
                held.append((start, time.time()))

    patch.setattr(flows.nightly, "warehouse_lock", timed)
    return held
