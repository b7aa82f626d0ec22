"""Laws of the billing rules, shown through the SQL models that bill (not a Python twin):
hypothesis feeds small input tables to the real model file and checks what it computes.

- installments (int_installments.sql) always add up to the contract total, to the cent;
- retainer proration (int_retainer_periods.sql) never loses or invents a cent;
- a tax-inclusive split (the money macros) adds back to the gross: tests/rules/test_money.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billflow.config import Settings
from billflow.warehouse import Warehouse

AS_OF = date(2026, 12, 31)


@pytest.fixture(scope="module")
def wh() -> Iterator[Warehouse]:
    warehouse = Warehouse(Settings(warehouse_url="duckdb:///:memory:"))
    for schema in ("staging", "build"):
        warehouse.execute(f"create schema if not exists {schema}")
    yield warehouse
    warehouse.close()


def build(wh: Warehouse, model: str) -> list[tuple[object, ...]]:
    wh.build_model("build", f"intermediate/{model}.sql", as_of=f"date '{AS_OF}'")
    return wh.query(f"select * from build.{model}")


def contract(wh: Warehouse, **terms: object) -> None:
    defaults: dict[str, object] = {
        "contract_code": "'C-1'",
        "deal_id": "'1'",
        "billing_model": "'installments'",
        "billing_cycle": "'monthly'",
        "amount": "0",
        "minor_factor": "100",
        "unit": "cast(0.01 as decimal(4,3))",
        "signed_date": "date '2026-01-15'",
        "is_signed": "true",
        "is_open": "true",
        "cycle_anchor": "date '2026-01-15'",
        "end_date": "cast(null as date)",
        "retainer_fee_minor": "cast(0 as bigint)",
        "retainer_minutes": "cast(0 as bigint)",
        "overage_rate_minor": "cast(0 as bigint)",
    }
    columns = {**defaults, **terms}
    select = ", ".join(f"{value} as {name}" for name, value in columns.items())
    wh.replace_table("build.int_contracts", f"select {select}")
    wh.replace_table(
        "build.int_milestone_progress",
        "select cast(null as text) as milestone_id, cast(null as text) as contract_code, "
        "cast(null as text) as milestone_name, cast(null as date) as completed_date where false",
    )


@settings(max_examples=120, deadline=None)
@given(
    total_cents=st.integers(1, 10**11),
    weights=st.lists(st.integers(1, 10_000), min_size=1, max_size=8),
)
def test_installments_always_add_up_to_the_total(
    wh: Warehouse, total_cents: int, weights: list[int]
) -> None:
    # percents with two decimals that add up to exactly 100.00
    basis = sum(weights)
    hundredths = [w * 10_000 // basis for w in weights]
    hundredths[-1] += 10_000 - sum(hundredths)
    if min(hundredths) <= 0:
        return
    contract(wh, amount=f"cast({Decimal(total_cents) / 100} as decimal(18,3))")
    parts = " union all ".join(
        f"select '1' as deal_id, {n} as part_no, cast({Decimal(h) / 100} as decimal(9,4)) as "
        "percent, 'signature' as trigger_type, cast(null as text) as trigger_ref, "
        "cast(null as date) as trigger_on"
        for n, h in enumerate(hundredths, start=1)
    )
    wh.replace_table("staging.stg_hubspot__payment_schedules", parts)
    build(wh, "int_installments")
    amounts = [row[0] for row in wh.query("select amount_minor from build.int_installments")]
    assert sum(amounts) == total_cents
    assert len(amounts) == len(hundredths)
    for amount, share in zip(
        wh.query("select amount_minor from build.int_installments order by installment_no")[:-1],
        hundredths[:-1],
        strict=False,
    ):
        exact = Decimal(total_cents) * share / 10_000
        assert abs(Decimal(amount[0]) - exact) <= Decimal("0.5")


def test_the_seed_case(wh: Warehouse) -> None:
    """003: 46,000 at 25/40/35 is 11,500 / 18,400 / 16,100."""
    contract(wh, amount="cast(46000 as decimal(18,3))")
    wh.replace_table(
        "staging.stg_hubspot__payment_schedules",
        "select '1' as deal_id, part_no, cast(percent as decimal(9,4)) as percent, "
        "'signature' as trigger_type, cast(null as text) as trigger_ref, "
        "cast(null as date) as trigger_on "
        "from (values (1, 25), (2, 40), (3, 35)) as t(part_no, percent)",
    )
    build(wh, "int_installments")
    amounts = wh.query("select amount from build.int_installments order by installment_no")
    assert [a for (a,) in amounts] == [
        Decimal("11500.00"),
        Decimal("18400.00"),
        Decimal("16100.00"),
    ]


def retainer(wh: Warehouse, fee_cents: int, start: date, changes: list[tuple[date, int]]) -> None:
    contract(
        wh,
        billing_model="'retainer'",
        cycle_anchor=f"date '{start}'",
        signed_date=f"date '{start}'",
        retainer_fee_minor=f"cast({fee_cents} as bigint)",
    )
    rows = " union all ".join(
        f"select '1' as deal_id, {n} as part_no, date '{day}' as effective_from, "
        f"cast({Decimal(cents) / 100} as decimal(18,3)) as fee, true as is_valid"
        for n, (day, cents) in enumerate(changes, start=1)
    ) or (
        "select '1' as deal_id, 0 as part_no, cast(null as date) as effective_from, "
        "cast(null as decimal(18,3)) as fee, true as is_valid where false"
    )
    wh.replace_table("staging.stg_hubspot__retainer_fee_changes", rows)
    wh.replace_table(
        "build.int_time_entries",
        "select cast(null as text) as contract_code, cast(null as date) as period_start, "
        "cast(null as date) as entry_date, cast(null as date) as cycle_anchor, "
        "cast(null as date) as end_date, cast(0 as bigint) as minutes, "
        "'retainer' as billing_model, 'retainer' as disposition where false",
    )


def fees(wh: Warehouse) -> dict[date, int]:
    build(wh, "int_retainer_periods")
    return {
        start: int(fee)
        for start, fee in wh.query("select period_start, fee_minor from build.int_retainer_periods")
    }


@settings(max_examples=60, deadline=None)
@given(
    fee_cents=st.integers(1, 10**9),
    cuts=st.lists(st.integers(1, 300), max_size=4, unique=True),
)
def test_splitting_a_fee_into_segments_never_moves_a_cent(
    wh: Warehouse, fee_cents: int, cuts: list[int]
) -> None:
    """A "change" to the same fee on any days leaves every cycle's fee as it was."""
    start = date(2026, 1, 1)
    retainer(wh, fee_cents, start, [])
    whole = fees(wh)
    retainer(wh, fee_cents, start, [(start + timedelta(days=c), fee_cents) for c in cuts])
    assert fees(wh) == whole
    assert set(whole.values()) == {fee_cents}


@settings(max_examples=60, deadline=None)
@given(fee_cents=st.integers(1, 10**9), start_day=st.integers(2, 28))
def test_a_mid_cycle_start_is_prorated_by_actual_days(
    wh: Warehouse, fee_cents: int, start_day: int
) -> None:
    start = date(2026, 3, start_day)
    retainer(wh, fee_cents, start, [])
    first = fees(wh)[date(2026, 3, 1)]
    active = 31 - start_day + 1
    exact = Decimal(fee_cents) * active / 31
    assert abs(Decimal(first) - exact) <= Decimal("0.5")
    assert fees(wh)[date(2026, 4, 1)] == fee_cents


@settings(max_examples=60, deadline=None)
@given(old=st.integers(0, 10**8), new=st.integers(0, 10**8), change_day=st.integers(2, 30))
def test_a_fee_change_mid_cycle_weighs_each_fee_by_its_days(
    wh: Warehouse, old: int, new: int, change_day: int
) -> None:
    retainer(wh, old, date(2026, 1, 1), [(date(2026, 4, change_day), new)])
    april = fees(wh)[date(2026, 4, 1)]
    exact = (Decimal(old) * (change_day - 1) + Decimal(new) * (30 - change_day + 1)) / 30
    assert abs(Decimal(april) - exact) <= Decimal("0.5")


def test_an_end_mid_cycle_is_prorated_and_nothing_follows(wh: Warehouse) -> None:
    retainer(wh, 310000, date(2026, 1, 1), [])
    wh.execute("update build.int_contracts set end_date = date '2026-03-10'")
    bills = fees(wh)
    # 3100.00 x 10 / 31 days = 1000.00; no cycle after the end
    assert bills == {date(2026, 1, 1): 310000, date(2026, 2, 1): 310000, date(2026, 3, 1): 100000}
