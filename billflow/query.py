"""`billflow sql`: read-only SQL on the warehouse, printed as a table (DuckDB or PostgreSQL)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from billflow.config import Settings
from billflow.errors import BillflowError, one_line


def run_query(settings: Settings, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of one read-only query."""
    url = settings.warehouse_url
    try:
        if url.startswith("duckdb:"):
            return _duckdb_query(make_url(url).database or ":memory:", sql)
        return _postgres_query(url, sql)
    except BillflowError:
        raise
    except Exception as exc:
        raise BillflowError(f"query failed: {one_line(exc)}") from exc


def _duckdb_query(path: str, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    import duckdb

    try:
        connection = duckdb.connect(path, read_only=True)
    except duckdb.IOException as exc:
        raise BillflowError(
            f"cannot open {path} read-only ({one_line(exc)}); "
            "if a run is writing, try again when it ends"
        ) from exc
    try:
        cursor = connection.execute(sql)
        columns = [item[0] for item in cursor.description or []]
        return columns, list(cursor.fetchall())
    finally:
        connection.close()


def _postgres_query(url: str, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("set transaction read only")
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(sql)
            columns = [item[0] for item in cursor.description or []]
            return columns, list(cursor.fetchall())
    finally:
        engine.dispose()


def format_table(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    """A plain aligned text table; numbers right-aligned, NULL shown as empty."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(columns)]
    numeric = [
        all(
            isinstance(row[i], int | float) or _is_decimal(row[i])
            for row in rows
            if row[i] is not None
        )
        for i in range(len(columns))
    ]

    def line(values: list[str]) -> str:
        return "  ".join(
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    footer = f"({len(rows)} row{'s' if len(rows) != 1 else ''})"
    return "\n".join([line(columns), rule, *(line(row) for row in cells), footer])


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _is_decimal(value: Any) -> bool:
    from decimal import Decimal

    return isinstance(value, Decimal)
