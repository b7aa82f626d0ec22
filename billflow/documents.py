"""Invoice, credit-note and contract documents: HTML files rendered from the published marts.

An issued invoice or credit note is a document the client holds: its file is written once, the
first time a run sees it, and never again, even when a template or a client's address changes
later. A contract summary follows the contract's figures, so it is rewritten whenever its text
changes. Every file is replaced atomically: a reader never sees half a document.

Templates come from `templates/` at the repository top; a folder named by the setting
`templates_dir` is searched first, so a user can replace any of them (or only one).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import tempfile
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
)

from billflow.config import Settings
from billflow.contracts import load_layer
from billflow.errors import BillflowError, one_line
from billflow.money import format_money, half_up
from billflow.paths import ROOT
from billflow.warehouse import Warehouse, sql_list, sql_literal

BUILTIN_TEMPLATES = ROOT / "templates"
INVOICE_TEMPLATE = "invoice.html.j2"
CONTRACT_TEMPLATE = "contract.html.j2"
WRITE_BATCH = 1000
_CHUNK = 200

Record = dict[str, Any]

_COMPANY_COLUMNS = ["company_id", "company_name", "address", "city", "state", "zip", "country"]
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_TRIGGERS = {
    "time": "Time",
    "milestone": "Milestone",
    "milestone_partial": "Partial milestone",
    "deliverable": "Deliverable",
    "installment": "Installment",
    "retainer": "Retainer",
    "overage": "Overage",
    "change_order": "Change order",
}


class DocumentError(BillflowError):
    """A document cannot be rendered or written (a template error, an unsafe file name)."""


@dataclass(frozen=True)
class _Sources:
    """What every document of one call is rendered from."""

    settings: Settings
    env: Environment
    invoices: list[Record]
    companies: dict[str, Record]
    contracts: dict[str, Record]


def render_documents(wh: Warehouse) -> dict[str, int]:
    """Write the invoice documents not written yet and refresh the contract summaries.

    Returns {"invoices_written", "invoices_kept", "contracts_written"}. The caller holds the
    warehouse lock (as every writing run does), so no other process writes the same files.
    """
    sources = _Sources(
        settings=wh.settings,
        env=document_environment(wh.settings),
        invoices=_marts_rows(wh, "invoices", order_by="issue_date, invoice_number"),
        companies=_companies(wh),
        contracts={
            row["contract_code"]: row
            for row in _marts_rows(wh, "contracts", order_by="contract_code")
        },
    )
    written, kept = _write_invoices(wh, sources)
    return {
        "invoices_written": written,
        "invoices_kept": kept,
        "contracts_written": _write_contracts(wh, sources),
    }


def document_environment(settings: Settings, *, html: bool = True) -> Environment:
    """The Jinja environment of documents (HTML, autoescaped) and of the outbox's plain-text
    messages (`html=False`): the user's folder first, then the built-in templates."""
    env = Environment(
        loader=_template_loader(settings.templates_dir),
        undefined=StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        money=format_money,
        price=format_price,
        long_date=long_date,
        percent=fraction_percent,
        number=plain_number,
        words=words,
    )
    return env


def _template_loader(user_folder: Path | None) -> BaseLoader:
    builtin = FileSystemLoader(BUILTIN_TEMPLATES)
    if user_folder is None:
        return builtin
    return ChoiceLoader([FileSystemLoader(user_folder), builtin])


def format_price(amount: Decimal, currency: str) -> str:
    """A unit price: like money, but a rate finer than the currency's unit keeps its digits,
    so the printed rate is the one the amounts were computed with."""
    if amount == half_up(amount, currency):
        return format_money(amount, currency)
    return f"{currency.upper()} {amount.normalize():,f}"


def long_date(day: date) -> str:
    """`15 April 2026`, in English whatever the process locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def fraction_percent(fraction: Decimal) -> str:
    """A rate held as a fraction, as a percent: 0.0825 -> `8.25%`."""
    return f"{plain_number(fraction * 100)}%"


def plain_number(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 25.000000 -> `25`."""
    return f"{value.normalize():f}"


def words(code: str) -> str:
    """A code in words: time_and_materials -> `Time and materials`."""
    return code.replace("_", " ").capitalize()


def billed_for(invoice: Record) -> str:
    """What the document bills, in words: the trigger and its period or date."""
    if invoice["trigger_type"] == "credit":
        return f"Credit of {invoice['trigger_id']}"
    label = _TRIGGERS.get(invoice["trigger_type"], words(invoice["trigger_type"]))
    start, end = invoice["period_start"], invoice["period_end"]
    if start is not None and end is not None and start != end:
        return f"{label}, {long_date(start)} to {long_date(end)}"
    when = invoice["trigger_date"] or start
    named = f"{label} {invoice['trigger_id']}"
    return f"{named}, {long_date(when)}" if when else named


def payment_terms(days: int) -> str:
    return "Due on receipt" if days == 0 else f"Net {days}"


def _write_invoices(wh: Warehouse, sources: _Sources) -> tuple[int, int]:
    folder = sources.settings.documents_dir / "invoices"
    missing = [
        invoice
        for invoice in sources.invoices
        if not document_path(folder, invoice["invoice_number"]).exists()
    ]
    lines = _lines_of(wh, [invoice["invoice_number"] for invoice in missing])
    jobs = [
        _Job(
            document_path(folder, invoice["invoice_number"]),
            INVOICE_TEMPLATE,
            _invoice_context(sources, invoice, lines.get(invoice["invoice_number"], [])),
            refresh=False,
        )
        for invoice in missing
    ]
    _commit_in_batches(_render_jobs(sources, jobs))
    return len(missing), len(sources.invoices) - len(missing)


def _write_contracts(wh: Warehouse, sources: _Sources) -> int:
    folder = sources.settings.documents_dir / "contracts"
    order = "contract_code, installment_no"
    schedules = _grouped(_marts_rows(wh, "installments", order_by=order), "contract_code")
    invoices = _grouped(sources.invoices, "contract_code")
    jobs = [
        _Job(
            document_path(folder, code),
            CONTRACT_TEMPLATE,
            _contract_context(sources, contract, schedules[code], invoices[code]),
            refresh=True,
        )
        for code, contract in sources.contracts.items()
    ]
    return _commit_in_batches(_render_jobs(sources, jobs))


@dataclass(frozen=True)
class _Job:
    """One document to render: `refresh` ones are written only when their text changed."""

    path: Path
    template: str
    context: Record
    refresh: bool


_WORKER: tuple[Settings, Environment] | None = None
"""The settings and template environment of a render worker process (`_start_worker`)."""


def _render_jobs(sources: _Sources, jobs: list[_Job]) -> Iterator[tuple[str, Path]]:
    """Render each job into a temporary file beside its document; yields (temporary, path)
    for the ones to write, in order. Rendering is CPU-bound Python, so many documents are
    rendered chunk by chunk by `document_workers` processes.

    The workers come from a fork server (a fresh single-threaded process), never from a fork
    of this one: a fork copies the locks other threads hold (Prefect's, DuckDB's)
    and a worker could wait on one forever. A worker that dies fails the run
    (BrokenProcessPool) instead of leaving it waiting; on a failure, the temporary files of
    chunks finished but not yet yielded are removed."""
    chunks = [jobs[start : start + _CHUNK] for start in range(0, len(jobs), _CHUNK)]
    workers = min(sources.settings.document_workers or os.cpu_count() or 1, len(jobs) // _CHUNK)
    if workers < 2 or "forkserver" not in multiprocessing.get_all_start_methods():
        for chunk in chunks:
            yield from _render_chunk(sources.settings, sources.env, chunk)
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(sources.settings,)
    ) as pool:
        pending = deque(pool.submit(_render_in_worker, chunk) for chunk in chunks)
        try:
            while pending:
                yield from pending[0].result()
                pending.popleft()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            _discard(pending)
            raise


def _discard(futures: Iterable[Future[list[tuple[str, Path]]]]) -> None:
    """Remove the temporary files of the chunks that finished. Those already yielded are
    either renamed (their temporary name is gone) or removed by `_commit_in_batches`, so
    removing a name that is missing is fine."""
    for future in futures:
        if future.done() and not future.cancelled() and future.exception() is None:
            _remove_temporaries(future.result())


def _remove_temporaries(written: Iterable[tuple[str, Path]]) -> None:
    """Remove the temporary file of each (temporary, path) that is still there."""
    for temporary, _ in written:
        Path(temporary).unlink(missing_ok=True)


def _start_worker(settings: Settings) -> None:
    global _WORKER  # noqa: PLW0603 - one environment per worker process
    _WORKER = (settings, document_environment(settings))


def _render_in_worker(jobs: list[_Job]) -> list[tuple[str, Path]]:
    assert _WORKER is not None, "_start_worker runs first in every worker"
    return _render_chunk(*_WORKER, jobs)


def _render_chunk(settings: Settings, env: Environment, jobs: list[_Job]) -> list[tuple[str, Path]]:
    written: list[tuple[str, Path]] = []
    try:
        for job in jobs:
            data = _render(settings, env, job.template, job.context).encode("utf-8")
            if not (job.refresh and _holds(job.path, data)):
                written.append((_write_temporary(job.path, data), job.path))
    except BaseException:
        _remove_temporaries(written)
        raise
    return written


def _invoice_context(sources: _Sources, invoice: Record, lines: list[Record]) -> Record:
    return {
        "title": "Credit note" if invoice["kind"] == "credit_note" else "Invoice",
        "invoice": invoice,
        "lines": lines,
        "billed_for": billed_for(invoice),
        "terms": payment_terms(invoice["terms_days"]),
        **_parties(sources, invoice["client_id"], invoice["client_name"]),
        "late_fee_clause": late_fee_clause(
            sources.settings.late_fee_clause, sources.contracts.get(invoice["contract_code"])
        ),
    }


def _contract_context(
    sources: _Sources, contract: Record, installments: list[Record], invoices: list[Record]
) -> Record:
    return {
        "title": "Contract summary",
        "contract": contract,
        "installments": installments,
        "invoices": invoices,
        "terms": payment_terms(contract["terms_days"]),
        **_parties(sources, contract["client_id"], contract["client_name"]),
        "late_fee_clause": late_fee_clause(sources.settings.late_fee_clause, contract),
    }


def _parties(sources: _Sources, client_id: str | None, client_name: str | None) -> Record:
    """Seller and client blocks, with what the documents print in their footers."""
    settings = sources.settings
    company = sources.companies.get(client_id or "")
    return {
        "seller": {
            "name": settings.seller_name,
            "address_lines": _nonblank_lines(settings.seller_address),
            "tax_id": settings.seller_tax_id,
            "email": settings.seller_email,
        },
        "client": {
            "name": client_name or (company or {}).get("company_name") or "",
            "address_lines": address_lines(company),
        },
        "remittance": settings.remittance,
    }


def late_fee_clause(template: str, contract: Record | None) -> str:
    """The setting's clause with the contract's own terms: `{pct}` (1.5) and `{grace}`
    (", after a grace period of 10 days", or nothing)."""
    if contract is None:
        return ""
    pct = Decimal(contract["late_fee_pct"])
    if pct == 0:
        return "No late fee applies."
    days = int(contract["late_fee_grace_days"])
    grace = f", after a grace period of {days} days" if days else ""
    return template.format(pct=plain_number(pct), grace=grace)


def address_lines(company: Record | None) -> list[str]:
    """A HubSpot company's postal address: street, `City, ST 12345`, country; blanks left out."""
    if company is None:
        return []
    region = " ".join(part for part in (company["state"], company["zip"]) if part)
    locality = ", ".join(part for part in (company["city"], region) if part)
    return [line for line in (company["address"], locality, company["country"]) if line]


def _nonblank_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _render(settings: Settings, env: Environment, name: str, context: Record) -> str:
    try:
        return env.get_template(name).render(context)
    except TemplateError as exc:
        where = settings.templates_dir or BUILTIN_TEMPLATES
        raise DocumentError(
            f"cannot render the document template {name} (looked in {where}): {one_line(exc)}"
        ) from exc


def document_path(folder: Path, name: str) -> Path:
    """`<folder>/<name>.html`; a name that could leave the folder is refused."""
    if not _SAFE_NAME.fullmatch(name):
        raise DocumentError(
            f"{name!r} cannot name a document file (letters, digits, '.', '-', '_' only); "
            "correct the contract code (HubSpot billing_contract_code)"
        )
    return folder / f"{name}.html"


def _holds(path: Path, data: bytes) -> bool:
    """Whether the file at `path` already holds exactly `data`."""
    return path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data


def write_atomically(path: Path, content: str | bytes) -> None:
    """A temporary file in the same folder, flushed to disk, then renamed over `path`; text
    is written as UTF-8."""
    temporary = _write_temporary(path, content, durable=True)
    try:
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _commit_in_batches(temporaries: Iterable[tuple[str, Path]], batch: int = WRITE_BATCH) -> int:
    """Put each (temporary, path) in place, each file replaced atomically as
    `write_atomically` does but with one disk flush per batch instead of two per file (a
    flush costs more than rendering a document): a batch's temporary files are flushed
    together (`os.sync`), renamed over their paths, then each folder's renames are flushed
    once.
    Returns the number of files put in place; a failure removes the temporaries left."""
    written = 0
    pending: list[tuple[str, Path]] = []
    try:
        for temporary, path in temporaries:
            pending.append((temporary, path))
            if len(pending) >= batch:
                written += _commit(pending)
        written += _commit(pending)
    finally:
        _remove_temporaries(pending)
    return written


def _write_temporary(path: Path, content: str | bytes, *, durable: bool = False) -> str:
    """`content` in a new temporary file beside `path`, flushed to disk when `durable`;
    returns its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content.encode("utf-8") if isinstance(content, str) else content)
            os.fchmod(file.fileno(), 0o644)
            if durable:
                file.flush()
                os.fsync(file.fileno())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return temporary


def _commit(pending: list[tuple[str, Path]]) -> int:
    """Flush the temporary files, rename each over its target, flush the folders; empties
    `pending`."""
    if not pending:
        return 0
    os.sync()
    for temporary, path in pending:
        os.replace(temporary, path)
    for folder in {path.parent for _, path in pending}:
        _sync_folder(folder)
    count = len(pending)
    pending.clear()
    return count


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX keeps it in the folder's metadata)."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _marts_rows(wh: Warehouse, table: str, *, order_by: str, where: str = "") -> list[Record]:
    """Every column of a marts table (its contract's order), as dicts."""
    columns = load_layer("marts")[table].column_names
    return _select(wh, columns, f"{wh.schemas.marts}.{table}{where} order by {order_by}")


def _select(wh: Warehouse, columns: list[str], source: str) -> list[Record]:
    rows = wh.query(f"select {', '.join(columns)} from {source}")
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _lines_of(wh: Warehouse, numbers: list[str]) -> dict[str, list[Record]]:
    if not numbers:
        return {}
    where = f" where invoice_number in ({sql_list(numbers)})"
    lines = _marts_rows(wh, "invoice_lines", order_by="invoice_number, line_no", where=where)
    return _grouped(lines, "invoice_number")


def _companies(wh: Warehouse) -> dict[str, Record]:
    """HubSpot companies by id, for address blocks; none before the first run staged them."""
    schema, table = wh.schemas.staging, "stg_hubspot__companies"
    present = wh.scalar(
        "select count(*) from information_schema.tables "
        f"where table_schema = {sql_literal(schema)} and table_name = {sql_literal(table)}"
    )
    if not present:
        return {}
    companies = _select(wh, _COMPANY_COLUMNS, f"{schema}.{table}")
    return {company["company_id"]: company for company in companies}


def _grouped(rows: list[Record], key: str) -> defaultdict[str, list[Record]]:
    groups: defaultdict[str, list[Record]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    return groups
