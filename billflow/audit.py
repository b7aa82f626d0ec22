"""audit.runs: one row per writing run, written at start and completed at the end."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from billflow.warehouse import Warehouse, sql_literal


def record_start(
    wh: Warehouse, run_id: str, flow: str, as_of: date, parameters: dict[str, Any]
) -> None:
    table = f"{wh.schemas.audit}.runs"
    wh.execute(f"delete from {table} where run_id = {sql_literal(run_id)}")
    wh.execute(
        f"insert into {table} (run_id, flow, as_of, parameters, status, started_at) values ("
        f"{sql_literal(run_id)}, {sql_literal(flow)}, date '{as_of.isoformat()}', "
        f"{_json(wh, parameters)}, 'RUNNING', current_timestamp)"
    )


def record_end(
    wh: Warehouse,
    run_id: str,
    status: str,
    summary: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    table = f"{wh.schemas.audit}.runs"
    summary_sql = _json(wh, summary) if summary is not None else "null"
    wh.execute(
        f"update {table} set status = {sql_literal(status)}, finished_at = current_timestamp, "
        "duration_seconds = "
        "cast(extract(epoch from current_timestamp - started_at) as decimal(12,3)), "
        f"summary = {summary_sql}, error = {sql_literal(error)} "
        f"where run_id = {sql_literal(run_id)}"
    )


def _json(wh: Warehouse, value: Any) -> str:
    return (
        f"cast({sql_literal(json.dumps(value, sort_keys=True, default=str))} as {wh.dialect.json})"
    )
