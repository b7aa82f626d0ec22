"""Every difference between DuckDB and PostgreSQL SQL, in one module.

SQL files are Jinja templates; they call these methods as `d.<name>(...)` where the engines
disagree, and plain SQL everywhere else. A method returns a SQL fragment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from billflow.config import Settings
from billflow.errors import ConfigError

_PG_TRY_CASTS = {
    "numeric": "numeric",
    "decimal": "numeric",
    "bigint": "bigint",
    "date": "date",
    "timestamptz": "timestamptz",
    "boolean": "boolean",
}


@dataclass(frozen=True)
class Dialect:
    """Base: the SQL both engines accept. Subclasses override only what differs."""

    name: str = "base"
    json: str = "JSON"
    money: str = "DECIMAL(18,3)"
    wide_int: str = "HUGEINT"

    def json_records(self, content: str, key: str) -> str:
        """Set-returning: the elements of `content->key`, or `content` itself (one record)."""
        raise NotImplementedError

    def json_elements(self, array: str) -> str:
        """Set-returning: the elements of a JSON array expression."""
        raise NotImplementedError

    def json_scalar_text(self, value: str) -> str:
        """The text of a JSON scalar (31 -> '31', "a" -> 'a')."""
        raise NotImplementedError

    def json_text(self, value: str) -> str:
        return f"cast({value} as text)"

    def int_div(self, numerator: str, denominator: str) -> str:
        """Integer division truncating toward zero."""
        raise NotImplementedError

    def try_cast(self, value: str, type_: str) -> str:
        """NULL instead of an error when `value` does not convert."""
        raise NotImplementedError

    def year_month(self, day: str) -> str:
        """'2026-03' for a date."""
        raise NotImplementedError

    def regexp_group(self, value: str, pattern: str) -> str:
        """The first capture group of `pattern` in `value`, or NULL."""
        raise NotImplementedError

    def matches(self, value: str, pattern: str) -> str:
        """True when the whole of `value` matches the regular expression `pattern`."""
        raise NotImplementedError

    def sort_key(self, value: str) -> str:
        """Text compared byte by byte, whatever the database's collation (orderings that
        number invoices and lines must not depend on the server's locale)."""
        return value

    def epoch_date_utc(self, seconds: str) -> str:
        """The UTC calendar date of a Unix time in seconds."""
        return f"cast(timezone('UTC', to_timestamp({seconds})) as date)"

    def replace_table(self, table: str, select: str, *, temp: bool = False) -> list[str]:
        raise NotImplementedError

    def session_setup(self, settings: Settings) -> list[str]:
        raise NotImplementedError

    def setup_functions(self, util_schema: str) -> list[str]:
        """Statements run once per warehouse before any model (helper functions)."""
        return []

    def snapshot_read(self) -> list[str]:
        """Statements that make the transaction just begun read one consistent snapshot
        (DuckDB transactions always do)."""
        return []


@dataclass(frozen=True)
class DuckDBDialect(Dialect):
    name: str = "duckdb"

    def json_records(self, content: str, key: str) -> str:
        return (
            f"unnest(case when json_type({content}, '$.{key}') = 'ARRAY' "
            f"then json_extract({content}, '$.{key}[*]') else [json({content})] end)"
        )

    def json_elements(self, array: str) -> str:
        return f"unnest(json_extract({array}, '$[*]'))"

    def json_scalar_text(self, value: str) -> str:
        return f"({value}->>'$')"

    def int_div(self, numerator: str, denominator: str) -> str:
        return f"(({numerator}) // ({denominator}))"

    def try_cast(self, value: str, type_: str) -> str:
        return f"try_cast({value} as {type_})"

    def year_month(self, day: str) -> str:
        return f"strftime({day}, '%Y-%m')"

    def regexp_group(self, value: str, pattern: str) -> str:
        return f"nullif(regexp_extract({value}, '{pattern}', 1), '')"

    def matches(self, value: str, pattern: str) -> str:
        return f"regexp_full_match({value}, '{pattern}')"

    def replace_table(self, table: str, select: str, *, temp: bool = False) -> list[str]:
        kind = "temp table" if temp else "table"
        return [f"create or replace {kind} {table} as\n{select}"]

    def session_setup(self, settings: Settings) -> list[str]:
        statements = [f"set TimeZone = '{settings.company_timezone}'"]
        if settings.duckdb_memory_limit:
            statements.append(f"set memory_limit = '{settings.duckdb_memory_limit}'")
        if settings.duckdb_threads:
            statements.append(f"set threads = {int(settings.duckdb_threads)}")
        if settings.duckdb_temp_directory:
            statements.append(f"set temp_directory = '{settings.duckdb_temp_directory}'")
        return statements


@dataclass(frozen=True)
class PostgresDialect(Dialect):
    name: str = "postgresql"
    json: str = "JSONB"
    money: str = "NUMERIC(18,3)"
    wide_int: str = "NUMERIC"
    util_schema: str = "util"

    def json_records(self, content: str, key: str) -> str:
        return (
            f"jsonb_array_elements(case when jsonb_typeof({content}->'{key}') = 'array' "
            f"then {content}->'{key}' else jsonb_build_array({content}) end)"
        )

    def json_elements(self, array: str) -> str:
        return f"jsonb_array_elements(coalesce({array}, '[]'::jsonb))"

    def json_scalar_text(self, value: str) -> str:
        return f"({value} #>> '{{}}')"

    def int_div(self, numerator: str, denominator: str) -> str:
        return f"div(({numerator})::numeric, ({denominator})::numeric)"

    def try_cast(self, value: str, type_: str) -> str:
        kind = _PG_TRY_CASTS.get(type_.split("(", maxsplit=1)[0].lower())
        if kind is None:
            raise ConfigError(f"no safe cast to {type_} on PostgreSQL")
        if kind == "numeric" and "(" in type_:
            precision, scale = type_.split("(")[1].rstrip(")").split(",")
            bounded = f"{self.util_schema}.try_decimal({value}, {int(precision)}, {int(scale)})"
            return f"cast({bounded} as {type_})"
        return f"{self.util_schema}.try_{kind}({value})"

    def year_month(self, day: str) -> str:
        return f"to_char({day}, 'YYYY-MM')"

    def regexp_group(self, value: str, pattern: str) -> str:
        return f"substring({value} from '{pattern}')"

    def matches(self, value: str, pattern: str) -> str:
        return f"({value} ~ '^(?:{pattern})$')"

    def sort_key(self, value: str) -> str:
        return f'({value}) collate "C"'

    def replace_table(self, table: str, select: str, *, temp: bool = False) -> list[str]:
        # analyze: without statistics the planner takes a fresh table for empty
        if temp:
            return [
                f"drop table if exists pg_temp.{table}",
                f"create temp table {table} as\n{select}",
                f"analyze {table}",
            ]
        return [
            f"drop table if exists {table}",
            f"create table {table} as\n{select}",
            f"analyze {table}",
        ]

    def session_setup(self, settings: Settings) -> list[str]:
        return [f"set time zone '{settings.company_timezone}'"]

    def snapshot_read(self) -> list[str]:
        return ["set transaction isolation level repeatable read, read only"]

    def setup_functions(self, util_schema: str) -> list[str]:
        kinds = sorted(set(_PG_TRY_CASTS.values()))
        return [
            *(_pg_try_function(util_schema, kind) for kind in kinds),
            _pg_try_decimal(util_schema),
        ]


def _pg_try_function(schema: str, kind: str) -> str:
    return f"""
create or replace function {schema}.try_{kind}(value text) returns {kind}
language plpgsql immutable as $body$
begin
  return value::{kind};
exception when others then
  return null;
end
$body$"""


def _pg_try_decimal(schema: str) -> str:
    """NULL unless the text is a finite number that fits DECIMAL(precision, scale) once
    rounded to `scale` places: what DuckDB's try_cast does."""
    return f"""
create or replace function {schema}.try_decimal(value text, digits int, places int)
returns numeric language plpgsql immutable as $body$
declare
  parsed numeric;
begin
  parsed := round(value::numeric, places);
  if parsed::text in ('NaN', 'Infinity', '-Infinity') then
    return null;
  end if;
  if abs(parsed) >= 10::numeric ^ (digits - places) then
    return null;
  end if;
  return parsed;
exception when others then
  return null;
end
$body$"""


def dialect_for(url: str, util_schema: str = "util") -> Dialect:
    """The dialect of a SQLAlchemy URL; a ConfigError for an engine billflow does not speak."""
    if url.startswith("duckdb:"):
        return DuckDBDialect()
    if url.startswith("postgresql"):
        return PostgresDialect(util_schema=util_schema)
    raise ConfigError(
        f"unsupported warehouse URL {url!r}: use duckdb:///path.duckdb or postgresql+psycopg://..."
    )


def load_pages_duckdb(execute: Callable[[str], None], files: Sequence[str]) -> None:
    """Read page files straight into the temp table `landing_pages` (DuckDB reads the disk)."""
    listed = ", ".join("'" + name.replace("'", "''") + "'" for name in files)
    execute(
        "create or replace temp table landing_pages as "
        "select filename as page, content from "
        f"read_text([{listed}])"
        if files
        else "create or replace temp table landing_pages (page varchar, content varchar)"
    )


def load_pages_postgres(connection: Any, pages: Iterable[tuple[str, str]]) -> None:
    """COPY (page, JSON text) pairs into the temp table `landing_pages` (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("drop table if exists pg_temp.landing_pages")
        cursor.execute("create temp table landing_pages (page text, content jsonb)")
        with cursor.copy("copy landing_pages (page, content) from stdin") as copy:
            for page, content in pages:
                copy.write_row((page, content))
