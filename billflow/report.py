"""The finance report: one self-contained HTML page of the marts, for people who would rather
look than read (headline figures, AR aging, cash forecast, contracts and their payment
timeline, held drafts, reminders due).

Every figure is read from the marts tables analysts query, by the SQL in `sql/report/`. Money
stays Decimal and is printed with `format_money`; the charts (billflow/charts.py) draw with
floats but label with the same Decimal strings. The page inlines its styles and plotly.js, so
it opens offline and fetches nothing. It is written to
`<documents_dir>/reports/report-<as_of>[-<CUR>].html`, atomically, by `billflow report` and by
each nightly run after publish and the outbox's delivery (so its reminders show as delivered).

The marts hold one state, the one the latest run published (the snapshot tables keep earlier
ones, the others do not), so the report is drawn for that run's as_of only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import TemplateError
from markupsafe import Markup
from sqlalchemy.engine import make_url

from billflow import charts
from billflow.config import Settings
from billflow.documents import BUILTIN_TEMPLATES, document_environment, long_date, write_atomically
from billflow.errors import BillflowError, one_line
from billflow.money import MINOR_UNITS
from billflow.warehouse import Warehouse, sql_literal

REPORT_TEMPLATE = "report.html.j2"
FIGURES = (
    "invoiced", "credited", "collected", "open", "overdue", "dso", "held", "unbilled", "unapplied",
)  # fmt: skip

Record = dict[str, Any]


class ReportError(BillflowError):
    """No report can be drawn: a warehouse never run, or an as_of or currency it has not."""


@dataclass(frozen=True)
class Figure:
    """One headline figure of one currency: a count, an amount, and hours or days. Without a
    row in the marts: no items, nothing, no hours."""

    items: int = 0
    amount: Decimal | None = Decimal(0)
    quantity: Decimal | None = None


@dataclass(frozen=True)
class CurrencyView:
    """What the report shows of one currency (money is never converted)."""

    currency: str
    figures: dict[str, Figure]
    buckets: list[Record]
    aging: list[Record]
    aging_chart: Markup | None
    forecast: list[Record]
    forecast_total: Decimal | None
    forecast_chart: Markup | None


def write_report(settings: Settings, as_of: date | None, currency: str | None) -> Path:
    """`billflow report`: the page of the marts as the latest run left them."""
    _require_warehouse(settings)
    wh = Warehouse(settings)
    try:
        published = published_as_of(wh)
        if as_of is not None and as_of != published:
            raise ReportError(
                f"the marts hold the run of {published}, not {as_of}: the report shows them as "
                "the latest run left them (leave out --as-of)"
            )
        return render_report(wh, published, currency)
    finally:
        wh.close()


def render_report(wh: Warehouse, as_of: date, currency: str | None = None) -> Path:
    """Write the report of the marts at `as_of` (every currency, or one); returns its path."""
    code = _currency_code(currency)
    context = report_context(wh, as_of, code)
    path = report_path(wh.settings.documents_dir, as_of, code)
    write_atomically(path, _render(wh.settings, context))
    return path


def report_path(documents_dir: Path, as_of: date, currency: str | None = None) -> Path:
    """`<documents_dir>/reports/report-2026-04-15.html`, or `...-USD.html` for one currency."""
    suffix = f"-{currency}" if currency else ""
    return documents_dir / "reports" / f"report-{as_of.isoformat()}{suffix}.html"


def published_as_of(wh: Warehouse) -> date:
    """The as_of of the latest completed run (audit.runs): the state the marts hold."""
    schema = wh.schemas.audit
    present = wh.scalar(
        "select count(*) from information_schema.tables "
        f"where table_schema = {sql_literal(schema)} and table_name = 'runs'"
    )
    latest = None
    if present:
        latest = wh.scalar(
            f"select as_of from {schema}.runs where status = 'COMPLETED' "
            "order by finished_at desc limit 1"
        )
    if latest is None:
        raise ReportError("no run has published the marts yet: run billflow nightly first")
    return date.fromisoformat(str(latest))


def report_context(wh: Warehouse, as_of: date, currency: str | None) -> Record:
    """Everything the template shows, read from the marts."""
    params = {
        "as_of": f"date '{as_of.isoformat()}'",
        "month_start": f"date '{as_of.replace(day=1).isoformat()}'",
        "currency": sql_literal(currency) if currency else None,
    }
    figures = _rows(wh, "headline.sql", params)
    views = _currency_views(wh, params, _currencies(wh, params, currency, as_of), figures)
    timeline = _timeline_chart(_rows(wh, "payment_timeline.sql", params), as_of)
    drawn = timeline or any(view.aging_chart or view.forecast_chart for view in views)
    return {
        "title": "Finance report",
        "as_of": as_of,
        "period": f"{long_date(as_of.replace(day=1))} to {long_date(as_of)}",
        "seller_name": wh.settings.seller_name,
        "currency": currency,
        "views": views,
        "unbilled_without_contract": _figure(figures, None, "unbilled"),
        "contracts": _rows(wh, "contracts.sql", params),
        "timeline_chart": timeline,
        "held": _rows(wh, "held_drafts.sql", params),
        "reminders": _rows(wh, "reminders.sql", params),
        "sources": charts.SOURCES,
        "plotly_js": Markup(charts.plotly_bundle()) if drawn else None,
    }


def _currencies(wh: Warehouse, params: Record, currency: str | None, as_of: date) -> list[str]:
    codes = [row["currency"] for row in _rows(wh, "currencies.sql", params)]
    if currency is None:
        return codes
    if currency not in codes:
        raise ReportError(
            f"the marts have no figures in {currency} as of {as_of} "
            f"(they have {', '.join(codes) or 'none'})"
        )
    return [currency]


def _currency_views(
    wh: Warehouse, params: Record, codes: list[str], figures: list[Record]
) -> list[CurrencyView]:
    buckets = _grouped(_rows(wh, "aging_buckets.sql", params))
    aging = _grouped(_rows(wh, "aging_by_client.sql", params))
    forecast = _grouped(_rows(wh, "cash_forecast.sql", params))
    return [
        CurrencyView(
            currency=code,
            figures={name: _figure(figures, code, name) for name in FIGURES},
            buckets=buckets[code],
            aging=_aging_table(aging[code]),
            aging_chart=_aging_chart(code, aging[code], buckets[code]),
            forecast=_forecast_table(forecast[code]),
            forecast_total=forecast[code][0]["currency_total"] if forecast[code] else None,
            forecast_chart=_forecast_chart(code, forecast[code]),
        )
        for code in codes
    ]


def _figure(figures: list[Record], currency: str | None, name: str) -> Figure:
    for row in figures:
        if row["currency"] == currency and row["figure"] == name:
            return Figure(int(row["items"] or 0), row["amount"], row["quantity"])
    return Figure()


def _aging_table(rows: list[Record]) -> list[Record]:
    """One row per client: its balance per bucket and in all."""
    clients: dict[str, Record] = {}
    for row in rows:
        client = clients.setdefault(
            row["client_name"],
            {"client_name": row["client_name"], "balance": row["client_balance"], "cells": {}},
        )
        client["cells"][row["bucket"]] = row
    return list(clients.values())


def _aging_chart(code: str, rows: list[Record], buckets: list[Record]) -> Markup | None:
    if not rows:
        return None
    names = [bucket["bucket"] for bucket in buckets]
    return Markup(charts.aging_chart(f"chart-aging-{code}", rows, names))


def _forecast_table(rows: list[Record]) -> list[Record]:
    """One row per source: what it brings over the weeks, and how many items."""
    return list({row["source"]: row for row in rows}.values())


def _forecast_chart(code: str, rows: list[Record]) -> Markup | None:
    if not rows:
        return None
    return Markup(charts.forecast_chart(f"chart-forecast-{code}", rows))


def _timeline_chart(events: list[Record], as_of: date) -> Markup | None:
    if not events:
        return None
    return Markup(charts.timeline_chart("chart-timeline", events, as_of))


def _rows(wh: Warehouse, template: str, params: Record) -> list[Record]:
    """The rows of a report query (sql/report/), as dicts."""
    sql = wh.render(f"report/{template}", **params)
    columns = wh.columns(sql)
    return [dict(zip(columns, row, strict=True)) for row in wh.query(sql)]


def _grouped(rows: list[Record]) -> defaultdict[str, list[Record]]:
    groups: defaultdict[str, list[Record]] = defaultdict(list)
    for row in rows:
        groups[row["currency"]].append(row)
    return groups


def _currency_code(currency: str | None) -> str | None:
    if currency is None:
        return None
    code = currency.strip().upper()
    if code not in MINOR_UNITS:
        raise ReportError(f"{currency!r} is not a currency code (ISO 4217, e.g. USD)")
    return code


def _require_warehouse(settings: Settings) -> None:
    """A DuckDB file that is not there was never run (opening it would create it)."""
    if not settings.warehouse_url.startswith("duckdb:"):
        return
    database = make_url(settings.warehouse_url).database
    if database and database != ":memory:" and not Path(database).exists():
        raise ReportError(f"no warehouse at {database}: run billflow nightly first")


def _render(settings: Settings, context: Record) -> str:
    try:
        return document_environment(settings).get_template(REPORT_TEMPLATE).render(context)
    except TemplateError as exc:
        where = settings.templates_dir or BUILTIN_TEMPLATES
        raise ReportError(
            f"cannot render the report template {REPORT_TEMPLATE} (looked in {where}): "
            f"{one_line(exc)}"
        ) from exc
