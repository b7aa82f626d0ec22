"""The staging quality gate: a Great Expectations suite per staging table, run in the warehouse.

Record-level problems go to quarantine and the run goes on; these expectations catch a batch
that is wrong as a whole (duplicated keys, a unit change, impossible values) and stop publish
with one line per failed expectation. GX runs its checks as SQL on the warehouse tables, never
on pandas copies of them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from billflow.errors import ValidationFailedError
from billflow.warehouse import Warehouse


@dataclass(frozen=True)
class Check:
    """One expectation: its GX class name and keyword arguments."""

    kind: str
    kwargs: dict[str, Any] = field(default_factory=dict)


SUITES: dict[str, tuple[Check, ...]] = {
    "stg_teamwork__time_entries": (
        Check("ExpectColumnValuesToBeUnique", {"column": "entry_id"}),
        Check("ExpectColumnValuesToNotBeNull", {"column": "project_id"}),
        Check("ExpectColumnValuesToNotBeNull", {"column": "person_id"}),
        Check("ExpectColumnValuesToNotBeNull", {"column": "entry_date"}),
        Check(
            "ExpectColumnValuesToBeBetween",
            {"column": "minutes", "min_value": 1, "max_value": 1440},
        ),
        # drift: hours sent where minutes are expected would put the mean near 1-8
        Check(
            "ExpectColumnMeanToBeBetween", {"column": "minutes", "min_value": 10, "max_value": 720}
        ),
    ),
    "stg_hubspot__deals": (
        Check("ExpectColumnValuesToBeUnique", {"column": "deal_id"}),
        Check("ExpectColumnValuesToNotBeNull", {"column": "currency"}),
        Check(
            "ExpectColumnValuesToBeBetween", {"column": "tax_rate", "min_value": 0, "max_value": 1}
        ),
    ),
    "stg_teamwork__rates": (
        Check("ExpectCompoundColumnsToBeUnique", {"column_list": ["project_id", "person_id"]}),
        Check("ExpectColumnValuesToBeBetween", {"column": "rate_minor", "min_value": 0}),
    ),
    "stg_stripe__payments": (
        Check("ExpectColumnValuesToBeUnique", {"column": "event_id"}),
        Check("ExpectColumnValuesToBeBetween", {"column": "amount_minor", "min_value": 1}),
    ),
}


def validate_staging(wh: Warehouse) -> dict[str, int]:
    """Run every suite; raise ValidationFailedError naming each failed expectation."""
    gx, expectations = _import_gx()
    context = gx.get_context(mode="ephemeral")
    _quiet(context, gx)
    datasource = _datasource(context, wh)
    failures: list[str] = []
    counts: dict[str, int] = {}
    for table, checks in SUITES.items():
        batch = datasource.add_table_asset(name=table, table_name=table)
        definition = batch.add_batch_definition_whole_table("all rows")
        suite = gx.ExpectationSuite(name=f"{table} suite")
        for check in checks:
            suite.add_expectation(getattr(expectations, check.kind)(**check.kwargs))
        result = definition.get_batch().validate(suite)
        counts[table] = len(checks)
        failures.extend(f"{table}: {line}" for line in _failure_lines(result))
    if failures:
        raise ValidationFailedError(
            "staging quality gate failed, nothing published: " + "; ".join(failures)
        )
    return counts


def _import_gx() -> tuple[Any, Any]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations import expectations

    return gx, expectations


def _quiet(context: Any, gx: Any) -> None:
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)


def _datasource(context: Any, wh: Warehouse) -> Any:
    """A GX SQL datasource on the run's own warehouse connection, staging schema first."""
    schema = wh.schemas.staging
    if wh.dialect.name == "duckdb":
        return context.data_sources.add_sql(
            name="warehouse",
            connection_string="duckdb:///:memory:",
            kwargs={"creator": lambda: _duckdb_connection(wh, schema)},
        )
    separator = "&" if "?" in wh.settings.warehouse_url else "?"
    return context.data_sources.add_postgres(
        name="warehouse",
        connection_string=f"{wh.settings.warehouse_url}{separator}options=-csearch_path%3D{schema}",
    )


def _duckdb_connection(wh: Warehouse, schema: str) -> Any:
    """A DBAPI connection on the run's DuckDB database whose every cursor is its own child.

    GX reads results after SQLAlchemy has rolled the connection back; duckdb_engine's cursor
    is its connection, so rows would vanish (GX issue 11579). A child connection per cursor
    keeps them. The search path lets GX find the table without schema reflection, which
    duckdb_engine does not support on SQLAlchemy 2.1.
    """
    import duckdb_engine

    root = wh.duckdb_connection()

    class ChildCursorConnection(duckdb_engine.ConnectionWrapper):  # type: ignore[misc]
        def cursor(self) -> Any:
            child = root.cursor()
            child.execute(f"set search_path = '{schema},main'")
            return duckdb_engine.CursorWrapper(child, self)

    return ChildCursorConnection(root.cursor())


def _failure_lines(result: Any) -> list[str]:
    return [_describe(item) for item in result.results if not item.success]


def _describe(item: Any) -> str:
    config = item.expectation_config
    target = (
        config.kwargs.get("column") or ",".join(config.kwargs.get("column_list", [])) or "table"
    )
    error = _exception(item)
    if error:
        return f"{config.type} [{target}] could not run: {error}"
    figures = item.result or {}
    if "unexpected_count" in figures:
        sample = figures.get("partial_unexpected_list") or []
        return (
            f"{config.type} [{target}]: {figures['unexpected_count']} of "
            f"{figures.get('element_count')} rows unexpected (e.g. {sample[:3]})"
        )
    return f"{config.type} [{target}]: observed {figures.get('observed_value')!r}"


def _exception(item: Any) -> str | None:
    info = item.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message", "")).splitlines()[0]
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message", "")).splitlines()[0]
    return None
