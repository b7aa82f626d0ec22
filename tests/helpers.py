"""Test helpers: running the flow over dates, and reading or fingerprinting a warehouse."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

from billflow.cli import backfill_dates
from billflow.config import Settings
from billflow.contracts import load_layer
from billflow.summary import RunSummary
from billflow.warehouse import Warehouse

# The demo's schedule: weekly from Monday 5 January to Wednesday 15 April 2026.
DEMO_DATES = backfill_dates(date(2026, 1, 5), date(2026, 4, 15), 7)


def run_nightly(as_of: date, **options: Any) -> RunSummary:
    from flows.nightly import nightly_billing

    summary: RunSummary = nightly_billing(as_of=as_of, **options)
    return summary


def run_dates(dates: list[date], **options: Any) -> list[RunSummary]:
    return [run_nightly(as_of, **options) for as_of in dates]


def rows(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    """Query the warehouse; `{marts}`-style placeholders name the prefixed schemas."""
    warehouse = Warehouse(settings)
    try:
        schemas = {layer: getattr(warehouse.schemas, layer) for layer in _LAYERS}
        return warehouse.query(sql.format(**schemas))
    finally:
        warehouse.close()


def mart(settings: Settings, table: str, order_by: str | None = None) -> list[dict[str, Any]]:
    """Every row of a marts table as dicts, in the contract's column order."""
    columns = load_layer("marts")[table].column_names
    order = order_by or ", ".join(load_layer("marts")[table].primary_key)
    result = rows(settings, f"select {', '.join(columns)} from {{marts}}.{table} order by {order}")
    return [dict(zip(columns, row, strict=True)) for row in result]


def fingerprint(
    settings: Settings, layers: tuple[str, ...] = ("marts", "quarantine")
) -> dict[str, str]:
    """A digest of every row of every table in the layers: equal digests, equal tables."""
    digests = {}
    for layer in layers:
        for table in load_layer(layer).values():
            ordered = ", ".join(table.column_names)
            data = rows(
                settings, f"select {ordered} from {{{layer}}}.{table.name} order by {ordered}"
            )
            digests[f"{layer}.{table.name}"] = hashlib.sha256(repr(data).encode()).hexdigest()
    return digests


def as_decimal(value: Any) -> Decimal:
    assert isinstance(value, Decimal), f"{value!r} is not a Decimal"
    return value


_LAYERS = ("raw", "staging", "build", "marts", "audit", "quarantine")
