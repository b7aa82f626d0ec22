"""The staging quality gate: Great Expectations suites run in the warehouse, as SQL.

Record-level problems go to quarantine and the run goes on. These expectations look at a
batch as a whole, for what no single record shows: a unit change (hours sent as minutes, rates
in major units), a broken sync (time on projects Teamwork did not send), a feed that is mostly
garbage. A failed expectation stops the run before publish, with one line per failure. GX runs
its checks as SQL on the warehouse tables, never on pandas copies of them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from billflow.errors import ValidationFailedError, one_line
from billflow.warehouse import Warehouse


@dataclass(frozen=True)
class Check:
    """One expectation: its GX class name and keyword arguments (`{staging}` is the schema)."""

    kind: str
    kwargs: dict[str, Any] = field(default_factory=dict)


SUITES: dict[str, tuple[Check, ...]] = {
    "stg_teamwork__time_entries": (
        # hours sent as minutes would put the mean near 1-8
        Check(
            "ExpectColumnMeanToBeBetween", {"column": "minutes", "min_value": 10, "max_value": 720}
        ),
        Check(
            "UnexpectedRowsExpectation",
            {
                "description": "more than 5% of the time is on projects Teamwork did not send",
                "unexpected_rows_query": (
                    "select * from (select count(*) as entries, sum(case when p.project_id is null "
                    "then 1 else 0 end) as orphans from {batch} t left join "
                    "{staging}.stg_teamwork__projects p on p.project_id = t.project_id) as s "
                    "where s.orphans * 20 > s.entries"
                ),
            },
        ),
        Check(
            "UnexpectedRowsExpectation",
            {
                "description": "more time entries were quarantined than staged",
                "unexpected_rows_query": (
                    "select * from (select count(*) as staged from {batch}) as b, "
                    "(select count(*) as quarantined "
                    "from {staging}.stg_teamwork__time_entries__checked "
                    "where _rule is not null) as q where q.quarantined > b.staged"
                ),
            },
        ),
    ),
    "stg_harvest__time_entries": (
        Check(
            "UnexpectedRowsExpectation",
            {
                "description": "more Harvest time entries were quarantined than staged",
                "unexpected_rows_query": (
                    "select * from (select count(*) as staged from {batch}) as b, "
                    "(select count(*) as quarantined "
                    "from {staging}.stg_harvest__time_entries__checked "
                    "where _rule is not null) as q where q.quarantined > b.staged"
                ),
            },
        ),
    ),
    "stg_teamwork__rates": (
        # rates in major units (150 for 150.00/h) would put the mean under 100
        Check(
            "ExpectColumnMeanToBeBetween",
            {"column": "rate_minor", "min_value": 100, "max_value": 100_000_000},
        ),
    ),
}


def validate_staging(wh: Warehouse) -> dict[str, int]:
    """Run the suites of the tables that have rows; raise ValidationFailedError on a failure."""
    gx, expectations = _import_gx()
    context = gx.get_context(mode="ephemeral")
    _quiet(context)
    datasource = _datasource(context, wh)
    failures: list[str] = []
    counts: dict[str, int] = {}
    for table, checks in SUITES.items():
        if not wh.scalar(f"select count(*) from {wh.schemas.staging}.{table}"):
            continue
        definition = datasource.add_table_asset(name=table, table_name=table)
        batch = definition.add_batch_definition_whole_table("all rows").get_batch()
        suite = gx.ExpectationSuite(name=f"{table} suite")
        for check in checks:
            suite.add_expectation(getattr(expectations, check.kind)(**_filled(check.kwargs, wh)))
        failures.extend(f"{table}: {line}" for line in _failure_lines(batch.validate(suite)))
        counts[table] = len(checks)
    if failures:
        raise ValidationFailedError(
            "staging quality gate failed, nothing published: " + "; ".join(failures)
        )
    return counts


def _filled(kwargs: dict[str, Any], wh: Warehouse) -> dict[str, Any]:
    return {
        key: value.replace("{staging}", wh.schemas.staging) if isinstance(value, str) else value
        for key, value in kwargs.items()
    }


def _import_gx() -> tuple[Any, Any]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations import expectations

    return gx, expectations


def _quiet(context: Any) -> None:
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
    label = config.kwargs.get("column") or config.description or "table"
    error = _exception(item)
    if error:
        return f"{config.type} [{label}] could not run: {error}"
    observed = (item.result or {}).get("observed_value")
    shown = f"{observed:.2f}" if isinstance(observed, float) else repr(observed)
    return f"{config.type} [{label}]: observed {shown}"


def _exception(item: Any) -> str | None:
    info = item.exception_info or {}
    candidates = [info, *(value for value in info.values() if isinstance(value, dict))]
    for candidate in candidates:
        if candidate.get("raised_exception"):
            return one_line(Exception(str(candidate.get("exception_message", ""))))
    return None
