"""The audit trail: `audit.runs` and `audit.events`.

`audit.runs` has one row per writing run, written at its start and completed at its end,
with a fingerprint of the inputs it saw.

`audit.events` is append-only and hash-chained: one event per document issued, review
decision, contract status reached and payment applied. Each row's hash covers the hash of
the row before it, so an edited, deleted or reordered row breaks the chain where it was
changed, and `verify` names it. Events are appended under the warehouse lock, inside the
transaction that makes their facts real (publish, or a person's command). A failed run
appends nothing, and (event_type, subject) is unique, so a rerun or a retry appends nothing
twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from billflow.contracts import load_layer
from billflow.errors import BillflowError
from billflow.money import half_up
from billflow.warehouse import Warehouse, sql_list, sql_literal

if TYPE_CHECKING:
    from billflow.summary import RunSummary

ZERO_HASH = "0" * 64
REVIEW_DECISIONS = ("review.release", "review.discard")


def record_start(
    wh: Warehouse, run_id: str, flow: str, as_of: date, parameters: dict[str, Any]
) -> None:
    table = f"{wh.schemas.audit}.runs"
    wh.execute(f"delete from {table} where run_id = {sql_literal(run_id)}")
    wh.execute(
        f"insert into {table} (run_id, flow, as_of, parameters, status, started_at) values ("
        f"{sql_literal(run_id)}, {sql_literal(flow)}, date '{as_of.isoformat()}', "
        f"{_json(wh, parameters)}, 'RUNNING', current_timestamp)"
    )


def record_end(
    wh: Warehouse,
    run_id: str,
    status: str,
    summary: RunSummary | None = None,
    error: str | None = None,
) -> None:
    table = f"{wh.schemas.audit}.runs"
    figures = (
        f"summary = {_json(wh, summary.as_json())}, counts = {_json(wh, summary.counts())}, "
        f"totals = {_json(wh, summary.totals())}"
        if summary is not None
        else "summary = null, counts = null, totals = null"
    )
    wh.execute(
        f"update {table} set status = {sql_literal(status)}, finished_at = current_timestamp, "
        "duration_seconds = "
        "cast(extract(epoch from current_timestamp - started_at) as decimal(12,3)), "
        f"{figures}, error = {sql_literal(error)}, "
        f"inputs_fingerprint = {sql_literal(inputs_fingerprint(wh))} "
        f"where run_id = {sql_literal(run_id)}"
    )


def inputs_fingerprint(wh: Warehouse) -> str:
    """sha256 over the state of the run's inputs. raw.records and audit.commands are
    append-only, so the row count and the last landing number of each stream identify them
    without reading a payload."""
    streams = wh.query(
        f"select source, stream, count(*), max(landed_seq) from {wh.schemas.raw}.records "
        "group by source, stream"
    )
    commands = wh.scalar(f"select count(*) from {wh.schemas.audit}.commands")
    lines = sorted(f"raw.records {src}.{stream} {n} {last}" for src, stream, n, last in streams)
    return _sha256("\n".join([*lines, f"audit.commands {commands}"]))


def _json(wh: Warehouse, value: Any) -> str:
    return (
        f"cast({sql_literal(json.dumps(value, sort_keys=True, default=str))} as {wh.dialect.json})"
    )


@dataclass(frozen=True)
class AuditEvent:
    """A fact to append. `facts` may hold Decimal and date values: `canonical_json` writes
    them as strings. `as_of` and `run_id` name the run or command that appends it."""

    event_type: str
    subject: str
    as_of: date
    run_id: str
    facts: Mapping[str, Any]

    @property
    def payload(self) -> str:
        return canonical_json(self.facts)


@dataclass(frozen=True)
class Link:
    """A row of audit.events as stored, the unit `verify` checks."""

    seq: int
    event_type: str
    subject: str
    payload: str
    prev_hash: str
    hash: str

    def content_hash(self, seq: int | None = None) -> str:
        """The hash of this row's content, as if it stood at `seq` (default: where it is)."""
        at = self.seq if seq is None else seq
        return event_hash(self.prev_hash, at, self.event_type, self.subject, self.payload)

    @property
    def name(self) -> str:
        return f"audit.events seq {self.seq} ({self.event_type} {self.subject})"


def event_hash(prev_hash: str, seq: int, event_type: str, subject: str, payload: str) -> str:
    return _sha256("\n".join([prev_hash, str(seq), event_type, subject, payload]))


def canonical_json(facts: Mapping[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8 as is; Decimal and date as strings, so the same facts
    give the same text on every engine."""
    return json.dumps(
        facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_scalar
    )


def _scalar(value: Any) -> str:
    if isinstance(value, Decimal | date):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def append_events(wh: Warehouse, events: Sequence[AuditEvent]) -> list[Link]:
    """Chain and append the events not recorded yet, in the order given; returns the rows
    appended. Call it under the warehouse lock, inside the transaction that writes the
    facts (it joins it), so the events exist exactly when the facts do."""
    with wh.transaction():
        fresh = _unrecorded(wh, events)
        if not fresh:
            return []
        links = _chain(_tail(wh), fresh)
        _insert(wh, links, fresh)
        return links


def _unrecorded(wh: Warehouse, events: Sequence[AuditEvent]) -> list[AuditEvent]:
    """The events whose (event_type, subject) audit.events does not hold, first of each."""
    recorded: set[tuple[str, str]] = set()
    for event_type in sorted({event.event_type for event in events}):
        subjects = sorted({e.subject for e in events if e.event_type == event_type})
        found = wh.query(
            f"select subject from {wh.schemas.audit}.events "
            f"where event_type = {sql_literal(event_type)} and subject in ({sql_list(subjects)})"
        )
        recorded |= {(event_type, subject) for (subject,) in found}
    fresh = []
    for event in events:
        key = (event.event_type, event.subject)
        if key not in recorded:
            recorded.add(key)
            fresh.append(event)
    return fresh


def _tail(wh: Warehouse) -> tuple[int, str]:
    found = wh.query(f"select seq, hash from {wh.schemas.audit}.events order by seq desc limit 1")
    return (int(found[0][0]), str(found[0][1])) if found else (0, ZERO_HASH)


def _chain(tail: tuple[int, str], events: Sequence[AuditEvent]) -> list[Link]:
    seq, prev_hash = tail
    links = []
    for event in events:
        seq += 1
        payload = event.payload
        digest = event_hash(prev_hash, seq, event.event_type, event.subject, payload)
        links.append(Link(seq, event.event_type, event.subject, payload, prev_hash, digest))
        prev_hash = digest
    return links


def _insert(wh: Warehouse, links: Sequence[Link], events: Sequence[AuditEvent]) -> None:
    wh.insert_rows(
        f"{wh.schemas.audit}.events",
        ("seq", "event_type", "subject", "as_of", "run_id", "payload", "prev_hash", "hash"),
        [
            (link.seq, link.event_type, link.subject, event.as_of, event.run_id, link.payload,
             link.prev_hash, link.hash)
            for link, event in zip(links, events, strict=True)
        ],
    )  # fmt: skip


@dataclass(frozen=True)
class EventSource:
    """Where a run finds the events of one type: a table whose rows are the facts.

    `layer` is build (the run's marts, compared with the published ones by `verify`) or
    audit; `order` is the business date, then columns that order events of one day."""

    event_type: str
    layer: str
    table: str
    subject: tuple[str, ...]
    facts: tuple[str, ...]
    order: tuple[str, ...]
    where: str = "true"
    json_facts: tuple[str, ...] = ()

    def subject_sql(self) -> str:
        return " || ':' || ".join(f"facts.{column}" for column in self.subject)


DOCUMENT_FACTS = (
    "invoice_number", "kind", "draft_key", "contract_code", "client_id", "client_name",
    "currency", "issue_date", "due_date", "terms_days", "po_number", "trigger_type",
    "trigger_id", "trigger_date", "period_start", "period_end", "lines_total", "subtotal",
    "tax", "tax_included", "total", "credits_invoice_number", "memo",
)  # fmt: skip
STATUS_FACTS = (
    "contract_code", "from_status", "to_status", "changed_on", "cause", "caused_by", "actor",
)  # fmt: skip
PAYMENT_FACTS = (
    "event_id", "payment_id", "invoice_number", "applied_date", "currency", "applied_amount",
)  # fmt: skip
COMMAND_FACTS = ("command_id", "command", "target", "details", "actor", "acted_on", "result")

SOURCES: tuple[EventSource, ...] = (
    EventSource(
        "contract.status", "build", "contract_history", ("contract_code", "to_status"),
        STATUS_FACTS, ("changed_on", "step"),
    ),
    EventSource(
        "invoice.issued", "build", "invoices", ("invoice_number",), DOCUMENT_FACTS,
        ("issue_date",), "facts.kind = 'invoice'",
    ),
    EventSource(
        "credit_note.issued", "build", "invoices", ("invoice_number",), DOCUMENT_FACTS,
        ("issue_date",), "facts.kind = 'credit_note'",
    ),
    EventSource(
        "payment.applied", "build", "payment_applications", ("event_id", "invoice_number"),
        PAYMENT_FACTS, ("applied_date",),
    ),
    *(
        EventSource(
            decision, "audit", "commands", ("target", "command_id"), COMMAND_FACTS, ("acted_on",),
            f"facts.command = '{decision}'", json_facts=("details",),
        )
        for decision in REVIEW_DECISIONS
    ),
)  # fmt: skip


def run_events(wh: Warehouse, as_of: date, run_id: str) -> list[AuditEvent]:
    """The events of a run: the facts of its build (and the review decisions) that
    audit.events does not hold yet, in order of business date."""
    found = []
    for rank, source in enumerate(SOURCES):
        schema = getattr(wh.schemas, source.layer)
        for row in _unrecorded_rows(wh, source, schema):
            key = (row[source.order[0]], rank, *(row[c] for c in source.order[1:]))
            found.append((key, _event_of(source, row, as_of, run_id)))
    found.sort(key=lambda item: (*item[0], item[1].subject))
    return [event for _, event in found]


def _unrecorded_rows(wh: Warehouse, source: EventSource, schema: str) -> list[dict[str, Any]]:
    columns = list(dict.fromkeys([*source.facts, *source.subject, *source.order]))
    found = wh.query(
        f"select {', '.join(f'facts.{c}' for c in columns)} "
        f"from {schema}.{source.table} as facts where {source.where} and not exists ("
        f"select 1 from {wh.schemas.audit}.events as events "
        f"where events.event_type = {sql_literal(source.event_type)} "
        f"and events.subject = {source.subject_sql()})"
    )
    return [dict(zip(columns, row, strict=True)) for row in found]


def event(event_type: str, row: Mapping[str, Any], as_of: date, run_id: str) -> AuditEvent:
    """The event of a fact given as a row of its source (`SOURCES`): the same subject and
    facts whether a command appends it at once or a run finds it later."""
    return _event_of(source_of(event_type), row, as_of, run_id)


def _event_of(source: EventSource, row: Mapping[str, Any], as_of: date, run_id: str) -> AuditEvent:
    subject = ":".join(str(row[column]) for column in source.subject)
    return AuditEvent(source.event_type, subject, as_of, run_id, facts_of(source, row))


def facts_of(source: EventSource, row: Mapping[str, Any]) -> dict[str, Any]:
    """The payload facts of a source row: money at the currency's minor unit (the tables
    store three places), JSON columns parsed (DuckDB returns them as text)."""
    layer = "marts" if source.layer == "build" else source.layer
    columns = load_layer(layer)[source.table].columns
    money = {column.name for column in columns if column.type == "money"}
    facts = {}
    for column in source.facts:
        value = row[column]
        if column in money and value is not None:
            value = half_up(Decimal(value), str(row["currency"]))
        elif column in source.json_facts and isinstance(value, str):
            value = json.loads(value)
        facts[column] = value
    return facts


def source_of(event_type: str) -> EventSource:
    """The source of an event type, so commands build their events with the same facts."""
    return next(s for s in SOURCES if s.event_type == event_type)


def verify(wh: Warehouse) -> tuple[int, list[str]]:
    """Re-walk the chain: the number of events and one line per problem found. Also checks
    that every published document, contract status, payment application and review decision
    has its event, which catches the deletion of the newest rows the chain cannot see."""
    if not wh.scalar(
        "select count(*) from information_schema.tables "
        f"where table_schema = '{wh.schemas.audit}' and table_name = 'events'"
    ):
        raise BillflowError("the warehouse has no audit.events: run billflow nightly first")
    with wh.transaction():
        for statement in wh.dialect.snapshot_read():
            wh.execute(statement)
        links = [
            Link(int(seq), *rest)
            for seq, *rest in wh.query(
                f"select seq, event_type, subject, payload, prev_hash, hash "
                f"from {wh.schemas.audit}.events order by seq"
            )
        ]
        missing = [line for s in SOURCES if (line := _missing_events(wh, s))]
    return len(links), chain_problems(links) + missing


def chain_problems(links: Sequence[Link]) -> list[str]:
    """One line per broken row of a chain given in seq order. A row that is reported
    explains the break of the link after it, which is not reported again."""
    original = _original_seqs(links)
    problems: list[str] = []
    previous: Link | None = None
    previous_broken = False
    for link in links:
        found = _gap(link, previous) + _content(link, original.get(link.hash))
        if not found and not previous_broken:
            found = _broken_link(link, previous)
        problems.extend(found)
        previous, previous_broken = link, bool(found)
    return problems


def _original_seqs(links: Iterable[Link]) -> dict[str, int]:
    """For each row (by hash), the seq it was chained at: one after the row its prev_hash
    names, following prev_hash back to the start or to a row whose hash fits its place."""
    by_hash = {link.hash: link for link in links}
    seqs: dict[str, int] = {}
    for link in by_hash.values():
        trail = _trail(link, by_hash, seqs)
        base = seqs.get(trail[-1].prev_hash) if trail else None
        if trail and trail[-1].prev_hash == ZERO_HASH:
            base = 0
        for step in reversed(trail):
            if base is None:
                break
            base += 1
            seqs[step.hash] = base
    return seqs


def _trail(link: Link, by_hash: Mapping[str, Link], seqs: dict[str, int]) -> list[Link]:
    """The rows from `link` back to the first whose seq is known (recorded in `seqs` when
    its hash fits its place), newest first; that row is not on the trail."""
    trail: list[Link] = []
    current: Link | None = link
    while current is not None and current.hash not in seqs:
        if current.content_hash() == current.hash:
            seqs[current.hash] = current.seq
            break
        if current in trail:
            return []
        trail.append(current)
        current = by_hash.get(current.prev_hash)
    return trail


def _gap(link: Link, previous: Link | None) -> list[str]:
    expected = previous.seq + 1 if previous else 1
    if link.seq == expected:
        return []
    rows = f"seq {expected}" if link.seq - expected == 1 else f"seq {expected} to {link.seq - 1}"
    verb = "is" if link.seq - expected == 1 else "are"
    after = f"follows seq {previous.seq}" if previous else "starts the chain"
    return [f"audit.events {rows} {verb} missing (deleted): seq {link.seq} {after}"]


def _content(link: Link, chained_at: int | None) -> list[str]:
    if link.content_hash() == link.hash:
        return []
    if chained_at is not None and link.content_hash(chained_at) == link.hash:
        return [f"{link.name} is out of order: it was chained as seq {chained_at}"]
    return [f"{link.name} was edited: its hash does not match its content"]


def _broken_link(link: Link, previous: Link | None) -> list[str]:
    expected = previous.hash if previous else ZERO_HASH
    if link.prev_hash == expected:
        return []
    if previous is None:
        return [f"{link.name} does not start the chain: its prev_hash is not 64 zeros"]
    return [
        f"{previous.name} was edited and its hash recomputed: "
        f"seq {link.seq} was chained to a different hash"
    ]


def _missing_events(wh: Warehouse, source: EventSource) -> str | None:
    """A line naming the published facts of one source without their event, if any."""
    schema = getattr(wh.schemas, "marts" if source.layer == "build" else source.layer)
    rows = _unrecorded_rows(wh, source, schema)
    if not rows:
        return None
    subjects = sorted(":".join(str(row[c]) for c in source.subject) for row in rows)
    more = f" and {len(subjects) - 5} more" if len(subjects) > 5 else ""
    shown = ", ".join(subjects[:5]) + more
    return (
        f"audit.events lacks {len(subjects)} {source.event_type} event(s) of "
        f"{source.layer if source.layer == 'audit' else 'marts'}.{source.table}: {shown} "
        "(deleted, or recorded before audit.events existed: the next nightly run appends them)"
    )
