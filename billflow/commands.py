"""A person's commands: cancel or liquidate a contract, credit an invoice.

Each command takes the warehouse lock like a run, checks the rule it must obey against what
the last run published, and appends itself to `audit.commands`, an input of every later run.
A credit note is also written to the document ledger at once, with its number. Statuses,
balances and contract figures follow on the next run. Repeating a command with the same
arguments does nothing and says so; a transition the rules forbid changes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from billflow import audit
from billflow.audit import AuditEvent
from billflow.config import Settings
from billflow.contracts import load_layer
from billflow.errors import BillflowError
from billflow.lock import holder_description, warehouse_lock
from billflow.money import format_money
from billflow.warehouse import Warehouse, sql_literal

CANCELLABLE = ("DRAFTING", "SIGNED")


class CommandRefusedError(BillflowError):
    """The rules forbid the command in the contract's or invoice's present state."""


@dataclass(frozen=True)
class Command:
    name: str
    target: str
    details: dict[str, Any]
    actor: str
    acted_on: date
    command_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def cancel_contract(settings: Settings, code: str, reason: str, actor: str, acted_on: date) -> str:
    command = Command("contract.cancel", code, {"reason": reason}, actor, acted_on)
    return run_command(settings, command, _cancel)


def liquidate_contract(
    settings: Settings, code: str, record: str, actor: str, acted_on: date
) -> str:
    command = Command("contract.liquidate", code, {"record": record}, actor, acted_on)
    return run_command(settings, command, _liquidate)


def credit_invoice(
    settings: Settings,
    invoice: str,
    *,
    reason: str,
    actor: str,
    acted_on: date,
    lines: list[int] | None = None,
) -> str:
    details = {"reason": reason, "lines": sorted(lines) if lines else "all"}
    return run_command(
        settings, Command("invoice.credit", invoice, details, actor, acted_on), _credit
    )


def run_command(settings: Settings, command: Command, action: Any) -> str:
    """Run `action(warehouse, command)` under the warehouse lock: every command of a person
    (contract, invoice, review) writes the way the flows do, one writer at a time."""
    holder = holder_description(f"billflow {command.name}", str(uuid.uuid4()))
    with warehouse_lock(settings, holder):
        wh = Warehouse(settings)
        try:
            wh.init()
            message: str = action(wh, command)
            return message
        finally:
            wh.close()


def _contract_status(wh: Warehouse, code: str) -> str:
    found = wh.query(
        f"select status from {wh.schemas.marts}.contracts where contract_code = {sql_literal(code)}"
    )
    if not found:
        raise BillflowError(
            f"no contract {code} in the warehouse; codes are in marts.contracts "
            "(run billflow nightly first)"
        )
    return str(found[0][0])


def _recorded(wh: Warehouse, command: Command) -> str | None:
    """When the same command was already accepted for the target (the next run may not have
    published it yet), the date it was recorded for."""
    found = wh.scalar(
        f"select min(acted_on) from {wh.schemas.audit}.commands "
        f"where command = {sql_literal(command.name)} and target = {sql_literal(command.target)}"
    )
    return str(found) if found else None


def _already_done(code: str, state: str, recorded_for: str | None) -> str:
    when = recorded_for or "an earlier run"
    return f"{code} is already {state} (recorded for {when}); nothing to do"


def _cancel(wh: Warehouse, command: Command) -> str:
    code, status = command.target, _contract_status(wh, command.target)
    earlier = _recorded(wh, command)
    if status == "CANCELLED" or earlier:
        return _already_done(code, "cancelled", earlier)
    if status not in CANCELLABLE:
        raise CommandRefusedError(
            f"refused: {code} is {status}; a contract can be cancelled only from DRAFTING or "
            "SIGNED, before the project starts (003); nothing changed"
        )
    cause = f"cancelled: {command.details['reason']}"
    record_command(wh, command, "CANCELLED", [_status_event(command, status, "CANCELLED", cause)])
    return (
        f"{code} cancelled on {command.acted_on} ({command.details['reason']}); "
        "the next run shows it in marts.contracts and marts.contract_history"
    )


def _liquidate(wh: Warehouse, command: Command) -> str:
    code, status = command.target, _contract_status(wh, command.target)
    earlier = _recorded(wh, command)
    if status == "LIQUIDATED" or earlier:
        return _already_done(code, "liquidated", earlier)
    if status != "COMPLETED":
        raise CommandRefusedError(
            f"refused: {code} is {status}; only a COMPLETED contract (project done, every "
            "invoice paid) can be liquidated; nothing changed"
        )
    cause = f"liquidation record {command.details['record']}"
    record_command(wh, command, "LIQUIDATED", [_status_event(command, status, "LIQUIDATED", cause)])
    return (
        f"{code} liquidated on {command.acted_on} with record {command.details['record']}; "
        "the next run shows it in marts.contracts and marts.contract_history"
    )


def _credit(wh: Warehouse, command: Command) -> str:
    invoice = _invoice(wh, command.target)
    if command.acted_on < invoice["issue_date"]:
        raise CommandRefusedError(
            f"refused: a credit note dated {command.acted_on} cannot precede "
            f"{command.target}, issued {invoice['issue_date']}"
        )
    earlier = _same_credit(wh, command)
    if earlier:
        return f"{command.target} was already credited by {earlier} for these lines; nothing to do"
    line_numbers = _creditable_lines(wh, command.target, command.details["lines"])
    rows = _credit_rows(
        wh, command.target, line_numbers, sorted(_credited_lines(wh, command.target))
    )
    number, seq = _next_credit_number(wh, command.acted_on.year)
    with wh.transaction():
        document = _insert_credit_note(wh, command, CreditNote(number, seq, invoice, rows))
        note_issued = audit.event(
            "credit_note.issued", document, command.acted_on, command.command_id
        )
        record_command(wh, command, number, [note_issued])
    total = rows["totals"]["total"]
    return (
        f"{number} issued on {command.acted_on}: {format_money(total, invoice['currency'])} "
        f"against {command.target} ({command.details['reason']}); balances follow on the next run"
    )


def _invoice(wh: Warehouse, number: str) -> dict[str, Any]:
    columns = load_layer("marts")["invoices"].column_names
    found = wh.query(
        f"select {', '.join(columns)} from {wh.schemas.marts}.invoices "
        f"where invoice_number = {sql_literal(number)}"
    )
    if not found:
        raise BillflowError(f"no invoice {number} in the warehouse (marts.invoices)")
    invoice = dict(zip(columns, found[0], strict=True))
    if invoice["kind"] != "invoice":
        raise CommandRefusedError(f"refused: {number} is a credit note; credit its invoice")
    if invoice["status"] == "VOID":
        raise CommandRefusedError(f"refused: {number} is VOID; there is nothing left to credit")
    return invoice


def _creditable_lines(wh: Warehouse, invoice: str, asked: Any) -> list[int]:
    marts = wh.schemas.marts
    present = [
        int(n)
        for (n,) in wh.query(
            f"select line_no from {marts}.invoice_lines "
            f"where invoice_number = {sql_literal(invoice)} order by line_no"
        )
    ]
    wanted = present if asked == "all" else list(asked)
    missing = sorted(set(wanted) - set(present))
    if missing:
        raise BillflowError(f"{invoice} has no line {', '.join(map(str, missing))}")
    credited = _credited_lines(wh, invoice)
    again = sorted(set(wanted) & set(credited))
    if again and asked != "all":
        raise CommandRefusedError(
            f"refused: line {', '.join(map(str, again))} of {invoice} was already credited by "
            f"{', '.join(sorted({credited[n] for n in again}))}; nothing changed"
        )
    left = [n for n in wanted if n not in credited]
    if not left:
        raise CommandRefusedError(f"refused: every line of {invoice} is already credited")
    return left


def _credited_lines(wh: Warehouse, invoice: str) -> dict[int, str]:
    marts = wh.schemas.marts
    rows = wh.query(
        f"select lines.reference, lines.invoice_number from {marts}.invoice_lines as lines "
        f"inner join {marts}.invoices as notes on notes.invoice_number = lines.invoice_number "
        f"where notes.credits_invoice_number = {sql_literal(invoice)} "
        "and lines.line_type = 'credit'"
    )
    return {int(reference.rsplit(":", 1)[1]): note for reference, note in rows}


def _same_credit(wh: Warehouse, command: Command) -> str | None:
    found = wh.query(
        f"select result, details from {wh.schemas.audit}.commands "
        f"where command = 'invoice.credit' and target = {sql_literal(command.target)} "
        "order by acted_at"
    )
    for result, details in found:
        recorded = details if isinstance(details, dict) else json.loads(details)
        if recorded.get("lines") == command.details["lines"]:
            return str(result)
    return None


def _credit_rows(
    wh: Warehouse, invoice: str, line_numbers: list[int], credited_before: list[int]
) -> dict[str, Any]:
    sql = wh.render(
        "commands/credit_note.sql",
        invoice_number=sql_literal(invoice),
        line_numbers=", ".join(str(n) for n in line_numbers),
        prior_line_numbers=", ".join(str(n) for n in credited_before) or "null",
    )
    names = [
        "row_kind", "line_no", "credited_line_no", "description", "person_id", "task_id",
        "minutes", "quantity", "unit_price", "amount", "tax_inclusive", "subtotal", "tax",
        "tax_included", "total",
    ]  # fmt: skip
    rows = [dict(zip(names, row, strict=True)) for row in wh.query(sql)]
    return {
        "lines": [row for row in rows if row["row_kind"] == "line"],
        "totals": next(row for row in rows if row["row_kind"] == "totals"),
    }


def _next_credit_number(wh: Warehouse, year: int) -> tuple[str, int]:
    seq = int(
        wh.scalar(
            f"select coalesce(max(series_seq), 0) + 1 from {wh.schemas.marts}.invoices "
            f"where kind = 'credit_note' and series_year = {year}"
        )
    )
    return f"CN-{year}-{seq:06d}", seq


@dataclass(frozen=True)
class CreditNote:
    number: str
    seq: int
    invoice: dict[str, Any]
    rows: dict[str, Any]


def _insert_credit_note(wh: Warehouse, command: Command, note: CreditNote) -> dict[str, Any]:
    """Write the credit note, its lines and their lineage; returns its marts.invoices row."""
    marts, totals, invoice = wh.schemas.marts, note.rows["totals"], note.invoice
    number, seq, rows = note.number, note.seq, note.rows
    lines_key = (
        "all"
        if command.details["lines"] == "all"
        else "-".join(str(n) for n in command.details["lines"])
    )
    document = {
        **invoice,
        "invoice_number": number,
        "kind": "credit_note",
        "series_year": command.acted_on.year,
        "series_seq": seq,
        "draft_key": f"{invoice['invoice_number']}:credit:{lines_key}",
        "issue_date": command.acted_on,
        "due_date": command.acted_on,
        "terms_days": 0,
        "trigger_type": "credit",
        "trigger_id": invoice["invoice_number"],
        "lines_total": totals["amount"],
        "subtotal": totals["subtotal"],
        "tax": totals["tax"],
        "tax_included": totals["tax_included"],
        "total": totals["total"],
        "credits_invoice_number": invoice["invoice_number"],
        "memo": command.details["reason"],
        "amount_paid": Decimal(0),
        "amount_credited": Decimal(0),
        "balance_due": Decimal(0),
        "status": "APPLIED",
        "paid_date": None,
        "days_past_due": None,
    }
    _insert(wh, f"{marts}.invoices", document)
    for line in rows["lines"]:
        reference = f"{invoice['invoice_number']}:{line['credited_line_no']}"
        _insert(
            wh,
            f"{marts}.invoice_lines",
            {
                "invoice_number": number,
                "line_no": line["line_no"],
                "line_type": "credit",
                "description": line["description"],
                "person_id": line["person_id"],
                "task_id": line["task_id"],
                "minutes": line["minutes"],
                "quantity": line["quantity"],
                "unit_price": line["unit_price"],
                "amount": line["amount"],
                "tax_inclusive": line["tax_inclusive"],
                "reference": reference,
            },
        )
        wh.execute(
            f"insert into {marts}.invoice_line_sources (invoice_number, line_no, source, stream, "
            f"record_id) select {sql_literal(number)}, {line['line_no']}, source, stream, "
            f"record_id from {marts}.invoice_line_sources "
            f"where invoice_number = {sql_literal(invoice['invoice_number'])} "
            f"and line_no = {line['credited_line_no']}"
        )
    return document


def _insert(wh: Warehouse, table: str, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    values = ", ".join(_literal(value) for value in row.values())
    wh.execute(f"insert into {table} ({columns}) values ({values})")


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    return sql_literal(str(value))


def record_command(
    wh: Warehouse, command: Command, result: str, events: Sequence[AuditEvent] | None = None
) -> None:
    """Append the command to audit.commands and its events to audit.events, together. A
    review decision's event (`decision_event`) is the default for commands that give none."""
    details = json.dumps(command.details, sort_keys=True)
    if events is None:
        events = [decision_event(command, result)] if command.name in audit.REVIEW_DECISIONS else []
    with wh.transaction():
        wh.execute(
            f"insert into {wh.schemas.audit}.commands (command_id, command, target, details, "
            f"actor, acted_on, acted_at, result) values ({sql_literal(command.command_id)}, "
            f"{sql_literal(command.name)}, {sql_literal(command.target)}, "
            f"cast({sql_literal(details)} as {wh.dialect.json}), {sql_literal(command.actor)}, "
            f"date '{command.acted_on.isoformat()}', current_timestamp, {sql_literal(result)})"
        )
        audit.append_events(wh, events)


def decision_event(command: Command, result: str) -> AuditEvent:
    """The audit event of a review decision (review.release, review.discard): subject
    `<draft key>:<command id>`, since a draft may be decided again when its lines change;
    facts the command as audit.commands records it."""
    row = {
        "command_id": command.command_id,
        "command": command.name,
        "target": command.target,
        "details": command.details,
        "actor": command.actor,
        "acted_on": command.acted_on,
        "result": result,
    }
    return audit.event(command.name, row, command.acted_on, command.command_id)


def _status_event(command: Command, from_status: str, to_status: str, cause: str) -> AuditEvent:
    """The contract.status event of a cancel or liquidate command, with the facts the next
    run's marts.contract_history row will show."""
    row = {
        "contract_code": command.target,
        "from_status": from_status,
        "to_status": to_status,
        "changed_on": command.acted_on,
        "cause": cause,
        "caused_by": "command",
        "actor": command.actor,
    }
    return audit.event("contract.status", row, command.acted_on, command.command_id)
