"""Invoice and contract documents, rendered from marts that the real steps publish from the
sample scenario (plus one credit note), read back through their id markers."""

from __future__ import annotations

import html
import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from billflow import documents, pipeline
from billflow.commands import credit_invoice
from billflow.config import Settings
from billflow.documents import DocumentError, document_environment, render_documents
from billflow.money import format_money
from billflow.pipeline import Run
from billflow.quality import validate_staging
from billflow.warehouse import Warehouse
from tests.helpers import land, render_pages, sample_scenario

AS_OF = date(2026, 4, 15)
CREDITED = "INV-2026-000002"
MARKER = re.compile(r'<(?P<tag>\w+)\b[^>]*\bid="(?P<id>[\w-]+)"[^>]*>(?P<text>[^<]*)</(?P=tag)>')
STEPS = (
    pipeline.bill,
    pipeline.reconcile,
    pipeline.issue,
    pipeline.apply_payments,
    pipeline.age,
    pipeline.forecast,
    pipeline.notify,
)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file holding the sample's published marts and one credit note; built once."""
    folder = tmp_path_factory.mktemp("published")
    settings = Settings(warehouse_url=f"duckdb:///{folder / 'w.duckdb'}")
    wh = Warehouse(settings)
    try:
        wh.init()
        land(wh, render_pages(sample_scenario(), folder / "case"), "run")
        run = Run(wh, AS_OF, "run")
        pipeline.stage(run)
        validate_staging(wh)
        for step in STEPS:
            step(run)
        pipeline.publish(run, pipeline.conservation(run))
    finally:
        wh.close()
    credit_invoice(settings, CREDITED, reason="disputed hours", actor="tests", acted_on=AS_OF)
    return folder / "w.duckdb"


@pytest.fixture
def settings(published: Path, tmp_path: Path) -> Settings:
    """Settings for a private copy of the published warehouse, documents under tmp_path."""
    copy = tmp_path / "w.duckdb"
    shutil.copyfile(published, copy)
    return Settings(warehouse_url=f"duckdb:///{copy}", documents_dir=tmp_path / "var")


def render(settings: Settings) -> dict[str, int]:
    wh = Warehouse(settings)
    try:
        return render_documents(wh)
    finally:
        wh.close()


def query(settings: Settings, sql: str) -> list[dict[str, Any]]:
    """Rows as dicts; `{marts}` and `{staging}` name the schemas."""
    wh = Warehouse(settings)
    try:
        text = sql.format(marts=wh.schemas.marts, staging=wh.schemas.staging)
        columns = wh.columns(text)
        return [dict(zip(columns, row, strict=True)) for row in wh.query(text)]
    finally:
        wh.close()


def execute(settings: Settings, sql: str) -> None:
    wh = Warehouse(settings)
    try:
        wh.execute(sql.format(marts=wh.schemas.marts))
    finally:
        wh.close()


def markers(path: Path) -> dict[str, str]:
    """Text of every element with an id, as a reader of the page sees it."""
    page = path.read_text(encoding="utf-8")
    return {found["id"]: html.unescape(found["text"]) for found in MARKER.finditer(page)}


def invoice_file(settings: Settings, number: str) -> Path:
    return settings.documents_dir / "invoices" / f"{number}.html"


def contract_file(settings: Settings, code: str) -> Path:
    return settings.documents_dir / "contracts" / f"{code}.html"


def spelled(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def user_templates(folder: Path, **templates: str) -> Path:
    folder.mkdir()
    for name, text in templates.items():
        (folder / f"{name}.html.j2").write_text(text)
    return folder


def test_every_document_gets_its_file_and_no_temporary_is_left(settings: Settings) -> None:
    numbers = {row["invoice_number"] for row in query(settings, "select * from {marts}.invoices")}
    codes = {row["contract_code"] for row in query(settings, "select * from {marts}.contracts")}
    counts = render(settings)
    assert counts == {
        "invoices_written": len(numbers),
        "invoices_kept": 0,
        "contracts_written": len(codes),
    }
    assert {p.stem for p in (settings.documents_dir / "invoices").iterdir()} == numbers
    assert {p.stem for p in (settings.documents_dir / "contracts").iterdir()} == codes
    assert not list(settings.documents_dir.rglob(".*"))


def test_an_invoice_shows_its_number_total_and_dates(settings: Settings) -> None:
    render(settings)
    invoices = query(settings, "select * from {marts}.invoices where kind = 'invoice'")
    assert invoices
    for invoice in invoices:
        shown = markers(invoice_file(settings, invoice["invoice_number"]))
        assert shown["title"] == "Invoice"
        assert shown["invoice-number"] == invoice["invoice_number"]
        assert shown["total"] == format_money(invoice["total"], invoice["currency"])
        assert shown["issue-date"] == spelled(invoice["issue_date"])
        assert shown["due-date"] == spelled(invoice["due_date"])
        assert shown["terms"] == f"Net {invoice['terms_days']}"


def test_an_invoice_carries_the_client_address_and_how_to_pay(settings: Settings) -> None:
    render(settings)
    first = query(
        settings,
        "select i.invoice_number, c.address, c.city, c.state, c.zip from {marts}.invoices i "
        "join {staging}.stg_hubspot__companies c on c.company_id = i.client_id "
        "where i.kind = 'invoice' and c.address is not null order by i.invoice_number limit 1",
    )[0]
    path = invoice_file(settings, first["invoice_number"])
    page = path.read_text(encoding="utf-8")
    assert first["address"] in page
    assert f"{first['city']}, {first['state']} {first['zip']}" in page
    shown = markers(path)
    assert shown["remittance"] == settings.remittance
    # the contract's clause: the default 1.5% without grace days
    assert shown["late-fee-clause"] == (
        "Overdue balances bear a late fee of 1.5% per full 30 days past due, simple interest, "
        "billed on a later invoice."
    )
    assert shown["seller-name"] == settings.seller_name


def test_tax_included_in_prices_is_shown_with_its_rate_and_the_po(settings: Settings) -> None:
    render(settings)
    invoice = query(
        settings,
        "select * from {marts}.invoices where tax_included > 0 and po_number is not null "
        "order by invoice_number limit 1",
    )[0]
    path = invoice_file(settings, invoice["invoice_number"])
    shown = markers(path)
    currency = invoice["currency"]
    assert shown["po-number"] == invoice["po_number"]
    assert Decimal(shown["tax-rate"].removesuffix("%")) == invoice["tax_rate"] * 100
    assert shown["tax"] == format_money(invoice["tax"], currency)
    assert shown["tax-included"] == format_money(invoice["tax_included"], currency)
    assert shown["subtotal"] == format_money(invoice["subtotal"], currency)
    assert "incl. tax" in path.read_text(encoding="utf-8")


def test_a_credit_note_names_the_invoice_it_credits(settings: Settings) -> None:
    render(settings)
    note = query(settings, "select * from {marts}.invoices where kind = 'credit_note'")[0]
    shown = markers(invoice_file(settings, note["invoice_number"]))
    assert shown["title"] == "Credit note"
    assert shown["credits-invoice"] == CREDITED
    assert shown["total"] == format_money(note["total"], note["currency"])
    assert shown["total"].startswith(f"{note['currency']} -")
    assert "due-date" not in shown


def test_an_issued_invoice_is_never_rewritten_even_when_its_template_changes(
    settings: Settings, tmp_path: Path
) -> None:
    first = render(settings)
    before = {p: p.read_bytes() for p in (settings.documents_dir / "invoices").iterdir()}
    changed = user_templates(tmp_path / "mine", invoice="changed {{ invoice.invoice_number }}")
    again = render(settings.model_copy(update={"templates_dir": changed}))
    assert again == {
        "invoices_written": 0,
        "invoices_kept": first["invoices_written"],
        "contracts_written": 0,
    }
    assert {p: p.read_bytes() for p in before} == before


def test_a_user_template_replaces_the_builtin_one(settings: Settings, tmp_path: Path) -> None:
    mine = user_templates(
        tmp_path / "mine",
        invoice='{% extends "base.html.j2" %}{% block content %}'
        '<p id="custom">{{ invoice.invoice_number }}</p>{% endblock %}',
    )
    render(settings.model_copy(update={"templates_dir": mine}))
    page = invoice_file(settings, CREDITED).read_text(encoding="utf-8")
    assert markers(invoice_file(settings, CREDITED)) == {"custom": CREDITED}
    assert page.startswith("<!DOCTYPE html>")
    code = query(settings, "select contract_code from {marts}.contracts limit 1")[0]
    assert markers(contract_file(settings, code["contract_code"]))["title"] == "Contract summary"


def test_a_contract_summary_is_rewritten_only_when_it_changes(settings: Settings) -> None:
    render(settings)
    assert render(settings)["contracts_written"] == 0
    contract = query(settings, "select * from {marts}.contracts order by contract_code")[0]
    path = contract_file(settings, contract["contract_code"])
    fresh = path.read_bytes()
    path.write_text("stale")
    assert render(settings)["contracts_written"] == 1
    assert path.read_bytes() == fresh


def test_a_contract_summary_shows_its_figures_schedule_and_invoices(settings: Settings) -> None:
    render(settings)
    contract = query(
        settings,
        "select * from {marts}.contracts where contract_code in "
        "(select contract_code from {marts}.installments) order by contract_code limit 1",
    )[0]
    code, currency = contract["contract_code"], contract["currency"]
    path = contract_file(settings, code)
    shown = markers(path)
    for figure in ("total_value", "pre_tax_value", "amount_paid", "remaining_balance"):
        assert shown[figure.replace("_", "-")] == format_money(contract[figure], currency)
    page = path.read_text(encoding="utf-8")
    schedule = query(
        settings, f"select * from {{marts}}.installments where contract_code = '{code}'"
    )
    invoices = query(settings, f"select * from {{marts}}.invoices where contract_code = '{code}'")
    assert page.count('class="installment"') == len(schedule)
    assert page.count('class="invoice"') == len(invoices)


def test_a_yen_invoice_shows_no_decimals(settings: Settings) -> None:
    number = query(settings, "select min(invoice_number) as n from {marts}.invoices")[0]["n"]
    execute(
        settings,
        f"update {{marts}}.invoices set currency = 'JPY' where invoice_number = '{number}'",
    )
    render(settings)
    total = query(
        settings, f"select total from {{marts}}.invoices where invoice_number = '{number}'"
    )
    shown = markers(invoice_file(settings, number))["total"]
    assert shown == format_money(total[0]["total"], "JPY")
    assert "." not in shown


def test_money_filters_follow_the_currency() -> None:
    filters = document_environment(Settings()).filters
    assert filters["money"](Decimal("1500"), "JPY") == "JPY 1,500"
    assert filters["money"](Decimal("1.2345"), "BHD") == "BHD 1.235"
    assert filters["money"](Decimal("1234.5"), "USD") == "USD 1,234.50"
    assert filters["price"](Decimal("133.335"), "USD") == "USD 133.335"
    assert filters["percent"](Decimal("0.082500")) == "8.25%"
    assert filters["long_date"](date(2026, 4, 15)) == "15 April 2026"


def test_values_from_the_sources_are_escaped(settings: Settings) -> None:
    execute(
        settings,
        "update {marts}.invoices set client_name = '<script>x</script> & Co' "
        f"where invoice_number = '{CREDITED}'",
    )
    render(settings)
    page = invoice_file(settings, CREDITED).read_text(encoding="utf-8")
    assert "&lt;script&gt;x&lt;/script&gt; &amp; Co" in page
    assert "<script>" not in page


def test_a_contract_code_that_would_leave_the_folder_is_refused(settings: Settings) -> None:
    execute(
        settings,
        "update {marts}.contracts set contract_code = '../outside' "
        "where contract_code = (select min(contract_code) from {marts}.contracts)",
    )
    with pytest.raises(DocumentError, match="cannot name a document file"):
        render(settings)
    assert not (settings.documents_dir / "outside.html").exists()


def test_a_broken_user_template_is_one_clear_error(settings: Settings, tmp_path: Path) -> None:
    broken = user_templates(tmp_path / "mine", invoice="{{ missing.field }}")
    with pytest.raises(DocumentError, match=r"invoice\.html\.j2"):
        render(settings.model_copy(update={"templates_dir": broken}))


def test_documents_rendered_by_worker_processes_equal_those_rendered_in_one(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of two documents, three worker processes: the same files byte for byte, none
    left half-written; a template error in a worker is the same one clear error, and leaves
    no temporary file, not even from the chunks other workers finished meanwhile."""
    alone = render(settings.model_copy(update={"document_workers": 1}))
    monkeypatch.setattr(documents, "_CHUNK", 2)
    forked = settings.model_copy(
        update={"document_workers": 3, "documents_dir": tmp_path / "forked"}
    )
    assert render(forked) == alone
    folder = settings.documents_dir
    files = sorted(path.relative_to(folder) for path in folder.rglob("*.html"))
    assert len(files) == alone["invoices_written"] + alone["contracts_written"] > 20
    assert sorted(p.relative_to(forked.documents_dir) for p in forked.documents_dir.rglob("*")
                  if p.is_file()) == files  # fmt: skip
    assert all((forked.documents_dir / f).read_bytes() == (folder / f).read_bytes() for f in files)
    assert render(forked)["contracts_written"] == 0

    broken = user_templates(tmp_path / "mine", contract="{{ missing.field }}")
    with pytest.raises(DocumentError, match=r"contract\.html\.j2"):
        render(forked.model_copy(update={"templates_dir": broken}))
    assert not list(forked.documents_dir.rglob(".*"))

    first = min(row["contract_code"] for row in query(settings, "select * from {marts}.contracts"))
    text = f"{{% if contract.contract_code == '{first}' %}}{{{{ missing.field }}}}{{% endif %}}new"
    only_first = user_templates(tmp_path / "first", contract=text)
    with pytest.raises(DocumentError, match=r"contract\.html\.j2"):
        render(forked.model_copy(update={"templates_dir": only_first}))
    assert not list(forked.documents_dir.rglob(".*"))  # the later chunks' temporaries too
    assert (forked.documents_dir / "contracts" / f"{first}.html").read_bytes() == (
        folder / "contracts" / f"{first}.html"
    ).read_bytes()
