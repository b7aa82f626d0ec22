"""A late edit through the nightly flow (issue 5): the invoice already sent is never touched, its
document stays byte for byte what the client received, and the difference is billed on the
contract's next invoice as an adjustment line, with its own document."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D  # noqa: N817 - short, for tables of amounts
from pathlib import Path

from billflow.config import Settings
from tests.conftest import warehouse_env
from tests.helpers import render_pages, rows, run_nightly, sample_scenario

FEBRUARY_DRAFT = "C-18401:time:2026-02"
MARCH_DRAFT = "C-18401:time:2026-03"


def test_a_late_edit_leaves_the_sent_invoice_as_it_was_and_adjusts_the_next(
    tmp_path: Path, prefect_server: str
) -> None:
    scenario = sample_scenario()
    before_edit = render_pages(scenario, tmp_path / "before")
    # Bo logs 60 more minutes for 25 February on 10 March, after February was invoiced (2 Mar)
    scenario["time_entries"].append(
        {"id": 9117, "project_id": 500, "person_id": 78, "task_id": 3001, "date": "2026-02-25",
         "minutes": 60, "created": "2026-03-10T15:00:00Z"}
    )  # fmt: skip
    after_edit = render_pages(scenario, tmp_path / "after")

    with warehouse_env("duckdb", tmp_path / "warehouse", before_edit) as settings:
        run_nightly(date(2026, 3, 2))
        february = _invoice(settings, FEBRUARY_DRAFT)
        document = settings.documents_dir / "invoices" / f"{february[0]}.html"
        sent = document.read_bytes()
        run_nightly(date(2026, 3, 16), source_dir=str(after_edit))
        run_nightly(date(2026, 4, 6), source_dir=str(after_edit))

        assert _invoice(settings, FEBRUARY_DRAFT) == february
        assert document.read_bytes() == sent
        number, total = _invoice(settings, MARCH_DRAFT)
        assert total == D("3731.930")  # 3611.93 of March + 120.00: 60 min x 120.00 / 60
        adjustment = f"Adjustment to {february[0]}: Bo Li, time added"
        assert rows(
            settings,
            "select line_type, description, minutes, amount, reference from {marts}.invoice_lines "
            f"where invoice_number = '{number}' and line_type = 'adjustment'",
        ) == [("adjustment", adjustment, 60, D("120.000"), february[0])]
        assert rows(
            settings,
            "select entry_id, delta_minutes, status, invoice_number from {marts}.late_edits "
            "where contract_code = 'C-18401'",
        ) == [("9117", 60, "ISSUED", number)]
        html = (settings.documents_dir / "invoices" / f"{number}.html").read_text()
        assert adjustment in html
        assert "3,731.93" in html


def _invoice(settings: Settings, draft_key: str) -> tuple[str, D]:
    ((number, total),) = rows(
        settings,
        f"select invoice_number, total from {{marts}}.invoices where draft_key = '{draft_key}'",
    )
    return number, total
