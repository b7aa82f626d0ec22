"""The finance report's charts: Plotly figures as HTML fragments, drawn in the page by the
plotly.js bundle the page inlines once (`plotly_bundle`), so nothing is fetched at view time.

Amounts become floats here for drawing only (bar lengths, the axes' scale); every amount a
reader sees written out (hover labels) is the exact Decimal through `format_money`. Fragments
have fixed element ids, so the same marts give the same page, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from plotly import graph_objects as go
from plotly.offline import get_plotlyjs

from billflow.money import format_money

Record = dict[str, Any]

# Aging buckets by age: green for current, then darker reds as they get older.
AGING_COLORS = ("#3f8f5f", "#e0b33a", "#e07b39", "#c8433a", "#8e2525", "#5c1414")
SOURCES = {
    "open_invoice": ("Open invoices", "#1f4e79"),
    "installment": ("Installments not invoiced yet", "#4a90c2"),
    "retainer": ("Retainer fees not invoiced yet", "#8cbfe0"),
    "pipeline": ("Pipeline: deals not signed, × stage probability", "#7a8694"),
}
# (trace name, marker symbol, colour) of each kind of timeline event
TIMELINE_MARKS = {
    "installment": ("Installment", "diamond", "#6a4c93"),
    "invoice_paid": ("Invoice due, paid", "square", "#3f8f5f"),
    "invoice_open": ("Invoice due, open", "square", "#4a90c2"),
    "invoice_overdue": ("Invoice due, overdue", "square", "#c8433a"),
    "payment": ("Payment applied", "circle", "#1d2733"),
    "reversal": ("Refund or lost dispute", "x", "#e07b39"),
}
_CONFIG = {"displayModeBar": False, "responsive": True}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def plotly_bundle() -> str:
    """plotly.js, minified, to inline once per page in a <script> element."""
    return str(get_plotlyjs())


def aging_chart(div_id: str, rows: Sequence[Record], buckets: Sequence[str]) -> str:
    """Open balance by client, one bar per client stacked by aging bucket (oldest darkest)."""
    clients = list(dict.fromkeys(row["client_name"] for row in rows))
    fig = go.Figure()
    for order, bucket in enumerate(buckets):
        cells = {row["client_name"]: row for row in rows if row["bucket"] == bucket}
        if cells:
            fig.add_trace(_aging_bar(bucket, clients, cells, _color(AGING_COLORS, order)))
    fig.update_layout(barmode="stack", legend_title_text="days past due")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title_text=f"open balance, {rows[0]['currency']}")
    return _html(fig, div_id, height=140 + 34 * len(clients))


def _aging_bar(bucket: str, clients: list[str], cells: dict[str, Record], color: str) -> go.Bar:
    chosen = [cells.get(client) for client in clients]
    return go.Bar(
        name=bucket,
        orientation="h",
        y=clients,
        x=[None if row is None else float(row["balance"]) for row in chosen],
        marker_color=color,
        customdata=[_aging_hover(row) for row in chosen],
        hovertemplate="%{y}, %{fullData.name}: %{customdata}<extra></extra>",
    )


def _aging_hover(row: Record | None) -> str:
    if row is None:
        return ""
    return (
        f"{format_money(row['balance'], row['currency'])} on {row['invoices']} invoice(s), "
        f"oldest {row['max_days_past_due']} days past due"
    )


def forecast_chart(div_id: str, rows: Sequence[Record]) -> str:
    """Cash expected per week, stacked by source; the pipeline (not yet contracts) hatched and
    lighter, as it is the least certain."""
    weeks = sorted({row["week_start"] for row in rows})
    labels = [_day_month(week) for week in weeks]
    fig = go.Figure()
    for source in dict.fromkeys(row["source"] for row in rows):
        by_week = {row["week_start"]: row for row in rows if row["source"] == source}
        fig.add_trace(_forecast_bar(source, [by_week.get(week) for week in weeks], labels))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(type="category", title_text="week starting (Monday)")
    fig.update_yaxes(title_text=f"expected receipts, {rows[0]['currency']}")
    return _html(fig, div_id, height=320)


def _forecast_bar(source: str, cells: list[Record | None], labels: list[str]) -> go.Bar:
    name, color = SOURCES.get(source, (source, "#b0b7c0"))
    pipeline = source == "pipeline"
    return go.Bar(
        name=name,
        x=labels,
        y=[None if row is None else float(row["expected_amount"]) for row in cells],
        marker={
            "color": color,
            "opacity": 0.55 if pipeline else 1.0,
            "pattern": {"shape": "/" if pipeline else "", "fgcolor": "#1d2733", "solidity": 0.25},
        },
        customdata=[_forecast_hover(row) for row in cells],
        hovertemplate="%{customdata}<extra>%{fullData.name}</extra>",
    )


def _forecast_hover(row: Record | None) -> str:
    if row is None:
        return ""
    week = f"{_day_month(row['week_start'])} to {_day_month(row['week_end'])}"
    return (
        f"{week}: {format_money(row['expected_amount'], row['currency'])}, {row['items']} item(s)"
    )


def timeline_chart(div_id: str, events: Sequence[Record], as_of: date) -> str:
    """One row per contract: its installments, invoices (at their due dates, coloured by
    status) and payments on one time axis, with as_of marked."""
    contracts = list(dict.fromkeys(_contract_label(event) for event in events))
    fig = go.Figure()
    for kind, (name, symbol, color) in TIMELINE_MARKS.items():
        chosen = [event for event in events if timeline_kind(event) == kind]
        if chosen:
            fig.add_trace(_timeline_points(chosen, name, symbol, color))
    fig.add_shape(
        type="line", xref="x", yref="paper", x0=as_of.isoformat(), x1=as_of.isoformat(),
        y0=0, y1=1, line={"color": "#5d6775", "dash": "dot", "width": 1},
    )  # fmt: skip
    fig.add_annotation(
        x=as_of.isoformat(), y=1, xref="x", yref="paper", text=f"as of {_day_month(as_of)}",
        showarrow=False, xanchor="left", yanchor="top", font={"size": 11, "color": "#5d6775"},
    )  # fmt: skip
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=contracts[::-1])
    fig.update_xaxes(type="date", tickformat="%d %b %Y")
    return _html(fig, div_id, height=150 + 30 * len(contracts))


def timeline_kind(event: Record) -> str:
    """The mark an event gets: installment, invoice_<paid|open|overdue>, payment or reversal."""
    if event["event"] == "invoice":
        status = {"PAID": "paid", "OVERDUE": "overdue"}.get(event["status"], "open")
        return f"invoice_{status}"
    if event["event"] == "payment":
        return "reversal" if event["amount"] < 0 else "payment"
    return str(event["event"])


def _timeline_points(events: list[Record], name: str, symbol: str, color: str) -> go.Scatter:
    return go.Scatter(
        name=name,
        mode="markers",
        x=[event["event_date"].isoformat() for event in events],
        y=[_contract_label(event) for event in events],
        marker={
            "symbol": symbol,
            "color": color,
            "size": 11,
            "line": {"width": 1, "color": "#fff"},
        },
        customdata=[_timeline_hover(event) for event in events],
        hovertemplate="%{y}<br>%{customdata}<extra></extra>",
    )


def _timeline_hover(event: Record) -> str:
    money = format_money(event["amount"], event["currency"])
    when = event["event_date"].isoformat()
    if event["event"] == "invoice":
        balance = format_money(event["balance"], event["currency"])
        return f"{event['reference']} due {when}: {money}, {event['status']}, {balance} open"
    if event["event"] == "payment":
        return f"{when}: {money} on {event['reference']} ({event['status']})"
    return f"{event['reference']}, {when}: {money} ({event['status']})"


def _contract_label(event: Record) -> str:
    client = event["client_name"] or ""
    return f"{event['contract_code']} {client}".strip()


def _day_month(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]}"


def _color(palette: Sequence[str], index: int) -> str:
    return palette[min(index, len(palette) - 1)]


def _html(fig: go.Figure, div_id: str, *, height: int) -> str:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        font={"family": "Helvetica Neue, Helvetica, Arial, Liberation Sans, sans-serif"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "traceorder": "normal"},
        hoverlabel={"align": "left"},
    )
    fig.update_yaxes(automargin=True)
    fig.update_xaxes(automargin=True)
    html: str = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config=_CONFIG,
        default_height=f"{height}px",
    )
    return html
