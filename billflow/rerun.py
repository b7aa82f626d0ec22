"""An on-demand reconciliation rerun: its scope, and what it would change.

A rerun recomputes everything as the nightly run does, but only drafts in its scope (the
billing periods that end in a month, optionally one client) may be issued. A dry run writes
nothing and reports the difference from what the marts hold: drafts new, changed or
unchanged, and the documents applying would issue (invoices, the adjustments they carry, and
credit notes), with amounts. Applying writes exactly those.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from billflow.errors import BillflowError
from billflow.money import format_money
from billflow.warehouse import Warehouse, sql_literal

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_DRAFT_FIGURES = ("status", "total", "hold_codes", "evidence_hash")


@dataclass(frozen=True)
class Scope:
    """Every billing period that ends in `period` (YYYY-MM), optionally of one client."""

    period: str
    client: str | None = None

    @property
    def bounds(self) -> tuple[date, date]:
        match = _PERIOD.match(self.period)
        if not match:
            raise BillflowError(f"--period {self.period!r} is not a month (YYYY-MM, e.g. 2026-03)")
        year, month = int(match[1]), int(match[2])
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])

    def sql(self, wh: Warehouse) -> str:
        """The condition on a draft row (alias `drafts`): its period ends in the month (an
        adjustment: the period of the invoice it adjusts), and its contract is the client's."""
        first, last = self.bounds
        period_end = (
            f"coalesce((select adjusted.period_end from {wh.schemas.marts}.invoices as adjusted "
            "where drafts.trigger_type = 'adjustment' "
            "and adjusted.invoice_number = drafts.trigger_id), drafts.period_end)"
        )
        condition = f"{period_end} between date '{first}' and date '{last}'"
        if self.client:
            condition += (
                f" and drafts.contract_code in (select contract_code from "
                f"{wh.schemas.build}.int_contracts where client_id = {sql_literal(self.client)})"
            )
        return condition

    def describe(self) -> str:
        client = f", client {self.client}" if self.client else ""
        return f"periods ending in {self.period}{client}"


@dataclass
class DraftChange:
    draft_key: str
    change: str
    before: dict[str, Any] | None
    after: dict[str, Any]


@dataclass
class Document:
    number: str
    kind: str
    draft_key: str
    currency: str
    total: Decimal
    adjustments: list[tuple[str, Decimal]] = field(default_factory=list)


@dataclass
class RerunReport:
    scope: Scope
    as_of: date
    applied: bool
    drafts: list[DraftChange] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)

    def count(self, change: str) -> int:
        return sum(1 for draft in self.drafts if draft.change == change)

    def lines(self) -> list[str]:
        verb = "issued" if self.applied else "would issue"
        mode = "applied" if self.applied else "dry run: nothing written"
        out = [
            f"rerun of {self.scope.describe()}, as_of {self.as_of} ({mode})",
            f"  drafts      {self.count('new')} new, {self.count('changed')} changed, "
            f"{self.count('unchanged')} unchanged",
        ]
        for draft in self.drafts:
            if draft.change != "unchanged":
                out.append(f"    {draft.change:<9} {draft.draft_key}  {_draft_text(draft)}")
        out.append(f"  documents   {verb} {len(self.documents)}")
        for doc in self.documents:
            out.append(
                f"    {doc.number}  {doc.kind.replace('_', ' ')}  {doc.draft_key}  "
                f"{format_money(doc.total, doc.currency)}"
            )
            for invoice, amount in doc.adjustments:
                out.append(f"      adjusts {invoice} by {format_money(amount, doc.currency)}")
        if not self.applied and self.documents:
            out.append("  apply with --apply to write exactly these")
        return out


def report(wh: Warehouse, scope: Scope, as_of: date, applied: bool) -> RerunReport:
    """Compare the build (this run) with the marts (before it), within the scope."""
    result = RerunReport(scope, as_of, applied)
    condition = scope.sql(wh)
    before = _drafts(wh, f"{wh.schemas.marts}.invoice_drafts", condition)
    after = _drafts(wh, f"{wh.schemas.build}.invoice_drafts", condition)
    for key, figures in after.items():
        stored = before.get(key)
        change = "new" if stored is None else "unchanged" if stored == figures else "changed"
        result.drafts.append(DraftChange(key, change, stored, figures))
    result.documents = _documents(wh, condition)
    return result


def _drafts(wh: Warehouse, table: str, condition: str) -> dict[str, dict[str, Any]]:
    columns = ", ".join(_DRAFT_FIGURES)
    rows = wh.query(
        f"select draft_key, currency, {columns} from {table} as drafts "
        f"where {condition} order by draft_key"
    )
    return {
        key: {"currency": currency, **dict(zip(_DRAFT_FIGURES, figures, strict=True))}
        for key, currency, *figures in rows
    }


def _documents(wh: Warehouse, condition: str) -> list[Document]:
    build = wh.schemas.build
    rows = wh.query(
        f"select invoice_number, kind, draft_key, currency, total from {build}.int_issued_invoices "
        f"as drafts where is_new and {condition} order by invoice_number"
    )
    documents = [Document(*row) for row in rows]
    for doc in documents:
        doc.adjustments = [
            (str(invoice), Decimal(amount))
            for invoice, amount in wh.query(
                f"select reference, sum(amount) from {build}.int_draft_lines "
                f"where draft_key = {sql_literal(doc.draft_key)} and line_type = 'adjustment' "
                "group by reference order by reference"
            )
        ]
    return documents


def _draft_text(draft: DraftChange) -> str:
    after = draft.after
    now = f"{after['status']} {format_money(after['total'], after['currency'])}"
    if after["hold_codes"] and after["status"] == "HELD":
        now += f" ({after['hold_codes']})"
    if draft.before is None:
        return now
    was = f"{draft.before['status']} {format_money(draft.before['total'], after['currency'])}"
    return f"{was} -> {now}"
