"""Test helpers: running the flow over dates, and reading or fingerprinting a warehouse."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from billflow import pipeline
from billflow.cli import backfill_dates
from billflow.commands import cancel_contract, credit_invoice, liquidate_contract
from billflow.config import Settings
from billflow.contracts import load_layer
from billflow.generator import render
from billflow.landing import land_pages
from billflow.paths import ROOT
from billflow.pipeline import Run
from billflow.summary import RunSummary
from billflow.warehouse import PERSISTENT_LAYERS, Schemas, Warehouse
from connectors.files import FileConnector
from connectors.streams import STREAMS

# The demo's schedule: weekly from Monday 5 January to Wednesday 15 April 2026.
DEMO_DATES = backfill_dates(date(2026, 1, 5), date(2026, 4, 15), 7)


def run_nightly(as_of: date, **options: Any) -> RunSummary:
    from flows.nightly import nightly_billing

    summary: RunSummary = nightly_billing(as_of=as_of, **options)
    return summary


def run_dates(dates: list[date], **options: Any) -> list[RunSummary]:
    return [run_nightly(as_of, **options) for as_of in dates]


def run_demo_commands(settings: Settings) -> list[str]:
    """The commands `make demo` runs after its backfill (the Makefile's `demo` target)."""
    on = date(2026, 4, 15)
    return [
        cancel_contract(settings, "C-18405", "The client chose another vendor", "Ann Lee", on),
        credit_invoice(
            settings,
            "INV-2026-000005",
            reason="Chen's February hours were billed at the wrong rate",
            actor="Ann Lee",
            acted_on=on,
            lines=[3],
        ),
        liquidate_contract(settings, "C-18412", "LIQ-2026-001", "Ann Lee", on),
    ]


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
    order = order_by or ", ".join(load_layer("marts")[table].primary_key or columns)
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


def sample_scenario() -> dict[str, Any]:
    """data/sample.yml as a dict, to edit into a case and render with `render_pages`."""
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "data" / "sample.yml").read_text())
    return loaded


def render_pages(scenario: dict[str, Any], folder: Path) -> Path:
    """Render an (edited) scenario with the generator; returns the pages folder."""
    return render_counted(scenario, folder)[0]


def render_counted(scenario: dict[str, Any], folder: Path) -> tuple[Path, dict[str, int]]:
    """Render an (edited) scenario; returns the pages folder and the records per stream."""
    folder.mkdir(parents=True)
    path = folder / "scenario.yml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    counts = render(path, folder / "pages")
    return folder / "pages", counts


def land(wh: Warehouse, source_dir: Path, run_id: str) -> tuple[int, int]:
    """Land every page of a folder without Prefect; (records read, new versions)."""
    pages = [page for s in STREAMS for page in FileConnector(s.source, source_dir).fetch(s)]
    result = land_pages(wh, pages, run_id)
    return sum(result.records.values()), sum(result.new_versions.values())


@dataclass
class ScenarioCase:
    """An edited sample company, billed run by run the way the nightly flow bills it (without
    Prefect or the quality gate); edit `scenario` between runs to change what the sources say."""

    settings: Settings
    scenario: dict[str, Any]
    folder: Path
    runs: int = 0
    pages: dict[str, list[Any]] = field(default_factory=dict)
    """Vendor pages the generator does not render (Harvest), by folder (`harvest/time_entries`):
    written beside the rendered ones, `page_0001.json` and on, at every run."""

    def run(self, as_of: date) -> None:
        self.runs += 1
        pages = render_pages(self.scenario, self.folder / f"run{self.runs}")
        for folder, bodies in self.pages.items():
            (pages / folder).mkdir(parents=True, exist_ok=True)
            for number, body in enumerate(bodies, start=1):
                (pages / folder / f"page_{number:04d}.json").write_text(json.dumps(body))
        warehouse = Warehouse(self.settings)
        try:
            warehouse.init()
            land(warehouse, pages, f"run{self.runs}")
            run = Run(warehouse, as_of, f"run{self.runs}")
            for step in STEPS:
                step(run)
            pipeline.publish(run, pipeline.conservation(run))
        finally:
            warehouse.close()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return rows(self.settings, sql)

    def invoice_number(self, draft_key: str) -> str:
        found = self.rows(
            f"select invoice_number from {{marts}}.invoices where draft_key = '{draft_key}'"
        )
        assert found, f"no invoice for {draft_key}"
        return str(found[0][0])

    def invoice_lines(self, draft_key: str) -> list[tuple[Any, ...]]:
        """(line type, description, minutes, unit price, amount, reference) of its invoice."""
        return self.rows(
            "select line_type, description, minutes, unit_price, amount, reference "
            "from {marts}.invoice_lines as lines inner join {marts}.invoices as invoices "
            f"on invoices.invoice_number = lines.invoice_number where draft_key = '{draft_key}' "
            "order by line_no"
        )

    def pay(self, draft_key: str, amount: str, at: str) -> None:
        """A Stripe payment of the invoice issued from `draft_key`, in its currency."""
        number = self.invoice_number(draft_key)
        (currency,) = self.rows(
            f"select currency from {{marts}}.invoices where invoice_number = '{number}'"
        )[0]
        seq = len(self.scenario["payments"]) + 1
        self.scenario["payments"].append(
            {
                "event_id": f"evt_case{seq:04d}",
                "payment_intent": f"pi_case{seq:04d}",
                "at": at,
                "amount": amount,
                "currency": str(currency).lower(),
                "invoice_number": number,
            }
        )


def copy_warehouse(source: Settings, target: Settings) -> None:
    """Copy every persistent table and the documents; the copy keeps the keys of the tables."""
    if source.warehouse_url.startswith("duckdb"):
        source_file = Path(str(make_url(source.warehouse_url).database))
        target_file = Path(str(make_url(target.warehouse_url).database))
        target_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source_file, target_file)
        if Path(f"{source_file}.wal").exists():
            shutil.copyfile(f"{source_file}.wal", f"{target_file}.wal")
    else:
        warehouse = Warehouse(target)
        try:
            warehouse.init()
            origin = Schemas.prefixed(source.schema_prefix)
            for layer in PERSISTENT_LAYERS:
                for table in load_layer(layer).values():
                    columns = ", ".join(table.column_names)
                    warehouse.execute(
                        f"insert into {warehouse.qualified(table)} ({columns}) "
                        f"select {columns} from {getattr(origin, layer)}.{table.name}"
                    )
        finally:
            warehouse.close()
    if source.documents_dir.exists():
        shutil.copytree(source.documents_dir, target.documents_dir)


STEPS = (
    pipeline.stage,
    pipeline.bill,
    pipeline.reconcile,
    pipeline.issue,
    pipeline.apply_payments,
    pipeline.age,
    pipeline.forecast,
    pipeline.notify,
)

_LAYERS = ("raw", "staging", "build", "marts", "audit", "quarantine")
