"""DESIGN's invariants on data the project has never seen: `billflow generate`, another seed.

Lines add up to totals, row conservation, an identical rerun, no float money, gapless
numbers, lineage of every line; on DuckDB and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from billflow.config import Settings
from billflow.contracts import load_layer
from billflow.generator import generate
from tests.conftest import warehouse_env
from tests.helpers import fingerprint, mart, rows, run_dates, run_nightly

RUN_DATES = [date(2026, 2, 2), date(2026, 2, 16), date(2026, 3, 2), date(2026, 4, 1)]


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def generated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefect_server: str
) -> Iterator[Settings]:
    folder = tmp_path_factory.mktemp(f"generated-{request.param}")
    generate(
        folder / "pages",
        seed=20261126,
        clients=12,
        projects=30,
        people=25,
        entries=4000,
        months=3,
        start=date(2026, 1, 1),
    )
    with warehouse_env(request.param, folder, folder / "pages") as settings:
        run_dates(RUN_DATES)
        yield settings


def test_the_data_exercises_the_pipeline(generated: Settings) -> None:
    counts = dict(rows(generated, "select status, count(*) from {marts}.invoices group by 1"))
    assert sum(counts.values()) >= 20
    assert rows(generated, "select count(*) from {marts}.payment_applications")[0][0] > 0
    assert rows(generated, "select count(*) from {quarantine}.records")[0][0] > 0
    line_types = {
        line_type
        for (line_type,) in rows(
            generated,
            "select line_type from {marts}.invoice_lines "
            "union select line_type from {marts}.invoice_draft_lines",
        )
    }
    # every trigger is drafted (overage above 25% of an allocation waits for review), but
    # a partial milestone (the sample's) and a credit (a person's command)
    assert line_types >= {
        "time",
        "milestone",
        "deliverable",
        "installment",
        "retainer",
        "overage",
        "change_order",
    }
    held = "select count(*) from {marts}.invoice_drafts where status = 'HELD'"
    assert rows(generated, held)[0][0] > 0


def test_lines_add_up_to_totals(generated: Settings) -> None:
    lines: dict[str, Decimal] = {}
    for line in mart(generated, "invoice_lines"):
        lines[line["invoice_number"]] = (
            lines.get(line["invoice_number"], Decimal(0)) + line["amount"]
        )
    for invoice in mart(generated, "invoices"):
        number = invoice["invoice_number"]
        assert lines[number] == invoice["lines_total"], number
        assert invoice["subtotal"] + invoice["tax"] == invoice["total"], number
        # tax on net lines is added on top; tax in fixed prices is already in the lines
        added_tax = invoice["tax"] - invoice["tax_included"]
        assert invoice["lines_total"] + added_tax == invoice["total"], number
        assert Decimal(0) <= invoice["tax_included"] <= invoice["tax"], number
        assert (
            invoice["amount_paid"] + invoice["amount_credited"] + invoice["balance_due"]
            == invoice["total"]
        ), number
        assert Decimal(0) <= invoice["amount_paid"] <= invoice["total"], number


def test_row_conservation_against_raw(generated: Settings) -> None:
    last_run = (
        "(select run_id from {audit}.runs where status = 'COMPLETED' "
        "order by as_of desc, started_at desc limit 1)"
    )
    accounted = dict(
        rows(
            generated,
            "select stream, sum(records) from {audit}.row_conservation "
            f"where run_id = {last_run} group by stream",
        )
    )
    in_raw = dict(
        rows(
            generated,
            "select source || '.' || stream, count(distinct record_id) from {raw}.records "
            "where stream in ('time', 'events', 'deals') group by 1",
        )
    )
    assert accounted == in_raw


def test_identical_rerun(generated: Settings) -> None:
    before = fingerprint(generated)
    run_nightly(RUN_DATES[-1])
    assert fingerprint(generated) == before


def test_no_float_money(generated: Settings) -> None:
    types = rows(
        generated,
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = '{marts}'",
    )
    assert types, "no marts columns found"
    assert not [t for t in types if any(f in t[2].lower() for f in ("double", "real", "float"))]
    money_columns = {
        (table.name, column.name)
        for table in load_layer("marts").values()
        for column in table.columns
        if column.type == "money"
    }
    for table, column in money_columns:
        values = rows(
            generated, f"select {column} from {{marts}}.{table} where {column} is not null"
        )
        assert all(isinstance(value, Decimal) for (value,) in values), (table, column)


def test_numbers_are_gapless_and_issued_once(generated: Settings) -> None:
    numbers = rows(
        generated,
        "select series_year, series_seq, invoice_number, draft_key from {marts}.invoices "
        "order by series_year, series_seq",
    )
    by_year: dict[int, list[int]] = {}
    for year, seq, number, _ in numbers:
        by_year.setdefault(year, []).append(seq)
        assert number == f"INV-{year}-{seq:06d}"
    for sequence in by_year.values():
        assert sequence == list(range(1, len(sequence) + 1))
    assert len({key for *_, key in numbers}) == len(numbers)


def test_every_line_traces_to_its_sources(generated: Settings) -> None:
    untraced = rows(
        generated,
        "select l.invoice_number, l.line_no from {marts}.invoice_lines l "
        "left join {marts}.invoice_line_sources s "
        "on s.invoice_number = l.invoice_number and s.line_no = l.line_no "
        "where s.record_id is null",
    )
    assert untraced == []
    minutes = rows(
        generated,
        "select l.invoice_number, l.line_no from {marts}.invoice_lines l "
        "join {marts}.invoice_line_sources s "
        "on s.invoice_number = l.invoice_number and s.line_no = l.line_no "
        "join {staging}.stg_teamwork__time_entries t on t.entry_id = s.record_id "
        "where l.line_type = 'time' group by l.invoice_number, l.line_no, l.minutes "
        "having l.minutes <> sum(t.minutes)",
    )
    assert minutes == []
