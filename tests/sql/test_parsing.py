"""Reading vendor text in SQL: dates in the company time zone, HubSpot date formats."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest

from billflow.config import Settings
from billflow.warehouse import Warehouse
from tests.conftest import POSTGRES_URL


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    url = "duckdb:///:memory:" if request.param == "duckdb" else POSTGRES_URL
    prefix = f"t{uuid.uuid4().hex[:10]}_" if request.param == "postgres" else ""
    warehouse = Warehouse(Settings(warehouse_url=url, schema_prefix=prefix))
    warehouse.execute(f"create schema if not exists {warehouse.schemas.util}")
    for statement in warehouse.dialect.setup_functions(warehouse.schemas.util):
        warehouse.execute(statement)
    yield warehouse
    warehouse.execute(f"drop schema if exists {warehouse.schemas.util} cascade")
    warehouse.close()


def value(engine: Warehouse, template: str) -> object:
    return engine.scalar(engine.render_string(f"select {template}"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-31", date(2026, 3, 31)),
        ("2026-03-31T00:00:00.000Z", date(2026, 3, 31)),
        ("1774915200000", date(2026, 3, 31)),  # epoch ms of 2026-03-31T00:00:00Z
        ("not a date", None),
    ],
)
def test_hubspot_date_formats(engine: Warehouse, text: str, expected: date | None) -> None:
    assert value(engine, f"{{{{ parse.hubspot_date(\"'{text}'\") }}}}") == expected


def test_local_date_uses_company_time_zone(engine: Warehouse) -> None:
    # 02:30 UTC on 1 April is 22:30 on 31 March in New York (EDT, UTC-4)
    assert value(engine, "{{ parse.local_date(\"'2026-04-01T02:30:00Z'\") }}") == date(2026, 3, 31)
    assert value(engine, "{{ parse.utc_date(\"'2026-04-01T02:30:00Z'\") }}") == date(2026, 4, 1)


def test_decimal_places_are_checked_not_rounded(engine: Warehouse) -> None:
    assert value(engine, "{{ parse.has_places(\"'12000.00'\", 3) }}") is True
    assert value(engine, "{{ parse.has_places(\"'12000.0005'\", 3) }}") is False
    assert value(engine, "{{ parse.decimal(\"'abc'\") }}") is None
