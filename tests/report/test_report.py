"""The finance report (issue 9) on the demo's warehouse: written by the nightly run and by
`billflow report`, opened in headless Chromium, which must draw every chart; the headline
figures are the marts', to the cent."""

from __future__ import annotations

import html
import re
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from billflow.config import Settings
from billflow.money import format_money
from billflow.report import render_report, report_path
from billflow.warehouse import Warehouse
from tests.cli.test_bad_input import env_with, one_line_error
from tests.helpers import rows
from tests.report.chromium import SCREEN, chromium, dump_dom, screenshot

AS_OF = date(2026, 4, 15)
MONTH_START = date(2026, 4, 1)
MARKER = re.compile(r'<(?P<tag>\w+)\b[^>]*\bid="(?P<id>[\w-]+)"[^>]*>(?P<text>[^<]*)</(?P=tag)>')
BAR = re.compile(r"M(-?[\d.]+),(-?[\d.]+)V(-?[\d.]+)H(-?[\d.]+)V")
EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//"""
)


@dataclass(frozen=True)
class Opened:
    """The report `billflow report` wrote, as Chromium left it after running its scripts."""

    page: Path
    dom: str
    png: Path
    seconds: float


@pytest.fixture(scope="module")
def opened(demo_duckdb: Settings, tmp_path_factory: pytest.TempPathFactory) -> Opened:
    if chromium() is None:
        pytest.fail("chromium is not installed: `make test` installs it (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("report")
    started = time.monotonic()
    result = report_command(demo_duckdb, folder)
    seconds = time.monotonic() - started
    page = report_path(folder, AS_OF)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"report written to {page}"
    png = folder / "report.png"
    screenshot(page, png)
    return Opened(page, dump_dom(page), png, seconds)


def report_command(
    settings: Settings, documents: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """`billflow report` as a user runs it, writing under `documents`."""
    command = [
        sys.executable,
        "-m",
        "billflow.cli",
        "report",
        "--warehouse",
        settings.warehouse_url,
    ]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        env={**env_with(None), "BILLFLOW_DOCUMENTS_DIR": str(documents)},
        timeout=600,
        check=False,
    )


def column(settings: Settings, sql: str) -> list[Any]:
    return [row[0] for row in rows(settings, sql)]


def test_the_page_is_the_nightly_one_self_contained(demo_duckdb: Settings, opened: Opened) -> None:
    nightly = report_path(demo_duckdb.documents_dir, AS_OF)
    page = opened.page.read_text(encoding="utf-8")
    assert nightly.read_bytes() == opened.page.read_bytes()  # same marts, same page
    assert EXTERNAL.search(page) is None
    assert page.count("<script>") == 1 + 4 + 1  # plotly.js once; 2 charts x 2 currencies; timeline
    assert page.count("plotly.js v") == 1
    assert opened.page.stat().st_size < 6_000_000
    assert opened.seconds < 60


def test_each_chart_drew_its_marks(demo_duckdb: Settings, opened: Opened) -> None:
    drawn = Marks.of(opened.dom)
    for currency in ("EUR", "USD"):
        cells = rows(
            demo_duckdb,
            f"select count(*) from {{marts}}.ar_aging_by_client where currency = '{currency}'",
        )
        assert drawn.bars(f"aging-{currency}") == cells[0][0] > 0
        weeks = rows(
            demo_duckdb,
            "select count(*) from {marts}.cash_forecast where expected_amount <> 0 "
            f"and as_of = date '{AS_OF}' and currency = '{currency}'",
        )
        assert drawn.bars(f"forecast-{currency}") == weeks[0][0] > 0
    events = rows(
        demo_duckdb,
        "select (select count(*) from {marts}.installments "
        "        where triggered_on is not null or trigger_type = 'date')"
        " + (select count(*) from {marts}.invoices where kind = 'invoice')"
        " + (select count(*) from {marts}.payment_applications)",
    )
    assert drawn.points("timeline") == events[0][0] > 0


def test_the_headline_figures_are_the_marts(demo_duckdb: Settings, opened: Opened) -> None:
    shown = {found["id"]: html.unescape(found["text"]) for found in MARKER.finditer(opened.dom)}
    for currency in ("EUR", "USD"):
        expected = headline(demo_duckdb, currency)
        assert {key: shown[key] for key in expected} == expected
    # the demo's figures, as the nightly run prints them (README)
    assert shown["open-USD"] == "USD 86,917.58"
    assert shown["overdue-USD"] == "USD 31,342.50"
    assert int(shown["overdue-count-USD"]) + int(shown["overdue-count-EUR"]) == 6
    assert shown["dso-USD"] == "USD 66.56 days"
    assert shown["unapplied-USD"] == "USD 500.00"
    assert shown["forecast-total-USD"] == "USD 151,117.58"


def test_the_sections_list_what_the_marts_hold(demo_duckdb: Settings, opened: Opened) -> None:
    held = column(
        demo_duckdb, "select draft_key from {marts}.invoice_drafts where status = 'HELD' order by 1"
    )
    assert re.findall(r'<tr data-draft="([^"]+)">', opened.dom) == held
    contracts = column(demo_duckdb, "select contract_code from {marts}.contracts order by 1")
    assert re.findall(r'<tr data-contract="([^"]+)">', opened.dom) == contracts
    assert "CANCELLED" in opened.dom and "LIQUIDATED" in opened.dom
    assert 'class="none"' not in opened.dom  # the demo has something in every section


def test_the_screenshot(opened: Opened) -> None:
    data = opened.png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == SCREEN
    assert len(data) > 50_000  # drawn, not a blank page


def test_one_currency(demo_duckdb: Settings, tmp_path: Path) -> None:
    result = report_command(demo_duckdb, tmp_path, "--currency", "eur")
    assert result.returncode == 0, result.stderr
    page = report_path(tmp_path, AS_OF, "EUR").read_text(encoding="utf-8")
    assert 'id="open-EUR">EUR 100.00<' in page
    assert re.findall(r'id="[\w-]+-USD"', page) == []
    assert re.findall(r'<tr data-contract="([^"]+)">', page) == ["C-18403"]  # Initech, in EUR


def test_refusals_are_one_line(demo_duckdb: Settings, tmp_path: Path) -> None:
    absent = Settings(warehouse_url=f"duckdb:///{tmp_path / 'never.duckdb'}")
    line = one_line_error(report_command(absent, tmp_path))
    assert (
        line == f"billflow: no warehouse at {tmp_path / 'never.duckdb'}: run billflow nightly first"
    )
    assert not (tmp_path / "never.duckdb").exists()
    empty = Settings(warehouse_url=f"duckdb:///{tmp_path / 'empty.duckdb'}")
    Warehouse(empty).close()
    assert "no run has published the marts yet" in one_line_error(report_command(empty, tmp_path))
    earlier = report_command(demo_duckdb, tmp_path, "--as-of", "2026-03-02")
    assert "the marts hold the run of 2026-04-15, not 2026-03-02" in one_line_error(earlier)
    yen = report_command(demo_duckdb, tmp_path, "--currency", "JPY")
    assert one_line_error(yen).endswith("no figures in JPY as of 2026-04-15 (they have EUR, USD)")
    assert not list(tmp_path.glob("reports/*"))


def test_without_data_each_section_says_none(tmp_path: Path) -> None:
    settings = Settings(warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}", documents_dir=tmp_path)
    wh = Warehouse(settings)
    try:
        wh.init()
        page = render_report(wh, AS_OF).read_text(encoding="utf-8")
    finally:
        wh.close()
    sections = re.findall(r'<section id="(\w+)">(.*?)</section>', page, re.S)
    assert [name for name, _ in sections] == [
        "headline", "aging", "forecast", "contracts", "timeline", "held", "reminders",
    ]  # fmt: skip
    for name, body in sections:
        assert '<p class="none">none' in body, name
    assert "<script" not in page and "data-chart" not in page


def headline(settings: Settings, currency: str) -> dict[str, str]:
    """The headline figures as the page must print them, queried from the marts."""
    (kpi,) = rows(
        settings,
        "select open_receivables, overdue_receivables, invoices_overdue, dso from {marts}.kpis "
        f"where as_of = date '{AS_OF}' and currency = '{currency}'",
    )
    month = f"between date '{MONTH_START}' and date '{AS_OF}'"
    sums = {
        name: total(settings, f"select sum({column}) from {{marts}}.{table} where {condition} "
                    f"and currency = '{currency}'")
        for name, column, table, condition in (
            ("invoiced", "total", "invoices", f"kind = 'invoice' and issue_date {month}"),
            ("collected", "amount", "payments", f"payment_date {month}"),
            ("held", "total", "invoice_drafts", "status = 'HELD'"),
            ("unapplied", "unapplied_amount", "unapplied_cash", "true"),
            ("forecast-total", "expected_amount", "cash_forecast", f"as_of = date '{AS_OF}'"),
            ("unbilled", "hours", "unbilled_work", "true"),
        )
    }  # fmt: skip
    return {
        f"open-{currency}": format_money(kpi[0], currency),
        f"overdue-{currency}": format_money(kpi[1], currency),
        f"overdue-count-{currency}": str(kpi[2]),
        f"dso-{currency}": f"{currency} {kpi[3]} days",
        f"unbilled-{currency}": f"{currency} {sums.pop('unbilled')} h",
        **{f"{name}-{currency}": format_money(amount, currency) for name, amount in sums.items()},
    }


def total(settings: Settings, sql: str) -> Decimal:
    (value,) = rows(settings, sql)[0]
    return Decimal(0) if value is None else Decimal(value)


class Marks(HTMLParser):
    """What Plotly drew inside each element with a data-chart attribute: the path of every
    bar or marker (elements of class `point`, or the path inside one)."""

    VOID = frozenset("area base br col embed hr img input link meta source wbr".split())

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str | None, bool]] = []
        self.paths: dict[str, list[str]] = {}

    @classmethod
    def of(cls, dom: str) -> Marks:
        parser = cls()
        parser.feed(dom)
        return parser

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        chart, in_point = self.stack[-1] if self.stack else (None, False)
        chart = found.get("data-chart") or chart
        point = "point" in (found.get("class") or "").split()
        if chart and tag == "path" and (point or in_point):
            self.paths.setdefault(chart, []).append(found.get("d") or "")
        if tag not in self.VOID:
            self.stack.append((chart, point))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def bars(self, chart: str) -> int:
        """Bars with an area: a gap (no value) is drawn as a path of width 0."""
        shapes = [BAR.match(d) for d in self.paths.get(chart, [])]
        return sum(
            1
            for shape in shapes
            if shape and float(shape[2]) != float(shape[3]) and float(shape[1]) != float(shape[4])
        )

    def points(self, chart: str) -> int:
        return sum(1 for d in self.paths.get(chart, []) if d)
