"""The review of held drafts: list them, show one, release it or discard it.

A decision is a person's command like the others (billflow/commands.py): it takes the
warehouse lock, is checked against what the last run published, and is appended to
`audit.commands`, an input of every later run. It records the fingerprint of the lines it
was made on (`marts.invoice_drafts.evidence_hash`): the next run issues a released draft only
if its lines are still exactly those, and keeps a discarded one out only while they are.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from billflow.commands import Command, CommandRefusedError, record_command, run_command
from billflow.config import Settings
from billflow.errors import BillflowError
from billflow.money import format_money
from billflow.warehouse import Warehouse, sql_literal

_DRAFT_COLUMNS = (
    "draft_key",
    "contract_code",
    "status",
    "currency",
    "total",
    "line_count",
    "hold_codes",
    "hold_reasons",
    "invoice_number",
    "evidence_hash",
    "review_decision",
    "review_applies",
    "as_of",
)
_LINE_COLUMNS = ("line_no", "description", "quantity", "unit_price", "amount", "tax_inclusive")


def release_draft(settings: Settings, draft_key: str, note: str, actor: str, on: date) -> str:
    command = Command("review.release", draft_key, {"note": note}, actor, on)
    return run_command(settings, command, _release)


def discard_draft(settings: Settings, draft_key: str, note: str, actor: str, on: date) -> str:
    command = Command("review.discard", draft_key, {"note": note}, actor, on)
    return run_command(settings, command, _discard)


def list_drafts(settings: Settings, include_all: bool = False) -> str:
    """The drafts waiting for a person (HELD; with `include_all`, READY and DISCARDED too)."""
    wh = Warehouse(settings)
    try:
        wh.init()
        statuses = "('HELD', 'READY', 'DISCARDED')" if include_all else "('HELD')"
        drafts = _drafts(wh, f"status in {statuses}")
    finally:
        wh.close()
    if not drafts:
        return "no drafts held" if not include_all else "no drafts waiting"
    as_of = drafts[0]["as_of"]
    lines = [f"{len(drafts)} draft(s) waiting, as of the run of {as_of}:"]
    for draft in drafts:
        lines.extend(_draft_summary(draft))
    lines.append(
        "decide: billflow review release|discard DRAFT --by NAME --note TEXT "
        "(billflow review show DRAFT lists its lines)"
    )
    return "\n".join(lines)


def show_draft(settings: Settings, draft_key: str) -> str:
    """One draft: its checks and its lines, as the last run left them."""
    wh = Warehouse(settings)
    try:
        wh.init()
        draft = _draft(wh, draft_key)
        rows = wh.query(
            f"select {', '.join(_LINE_COLUMNS)} from {wh.schemas.marts}.invoice_draft_lines "
            f"where draft_key = {sql_literal(draft_key)} order by line_no"
        )
    finally:
        wh.close()
    lines = _draft_summary(draft)
    currency = draft["currency"]
    for line_no, description, quantity, unit_price, amount, included in rows:
        tax = " (tax incl.)" if included else ""
        lines.append(
            f"    {line_no:>3}  {description}  {quantity} x {format_money(unit_price, currency)}"
            f" = {format_money(amount, currency)}{tax}"
        )
    return "\n".join(lines)


def _draft_summary(draft: dict[str, Any]) -> list[str]:
    decision = ""
    if draft["review_decision"] and not draft["review_applies"]:
        decision = f" ({draft['review_decision'].lower()} once, but its lines changed since)"
    head = (
        f"  {draft['draft_key']}  {draft['status']}{decision}  "
        f"{format_money(draft['total'], draft['currency'])}, {draft['line_count']} line(s)"
    )
    reasons = (draft["hold_reasons"] or "").split("; ")
    return [head, *(f"      {reason}" for reason in reasons if reason)]


def _release(wh: Warehouse, command: Command) -> str:
    draft = _draft(wh, command.target)
    codes = set((draft["hold_codes"] or "").split(","))
    if draft["status"] == "ISSUED":
        raise CommandRefusedError(
            f"refused: {command.target} is already issued as {draft['invoice_number']}"
        )
    if draft["status"] == "READY" and draft["review_decision"] != "DISCARDED":
        raise CommandRefusedError(
            f"refused: {command.target} is READY: the next run issues it without a review"
        )
    if "NON_POSITIVE_TOTAL" in codes:
        raise CommandRefusedError(
            f"refused: {command.target} totals {format_money(draft['total'], draft['currency'])}"
            "; an invoice must total more than zero (discard it instead); nothing changed"
        )
    if _same_decision(wh, draft, "review.release"):
        return f"{command.target} is already released as it stands; nothing to do"
    _decide(wh, command, draft)
    return (
        f"{command.target} released by {command.actor}: "
        f"{format_money(draft['total'], draft['currency'])}; the next run issues it as reviewed "
        "(if its lines change first, it is checked again)"
    )


def _discard(wh: Warehouse, command: Command) -> str:
    draft = _draft(wh, command.target)
    if draft["status"] == "ISSUED":
        raise CommandRefusedError(
            f"refused: {command.target} is already issued as {draft['invoice_number']}; "
            "correct it with billflow invoice credit"
        )
    if _same_decision(wh, draft, "review.discard"):
        return f"{command.target} is already discarded as it stands; nothing to do"
    _decide(wh, command, draft)
    return (
        f"{command.target} discarded by {command.actor}: it is not drafted again while its "
        "lines stay the same"
    )


def _same_decision(wh: Warehouse, draft: dict[str, Any], command: str) -> bool:
    """Whether the latest decision recorded on the draft (the next run may not have published
    it yet) is this one, on these lines."""
    latest = wh.query(
        f"select command, details->>'evidence_hash' from {wh.schemas.audit}.commands "
        f"where target = {sql_literal(draft['draft_key'])} "
        "and command in ('review.release', 'review.discard') "
        "order by acted_at desc, command_id desc limit 1"
    )
    return bool(latest) and latest[0] == (command, draft["evidence_hash"])


def _decide(wh: Warehouse, command: Command, draft: dict[str, Any]) -> None:
    details = {
        **command.details,
        "evidence_hash": draft["evidence_hash"],
        "total": str(draft["total"]),
        "currency": draft["currency"],
    }
    decided = Command(command.name, command.target, details, command.actor, command.acted_on)
    record_command(wh, decided, draft["status"])


def _draft(wh: Warehouse, draft_key: str) -> dict[str, Any]:
    found = _drafts(wh, f"draft_key = {sql_literal(draft_key)}")
    if not found:
        raise BillflowError(
            f"no draft {draft_key} in marts.invoice_drafts; `billflow review list` shows the "
            "held ones (run billflow nightly first)"
        )
    return found[0]


def _drafts(wh: Warehouse, condition: str) -> list[dict[str, Any]]:
    rows = wh.query(
        f"select {', '.join(_DRAFT_COLUMNS)} from {wh.schemas.marts}.invoice_drafts "
        f"where {condition} order by contract_code, draft_key"
    )
    return [dict(zip(_DRAFT_COLUMNS, row, strict=True)) for row in rows]
