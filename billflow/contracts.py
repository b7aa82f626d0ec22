"""Table contracts: the YAML files in sql/contracts/ describe every persistent table.

One description serves three purposes: the DDL that creates the table (types, keys), the
column list that publish copies, and docs/tables.md (generated, checked by a test).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from billflow.dialects import Dialect
from billflow.paths import SQL_DIR

CONTRACT_DIR = SQL_DIR / "contracts"

_TYPES = {
    "text": ("VARCHAR", "TEXT"),
    "integer": ("INTEGER", "INTEGER"),
    "bigint": ("BIGINT", "BIGINT"),
    "boolean": ("BOOLEAN", "BOOLEAN"),
    "date": ("DATE", "DATE"),
    "timestamp": ("TIMESTAMPTZ", "TIMESTAMPTZ"),
    "money": ("DECIMAL(18,3)", "NUMERIC(18,3)"),
    "hours": ("DECIMAL(12,2)", "NUMERIC(12,2)"),
    "days": ("DECIMAL(9,2)", "NUMERIC(9,2)"),
    "rate": ("DECIMAL(18,4)", "NUMERIC(18,4)"),
    "ratio": ("DECIMAL(9,6)", "NUMERIC(9,6)"),
    "percent": ("DECIMAL(9,6)", "NUMERIC(9,6)"),
    "seconds": ("DECIMAL(12,3)", "NUMERIC(12,3)"),
    "json": ("JSON", "JSONB"),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    nullable: bool


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    grain: str
    publish: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...]
    example: str

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


def sql_type(type_name: str, dialect: Dialect) -> str:
    duck, pg = _TYPES[type_name]
    return duck if dialect.name == "duckdb" else pg


def create_table_sql(table: Table, qualified: str, dialect: Dialect) -> str:
    """CREATE TABLE IF NOT EXISTS with the contract's types, keys and NOT NULLs."""
    lines = [
        f"{c.name} {sql_type(c.type, dialect)}{'' if c.nullable else ' NOT NULL'}"
        for c in table.columns
    ]
    if table.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(table.primary_key)})")
    lines.extend(f"UNIQUE ({', '.join(key)})" for key in table.unique)
    body = ",\n  ".join(lines)
    return f"CREATE TABLE IF NOT EXISTS {qualified} (\n  {body}\n)"


@cache
def load_layer(layer: str) -> dict[str, Table]:
    """The tables of one layer (raw, staging, marts, audit, quarantine), in file order."""
    document = yaml.safe_load((CONTRACT_DIR / f"{layer}.yml").read_text())
    return {
        name: _table(document["schema"], name, spec) for name, spec in document["tables"].items()
    }


def _table(schema: str, name: str, spec: dict[str, Any]) -> Table:
    columns = tuple(_column(col_name, col) for col_name, col in spec["columns"].items())
    unknown = {c.type for c in columns} - set(_TYPES)
    if unknown:
        raise ValueError(f"{schema}.{name}: unknown column types {sorted(unknown)}")
    return Table(
        schema=schema,
        name=name,
        grain=spec.get("grain", ""),
        publish=spec.get("publish", "replace"),
        columns=columns,
        primary_key=tuple(spec.get("primary_key", ())),
        unique=tuple(tuple(key) for key in spec.get("unique", ())),
        example=spec.get("example", "").strip(),
    )


def _column(name: str, spec: dict[str, Any]) -> Column:
    return Column(
        name=name,
        type=spec["type"],
        description=spec.get("description", ""),
        nullable=spec.get("nullable", True),
    )
