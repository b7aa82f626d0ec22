"""The rounding rule, through the SQL that bills (both engines) and in Python."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billflow import money
from billflow.config import Settings
from billflow.warehouse import Warehouse
from tests.conftest import POSTGRES_URL


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    url = "duckdb:///:memory:" if request.param == "duckdb" else POSTGRES_URL
    warehouse = Warehouse(Settings(warehouse_url=url))
    yield warehouse
    warehouse.close()


def sql_value(engine: Warehouse, expression: str) -> int:
    return int(engine.scalar(engine.render_string(f"select {expression}")))


def exact_half_up(numerator: int, denominator: int) -> int:
    return int((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), ROUND_HALF_UP))


@settings(max_examples=150, deadline=None)
@given(minutes=st.integers(-100_000, 1_000_000), rate=st.integers(0, 5_000_000))
def test_time_amount_is_exact_half_up(engine: Warehouse, minutes: int, rate: int) -> None:
    """minutes x rate / 60 in minor units, halves away from zero, negative lines included."""
    got = sql_value(engine, f"{{{{ money.time_amount_minor('{minutes}', '{rate}') }}}}")
    assert got == exact_half_up(minutes * rate, 60)


@settings(max_examples=150, deadline=None)
@given(gross=st.integers(0, 10**12), rate_ppm=st.integers(0, 999_999))
def test_tax_inclusive_split_adds_back_to_gross(
    engine: Warehouse, gross: int, rate_ppm: int
) -> None:
    tax = sql_value(engine, f"{{{{ money.tax_in_gross_minor('{gross}', '{rate_ppm}') }}}}")
    assert tax == exact_half_up(gross * rate_ppm, 1_000_000 + rate_ppm)
    assert 0 <= tax <= gross


@settings(max_examples=100, deadline=None)
@given(net=st.integers(-(10**12), 10**12), rate_ppm=st.integers(0, 999_999))
def test_tax_on_net(engine: Warehouse, net: int, rate_ppm: int) -> None:
    tax = sql_value(engine, f"{{{{ money.tax_on_net_minor('{net}', '{rate_ppm}') }}}}")
    assert tax == exact_half_up(net * rate_ppm, 1_000_000)


@pytest.mark.parametrize(
    ("numerator", "expected"),
    [(1, 0), (30, 1), (-30, -1), (29, 0), (-29, 0), (90, 2), (-90, -2), (0, 0)],
)
def test_halves_go_away_from_zero(engine: Warehouse, numerator: int, expected: int) -> None:
    assert sql_value(engine, f"{{{{ money.half_up_div('{numerator}', '60') }}}}") == expected


def test_hours_and_money_display(engine: Warehouse) -> None:
    hours = engine.scalar(engine.render_string("select {{ money.hours('200') }}"))
    assert hours == Decimal("3.33")
    amount = engine.scalar(engine.render_string("select {{ money.from_minor('286660', '0.01') }}"))
    assert amount == Decimal("2866.60")
    yen = engine.scalar(engine.render_string("select {{ money.from_minor('15000', '1') }}"))
    assert yen == Decimal("15000")


def test_python_money_helpers() -> None:
    assert money.from_minor(150050, "eur") == Decimal("1500.50")
    assert money.from_minor(500, "JPY") == Decimal("500")
    assert money.from_minor(5120, "KWD") == Decimal("5.120")
    assert money.to_minor(Decimal("1145.38"), "EUR") == 114538
    with pytest.raises(ValueError, match="more decimals than JPY allows"):
        money.to_minor(Decimal("10.5"), "JPY")
    assert money.half_up(Decimal("-0.125"), "USD") == Decimal("-0.13")
    assert money.format_money(Decimal("36071.03"), "USD") == "USD 36,071.03"
    assert money.minor_units("bhd") == 3
