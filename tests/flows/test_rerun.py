"""The reconciliation rerun: a dry run writes nothing and shows the difference; applying
writes exactly what it showed; the scope (period, client) bounds what is issued."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D  # noqa: N817 - short, for amounts
from pathlib import Path
from typing import Any

import pytest

from billflow.config import Settings
from billflow.errors import BillflowError
from tests.helpers import (
    fingerprint,
    render_pages,
    rows,
    run_dates,
    run_nightly,
    sample_scenario,
)

pytestmark = pytest.mark.usefixtures("prefect_server")

APRIL_15 = date(2026, 4, 15)
LAYERS = ("marts", "quarantine", "audit")
# February is invoiced on 2 Mar, so Dara's hours entered on 20 Mar are a late edit by 6 Apr
HISTORY = [date(2026, 3, 2), date(2026, 4, 6), APRIL_15]


def rerun(**options: Any) -> Any:
    from flows.rerun import reconciliation_rerun

    return reconciliation_rerun(as_of=APRIL_15, **options)


def next_invoice(settings: Settings) -> str:
    (count,) = rows(settings, "select count(*) from {marts}.invoices where kind = 'invoice'")[0]
    return f"INV-2026-{count + 1:06d}"


def raw_state(settings: Settings) -> list[tuple[Any, ...]]:
    return rows(settings, "select count(*), max(landed_seq) from {raw}.records")


@pytest.fixture
def fixed_sources(tmp_path: Path) -> str:
    """The sample after two fixes at the source: Tyrell's deal allows 60% over its estimate
    (its March draft passes OVER_CAP), and Chen gets a rate on Initech (110.00)."""
    scenario = sample_scenario()
    tyrell = next(deal for deal in scenario["deals"] if deal["id"] == "18423")
    tyrell["billing"]["over_estimate_tolerance_pct"] = "60"
    scenario["rates"].append({"project_id": 502, "person_id": 79, "rate": 11000})
    return str(render_pages(scenario, tmp_path / "fixed"))


def test_a_dry_run_writes_nothing_and_shows_the_difference(
    any_settings: Settings, fixed_sources: str
) -> None:
    run_dates(HISTORY)
    number = next_invoice(any_settings)
    before = fingerprint(any_settings, LAYERS), raw_state(any_settings)
    documents = sorted(any_settings.documents_dir.rglob("*.html"))
    report = rerun(period="2026-03", source_dir=fixed_sources)
    assert (fingerprint(any_settings, LAYERS), raw_state(any_settings)) == before
    assert sorted(any_settings.documents_dir.rglob("*.html")) == documents
    changed = {draft.draft_key: draft for draft in report.drafts if draft.change != "unchanged"}
    # Tyrell is issued; Initech March still held (HOURS_MISMATCH, LATE_EDIT_ADJUSTMENT), now
    # with Chen priced: 150 min x 110.00 = 275.00 more, + 19%: 960.93 -> 1288.18
    assert {key: (d.before["status"], d.after["status"], d.after["total"])
            for key, d in changed.items()} == {
        "C-18423:time:2026-03": ("HELD", "ISSUED", D("1350.000")),
        "C-18403:time:2026-03": ("HELD", "HELD", D("1288.180")),
    }  # fmt: skip
    assert [(doc.number, doc.draft_key, doc.total) for doc in report.documents] == [
        (number, "C-18423:time:2026-03", D("1350.000"))
    ]
    assert "would issue 1" in "\n".join(report.lines())


def test_applying_writes_exactly_what_the_dry_run_showed(
    duckdb_settings: Settings, fixed_sources: str
) -> None:
    run_dates(HISTORY)
    number = next_invoice(duckdb_settings)
    shown = rerun(period="2026-03", source_dir=fixed_sources)
    applied = rerun(period="2026-03", source_dir=fixed_sources, dry_run=False)
    assert [(d.number, d.total) for d in applied.documents] == [
        (d.number, d.total) for d in shown.documents
    ]
    issued = rows(
        duckdb_settings,
        "select invoice_number, draft_key, total from {marts}.invoices "
        "where issue_date = date '2026-04-15' order by 1",
    )
    issued_before = [row for row in issued if row[0] != number]
    assert [row for row in issued if row[0] == number] == [
        (number, "C-18423:time:2026-03", D("1350.000"))
    ]
    assert len(issued) == len(issued_before) + 1
    assert (duckdb_settings.documents_dir / "invoices" / f"{number}.html").exists()
    assert rows(
        duckdb_settings,
        "select flow, parameters->>'period' from {audit}.runs "
        "where status = 'COMPLETED' order by started_at desc limit 1",
    ) == [("reconciliation_rerun", "2026-03")]


def test_the_scope_bounds_what_is_issued(duckdb_settings: Settings, fixed_sources: str) -> None:
    run_nightly(APRIL_15)
    # Tyrell's draft is March's, but another client's: nothing is issued
    other = rerun(period="2026-03", client="9002", source_dir=fixed_sources, dry_run=False)
    assert other.documents == []
    february = rerun(period="2026-02", source_dir=fixed_sources)
    assert february.documents == []
    assert rows(
        duckdb_settings, "select status from {marts}.invoice_drafts where draft_key = "
        "'C-18423:time:2026-03'"
    ) == [("READY",)]  # fmt: skip
    with pytest.raises(BillflowError, match="is not a month"):
        rerun(period="March")


def test_a_nightly_dry_run_lands_nothing(duckdb_settings: Settings, fixed_sources: str) -> None:
    run_nightly(APRIL_15)
    before = raw_state(duckdb_settings)
    from flows.nightly import nightly_billing

    summary = nightly_billing(as_of=APRIL_15, dry_run=True, source_dir=fixed_sources)
    # seen but not landed: the new rate, and the 19 deals (the search now returns the new
    # property billing_over_estimate_tolerance_pct on each, null but for Tyrell)
    assert summary.records_new == 20
    assert summary.issued_count == 1
    assert raw_state(duckdb_settings) == before


def test_a_late_edit_of_an_issued_invoice_shows_the_credit_note_it_would_write(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    # Northwind's February is issued on 2 Mar. On 3 Mar Chen's 9113 goes from 405 to 345 min:
    # 1230 min x 133.33 / 60 = 2733.27 against 2866.60 billed, -133.33. By 15 April no draft
    # of Northwind came within 30 days, so the adjustment is its own draft, and taking time
    # off, a credit note of February's invoice.
    run_nightly(date(2026, 3, 2))
    ((february,),) = rows(
        duckdb_settings,
        "select invoice_number from {marts}.invoices where draft_key = 'C-18401:time:2026-02'",
    )
    scenario = sample_scenario()
    chen = next(entry for entry in scenario["time_entries"] if entry["id"] == 9113)
    chen.update(minutes=345, updated="2026-03-03T16:00:00Z")
    edited = str(render_pages(scenario, tmp_path / "edited"))
    before = fingerprint(duckdb_settings, LAYERS)

    shown = rerun(period="2026-02", source_dir=edited)

    assert fingerprint(duckdb_settings, LAYERS) == before
    key = f"C-18401:adjustment:{february}"
    assert [(d.number, d.kind, d.draft_key, d.total, d.adjustments) for d in shown.documents] == [
        ("CN-2026-000001", "credit_note", key, D("-133.330"), [(february, D("-133.330"))])
    ]
    assert f"adjusts {february} by USD -133.33" in "\n".join(shown.lines())

    applied = rerun(period="2026-02", source_dir=edited, dry_run=False)

    assert [(d.number, d.total) for d in applied.documents] == [("CN-2026-000001", D("-133.330"))]
    assert rows(
        duckdb_settings,
        "select kind, credits_invoice_number, total from {marts}.invoices "
        "where invoice_number = 'CN-2026-000001'",
    ) == [("credit_note", february, D("-133.330"))]
    again = rerun(period="2026-02", source_dir=edited, dry_run=False)
    assert again.documents == []
