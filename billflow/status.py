"""`billflow status`: the last runs from audit.runs, one line each, with what an operator
checks first: did it complete, how long it took, what it landed, issued and held."""

from __future__ import annotations

import json
from typing import Any

from billflow.config import Settings
from billflow.errors import BillflowError
from billflow.query import format_table, run_query
from billflow.warehouse import Schemas

COLUMNS = [
    "started (UTC)", "flow", "as_of", "status", "seconds", "pages", "new records",
    "issued", "issued amount", "held", "quarantined", "error",
]  # fmt: skip


def last_runs(settings: Settings, limit: int) -> tuple[list[str], list[tuple[Any, ...]]]:
    audit = Schemas.prefixed(settings.schema_prefix).audit
    sql = (
        "select cast(started_at as text), flow, as_of, status, duration_seconds, "
        f"cast(counts as text), cast(totals as text), error from {audit}.runs "
        f"order by started_at desc limit {int(limit)}"
    )
    try:
        _, rows = run_query(settings, sql)
    except BillflowError as exc:
        raise BillflowError(
            f"no runs to show: {exc} (has a nightly run written this warehouse?)"
        ) from exc
    return COLUMNS, [_line(row) for row in rows]


def _line(row: tuple[Any, ...]) -> tuple[Any, ...]:
    started, flow, as_of, status, seconds, counts, totals, error = row
    count = _json(counts)
    issued = _json(totals).get("issued", {})
    amount = "; ".join(f"{currency} {value}" for currency, value in sorted(issued.items()))
    return (
        started[:19],
        flow,
        as_of,
        status,
        seconds,
        count.get("pages"),
        count.get("records_new"),
        count.get("issued"),
        amount or None,
        count.get("held"),
        count.get("quarantined"),
        (error or "")[:100] or None,
    )


def _json(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    loaded = json.loads(value) if isinstance(value, str) else value
    return loaded if isinstance(loaded, dict) else {}


def render(settings: Settings, limit: int) -> str:
    columns, rows = last_runs(settings, limit)
    if not rows:
        return "no runs yet"
    return format_table(columns, rows)
