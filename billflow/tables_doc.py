"""docs/tables.md, generated from the table contracts (sql/contracts/*.yml).

`python -m billflow.tables_doc` rewrites it; a test fails when it is out of date, so the
document always matches the tables.
"""

from __future__ import annotations

import sys

from billflow.contracts import Table, load_layer, sql_type
from billflow.dialects import DuckDBDialect, PostgresDialect
from billflow.paths import DOCS_DIR

DOC_PATH = DOCS_DIR / "tables.md"

_INTRO = """# Tables

Generated from `sql/contracts/*.yml` by `python -m billflow.tables_doc`; do not edit by hand.

Every table lives in a schema: `raw`, `staging`, `marts`, `audit`, `quarantine`, each prefixed
by the setting `schema_prefix` (empty by default). Analysts read `marts`.

- **Money** columns are `DECIMAL(18,3)` in DuckDB and `NUMERIC(18,3)` in PostgreSQL. Each
  amount is rounded half-up (away from zero) to its currency's minor unit, so USD values end in
  `0` in the third place. Every amount is in its row's `currency`, and billflow never converts
  between currencies.
- **Hours** are `DECIMAL(12,2)`. Billing uses exact minutes; hours are rounded for display.
- **Dates** are calendar dates in the company time zone (setting `company_timezone`).
- **`as_of`** is the business date of the run that wrote the row. Reruns with the same inputs
  and `as_of` write identical rows.
- **Publish modes.** With *replace*, each run replaces the table's rows. With *snapshot*, a run
  replaces only the rows of its `as_of` and keeps earlier ones. Both happen in one
  transaction per run.

Query with the DuckDB command line (`duckdb -readonly var/billflow.duckdb`) or from Python:

```python
import duckdb

con = duckdb.connect("var/billflow.duckdb", read_only=True)
con.sql("select invoice_number, total, status from marts.invoices").show()
```

Read money through `fetchall()` (Python `Decimal`) or Arrow (`.to_arrow_table()`), not
`.df()`: pandas turns DECIMAL into float.
"""

_TYPE_NOTES = {
    "money": "money",
    "hours": "hours",
    "days": "days",
    "rate": "rate",
    "ratio": "fraction",
    "percent": "percent",
    "seconds": "seconds",
}


def render() -> str:
    sections = [_INTRO]
    for layer in ("marts", "quarantine", "audit", "raw"):
        sections.append(f"## Schema `{layer}`\n")
        sections.extend(_table(table) for table in load_layer(layer).values())
    return "\n".join(sections).rstrip() + "\n"


def _table(table: Table) -> str:
    keys = ", ".join(table.primary_key) or "none"
    header = [
        f"### `{table.schema}.{table.name}`",
        "",
        f"Grain: {table.grain}. Key: ({keys}). Publish: {table.publish}.",
        "",
        "| column | type (DuckDB / PostgreSQL) | null | meaning |",
        "|---|---|---|---|",
    ]
    body = [
        f"| `{c.name}` | {_type(c.type)} | {'yes' if c.nullable else 'no'} | {c.description} |"
        for c in table.columns
    ]
    example = ["", "```sql", table.example, "```", ""] if table.example else [""]
    return "\n".join(header + body + example)


def _type(name: str) -> str:
    duck, postgres = sql_type(name, DuckDBDialect()), sql_type(name, PostgresDialect())
    shown = duck if duck == postgres else f"{duck} / {postgres}"
    note = _TYPE_NOTES.get(name)
    return f"{shown} ({note})" if note else shown


def main() -> int:
    DOC_PATH.write_text(render())
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
