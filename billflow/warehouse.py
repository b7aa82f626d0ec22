"""The warehouse: a SQLAlchemy URL, its schemas, and the way SQL templates run on it.

SQL lives in `sql/` as Jinja templates rendered with the schema names (`s`), the dialect (`d`,
engine differences), the settings (`cfg`) and run parameters such as `as_of`. Statements run on
one DBAPI connection in autocommit mode; `transaction()` groups them.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.engine import make_url

from billflow.config import Settings
from billflow.contracts import Table, create_table_sql, load_layer, sql_type
from billflow.dialects import Dialect, dialect_for
from billflow.errors import ConfigError, WarehouseUnavailableError, masked, one_line
from billflow.paths import SQL_DIR

PERSISTENT_LAYERS = ("raw", "quarantine", "marts", "audit")
LAYERS = ("raw", "staging", "build", "marts", "audit", "quarantine", "util")


@dataclass(frozen=True)
class Schemas:
    """Schema names, each with the configured prefix (tests isolate runs this way)."""

    raw: str
    staging: str
    build: str
    marts: str
    audit: str
    quarantine: str
    util: str

    @classmethod
    def prefixed(cls, prefix: str) -> Schemas:
        return cls(*(f"{prefix}{layer}" for layer in LAYERS))

    def all(self) -> list[str]:
        return [getattr(self, layer) for layer in LAYERS]


@dataclass
class RawInputs:
    """The table staging reads the landed records from: raw.records, or in a dry run a view
    of raw.records plus what the run would have landed (billflow/landing.py)."""

    records: str


class Warehouse:
    """One connection to the configured warehouse, with the helpers every task needs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.schemas = Schemas.prefixed(_checked_prefix(settings.schema_prefix))
        self.dialect: Dialect = dialect_for(settings.warehouse_url, self.schemas.util)
        self.engine = sa.create_engine(_engine_url(settings.warehouse_url), poolclass=sa.NullPool)
        self._raw = _connect(self.engine, settings.warehouse_url, settings.lock_timeout_seconds)
        self._conn = self._raw.driver_connection
        self._mutex = threading.RLock()
        self.inputs = RawInputs(f"{self.schemas.raw}.records")
        self._in_transaction = False
        if self.dialect.name == "postgresql":
            self._conn.autocommit = True  # type: ignore[union-attr]
        for statement in self.dialect.session_setup(settings):
            self.execute(statement)
        self._jinja = _jinja_environment(self)

    def duckdb_connection(self) -> Any:
        """The underlying DuckDB connection (for tools that need the database instance)."""
        if self.dialect.name != "duckdb":
            raise ConfigError("the warehouse is not DuckDB")
        return self._conn._ConnectionWrapper__c  # type: ignore[union-attr]

    def render(self, template: str, **params: Any) -> str:
        """Render a template file, path relative to sql/."""
        return self._jinja.get_template(template).render(**params)

    def render_string(self, source: str, **params: Any) -> str:
        """Render a SQL snippet held in code (stream keys, for instance)."""
        return self._jinja.from_string(source).render(**params)

    def execute(self, sql: str) -> None:
        with self._mutex:
            self._conn.cursor().execute(sql)  # type: ignore[union-attr]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with self._mutex:
            cursor = self._conn.cursor()  # type: ignore[union-attr]
            cursor.execute(sql)
            return list(cursor.fetchall())

    def scalar(self, sql: str) -> Any:
        rows = self.query(sql)
        return rows[0][0] if rows else None

    def columns(self, sql: str) -> list[str]:
        """Column names of a query's result."""
        with self._mutex:
            cursor = self._conn.cursor()  # type: ignore[union-attr]
            cursor.execute(f"select * from ({sql}) as q limit 0")
            return [item[0] for item in cursor.description]

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Append many rows of Python values at once: DuckDB reads them as an Arrow table,
        PostgreSQL by COPY (a VALUES list of thousands of rows is slow to parse)."""
        if not rows:
            return
        listed = ", ".join(columns)
        with self._mutex:
            if self.dialect.name == "duckdb":
                import pyarrow as pa

                data = pa.table({c: [row[i] for row in rows] for i, c in enumerate(columns)})
                connection = self.duckdb_connection()
                connection.register("billflow_rows_in", data)
                try:
                    connection.execute(
                        f"insert into {table} ({listed}) select {listed} from billflow_rows_in"
                    )
                finally:
                    connection.unregister("billflow_rows_in")
                return
            with (
                self._conn.cursor() as cursor,  # type: ignore[union-attr]
                cursor.copy(f"copy {table} ({listed}) from stdin") as copy,
            ):
                for row in rows:
                    copy.write_row(row)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all. A transaction opened inside
        another joins it: the outer one commits or rolls back the whole."""
        with self._mutex:
            if self._in_transaction:
                yield
                return
            self.execute("begin transaction" if self.dialect.name == "duckdb" else "begin")
            self._in_transaction = True
            try:
                yield
            except BaseException:
                self.execute("rollback")
                raise
            finally:
                self._in_transaction = False
            self.execute("commit")

    def replace_table(self, table: str, select: str, *, temp: bool = False) -> int:
        """(Re)create `table` from a SELECT; returns its row count."""
        for statement in self.dialect.replace_table(table, select, temp=temp):
            self.execute(statement)
        return int(self.scalar(f"select count(*) from {table}"))

    def build_model(self, schema: str, template: str, **params: Any) -> int:
        """Render sql/<template>, materialise it as <schema>.<model name>; returns the row count."""
        name = Path(template).stem
        return self.replace_table(f"{schema}.{name}", self.render(template, **params))

    def init(self) -> None:
        """Create schemas, helper functions and every persistent table; safe to repeat."""
        for schema in self.schemas.all():
            self.execute(f"create schema if not exists {schema}")
        for statement in self.dialect.setup_functions(self.schemas.util):
            self.execute(statement)
        for layer in PERSISTENT_LAYERS:
            for table in load_layer(layer).values():
                self.execute(create_table_sql(table, self.qualified(table), self.dialect))
                self._migrate(table)

    def _migrate(self, table: Table) -> None:
        """Bring a table made by an earlier release up to its contract: add the new columns
        (nullable) and let columns the contract dropped take NULL. Nothing is deleted."""
        schema = getattr(self.schemas, table.schema)
        present = {
            name
            for (name,) in self.query(
                "select column_name from information_schema.columns "
                f"where table_schema = '{schema}' and table_name = '{table.name}'"
            )
        }
        qualified = self.qualified(table)
        for column in table.columns:
            if column.name not in present:
                kind = sql_type(column.type, self.dialect)
                self.execute(f"alter table {qualified} add column {column.name} {kind}")
        for name in sorted(present - set(table.column_names)):
            self.execute(f"alter table {qualified} alter column {name} drop not null")

    def qualified(self, table: Table) -> str:
        return f"{getattr(self.schemas, table.schema)}.{table.name}"

    def drop_all(self) -> None:
        """Drop every billflow schema of this prefix (tests clean up with it)."""
        for schema in self.schemas.all():
            self.execute(f"drop schema if exists {schema} cascade")

    def close(self) -> None:
        with self._mutex:
            self._raw.close()
            self.engine.dispose()


def _jinja_environment(warehouse: Warehouse) -> Environment:
    env = Environment(
        loader=FileSystemLoader(SQL_DIR),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.globals.update(
        s=warehouse.schemas, d=warehouse.dialect, cfg=warehouse.settings, inputs=warehouse.inputs
    )
    for macro_file in sorted((SQL_DIR / "macros").glob("*.sql")):
        env.globals[macro_file.stem] = env.get_template(f"macros/{macro_file.name}").module
    return env


def _connect(engine: sa.Engine, url: str, wait_seconds: float) -> Any:
    """A raw DBAPI connection, or one line saying why there is none.

    A DuckDB file that another process has open (an analyst's notebook, say) is retried until
    `wait_seconds` pass: DuckDB lets one process at a time hold the file.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return engine.raw_connection()
        except Exception as exc:
            held = "lock" in str(exc).lower() and url.startswith("duckdb:")
            if held and time.monotonic() < deadline:
                time.sleep(0.5)
                continue
            hint = "; it is open in another process: close it or run later" if held else ""
            raise WarehouseUnavailableError(
                f"cannot open the warehouse {masked(url)}: {one_line(exc)}{hint}"
            ) from exc


def _checked_prefix(prefix: str) -> str:
    if not re.fullmatch(r"[a-z0-9_]*", prefix):
        raise ConfigError(f"schema_prefix {prefix!r} may hold only a-z, 0-9 and _")
    return prefix


def _engine_url(url: str) -> str:
    if url.startswith("duckdb:"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    return url


def sql_literal(value: str | None) -> str:
    """A SQL string literal (quotes doubled), or NULL."""
    if value is None:
        return "null"
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: Sequence[str]) -> str:
    return ", ".join(sql_literal(value) for value in values)
