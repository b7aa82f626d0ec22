"""The outbox: messages rendered once, then delivered at least once with their idempotency key.

A run decides which messages are due (sql/intermediate/int_outbox_due.sql), renders their
subject and body here from the Jinja2 templates `<kind>.txt.j2` (templates/, or the user's
`templates_dir` first, like the documents), and stores them in the build; publish puts them in
`marts.outbox`, where they are never changed again but for their delivery.

After publish, `deliver` sends every undelivered message: a JSON POST to `outbox_webhook_url`
with the header `Idempotency-Key: <message_key>`, or, without a webhook, a JSON file
`<outbox_folder>/<message_key>.json` written atomically. Each attempt is counted in the
warehouse before the message leaves and its delivery recorded right after, so a crash between
the two sends it again on the next try, with the same key: the receiver drops the repeat.

The CRM write-back (kind deal_amounts) goes to HubSpot itself when the source is live and a
`hubspot_token` is set: a batch update of the deals' properties (up to 100 deals a request,
through the connectors' HTTP client), which sets values and so may be repeated safely.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import httpx
from jinja2 import Environment, TemplateError

from billflow.config import Settings
from billflow.contracts import load_layer
from billflow.documents import (
    BUILTIN_TEMPLATES,
    _nonblank_lines,
    document_environment,
    write_atomically,
)
from billflow.errors import (
    BillflowError,
    PermanentSourceError,
    TransientError,
    TransientSourceError,
    one_line,
)
from billflow.money import half_up
from billflow.warehouse import Warehouse, sql_literal
from connectors.http import HttpClient

Record = dict[str, Any]

KINDS = (
    "kickoff", "notify_sales", "overdue_client", "overdue_accounting", "reminder", "deal_amounts"
)  # fmt: skip
CRM_KIND = "deal_amounts"
HUBSPOT_BATCH_PATH = "/crm/v3/objects/deals/batch/update"
HUBSPOT_BATCH_SIZE = 100  # HubSpot's limit of inputs per batch request
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_BATCH = 200


class OutboxError(BillflowError):
    """A message cannot be rendered or delivered, and retrying will not help."""


class TransientOutboxError(OutboxError, TransientError):
    """The webhook answered 429 or 5xx, timed out or dropped the connection."""


# ---------------------------------------------------------------------------------------------
# rendering (during the build)


def render_due(wh: Warehouse) -> int:
    """Render the messages of build.int_outbox_due into build.int_outbox_rendered
    (message_key, subject, body); returns how many."""
    build = wh.schemas.build
    columns = wh.columns(f"select * from {build}.int_outbox_due")
    due = [
        dict(zip(columns, row, strict=True))
        for row in wh.query(f"select * from {build}.int_outbox_due order by message_key")
    ]
    env = document_environment(wh.settings, html=False)
    rendered = [(m["message_key"], *render_message(env, wh.settings, m)) for m in due]
    target = f"{build}.int_outbox_rendered"
    wh.replace_table(
        target,
        "select cast(null as text) as message_key, cast(null as text) as subject, "
        "cast(null as text) as body where 1 = 0",
    )
    for start in range(0, len(rendered), _BATCH):
        values = ", ".join(
            f"({sql_literal(key)}, {sql_literal(subject)}, {sql_literal(body)})"
            for key, subject, body in rendered[start : start + _BATCH]
        )
        wh.execute(f"insert into {target} (message_key, subject, body) values {values}")
    return len(rendered)


def render_message(env: Environment, settings: Settings, message: Record) -> tuple[str, str]:
    """(subject, body) of one message: the template `<kind>.txt.j2` renders the body and sets
    `subject` at its top level."""
    name = f"{message['kind']}.txt.j2"
    context = {
        "message": message,
        "seller": {
            "name": settings.seller_name,
            "address_lines": _nonblank_lines(settings.seller_address),
            "email": settings.seller_email,
        },
        "remittance": settings.remittance,
    }
    try:
        module = env.get_template(name).make_module(context)
    except TemplateError as exc:
        where = settings.templates_dir or BUILTIN_TEMPLATES
        raise OutboxError(
            f"cannot render the message template {name} (looked in {where}): {one_line(exc)}"
        ) from exc
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise OutboxError(f"the message template {name} sets no subject ({{% set subject %}})")
    return subject, str(module).strip("\n") + "\n"


# ---------------------------------------------------------------------------------------------
# delivery (after publish)


class Transport(Protocol):
    def send(self, key: str, payload: Record) -> None:
        """Deliver one message or raise (TransientOutboxError when a retry may succeed)."""

    def close(self) -> None: ...


@dataclass
class FileTransport:
    """The default: one JSON file per message, `<folder>/<message_key>.json`."""

    folder: Path

    def send(self, key: str, payload: Record) -> None:
        write_atomically(message_path(self.folder, key), _json(payload))

    def close(self) -> None:
        pass


class WebhookTransport:
    """POST JSON to a URL with `Idempotency-Key`; 2xx delivers, 429/5xx and network faults are
    transient, any other answer is refused."""

    def __init__(self, url: str, timeout: float, client: httpx.Client | None = None) -> None:
        self.url = url
        self.client = client or httpx.Client(timeout=timeout)

    def send(self, key: str, payload: Record) -> None:
        try:
            response = self.client.post(
                self.url,
                content=_json(payload).encode("utf-8"),
                headers={"Idempotency-Key": key, "Content-Type": "application/json"},
            )
        except httpx.TransportError as exc:  # timeouts, refused or reset connections
            raise TransientOutboxError(
                f"outbox webhook unreachable for {key}: {one_line(exc)}"
            ) from exc
        status = response.status_code
        if 200 <= status < 300:
            return
        message = f"outbox webhook answered {status} for {key}"
        if status == 429 or status >= 500:
            raise TransientOutboxError(message)
        raise OutboxError(f"{message}; check outbox_webhook_url and the receiver")

    def close(self) -> None:
        self.client.close()


@dataclass(frozen=True)
class DealAmounts:
    """One deal_amounts message: what its HubSpot deal is given."""

    message_key: str
    deal_id: str
    currency: str
    invoiced: Decimal
    paid: Decimal
    overdue: Decimal
    as_of: date

    def facts(self) -> Record:
        """JSON-ready, amounts as exact decimal strings at the currency's minor unit."""
        return {
            "id": self.deal_id,
            "currency": self.currency,
            "invoiced": amount_text(self.invoiced, self.currency),
            "paid": amount_text(self.paid, self.currency),
            "overdue": amount_text(self.overdue, self.currency),
            "as_of": self.as_of.isoformat(),
        }


def amount_text(amount: Decimal, currency: str) -> str:
    """`4410.00`, `150000` (JPY): exact, never through float, never `-0.00`."""
    return f"{half_up(amount, currency) + 0:f}"


class CrmTransport(Protocol):
    def update(self, deals: list[DealAmounts]) -> dict[str, OutboxError]:
        """Write the deals' amounts (distinct deals); return the refusals by message key, or
        raise when the whole request failed (TransientOutboxError when a retry may succeed)."""

    def close(self) -> None: ...


class HubSpotTransport:
    """deal_amounts to HubSpot: `POST /crm/v3/objects/deals/batch/update`. The shared HTTP
    client retries 429, 5xx and network faults and masks the token out of every message."""

    def __init__(self, settings: Settings, client: HttpClient | None = None) -> None:
        token = settings.hubspot_token.get_secret_value() if settings.hubspot_token else ""
        self.client = client or HttpClient(
            "hubspot",
            settings.hubspot_base_url,
            headers={"Authorization": f"Bearer {token}"},
            secrets=(token,),
            attempts=settings.http_attempts,
            timeout_seconds=settings.http_timeout_seconds,
        )
        self.names = {
            "invoiced": settings.hubspot_invoiced_property,
            "paid": settings.hubspot_paid_property,
            "overdue": settings.hubspot_overdue_property,
            "as_of": settings.hubspot_as_of_property,
        }

    def properties(self, deal: DealAmounts) -> dict[str, str]:
        facts = deal.facts()
        return {name: facts[fact] for fact, name in self.names.items()}

    def update(self, deals: list[DealAmounts]) -> dict[str, OutboxError]:
        inputs = [{"id": deal.deal_id, "properties": self.properties(deal)} for deal in deals]
        more = ", ..." if len(deals) > 1 else ""
        what = f"HubSpot write-back of {_count(len(deals), 'deal')} ({deals[0].message_key}{more})"
        try:
            answer = self.client.post_json(HUBSPOT_BATCH_PATH, {"inputs": inputs})
        except TransientSourceError as exc:
            raise TransientOutboxError(f"{what} not delivered: {exc}") from exc
        except PermanentSourceError as exc:
            raise OutboxError(f"{what} refused: {exc}; {_WRITEBACK_NEEDS}") from exc
        return self._refusals(deals, answer)

    def _refusals(self, deals: list[DealAmounts], answer: Any) -> dict[str, OutboxError]:
        """A 207 names the deals it could not update in `errors`; a deal missing from
        `results` was not confirmed either. Both stay pending."""
        answer = answer if isinstance(answer, dict) else {}
        reasons: dict[str, str] = {}
        for error in answer.get("errors") or []:
            if not isinstance(error, dict):
                continue
            context = error.get("context") or {}
            ids = context.get("ids") or context.get("id") or [error.get("id")]
            text = " ".join(str(error.get(part) or "") for part in ("category", "message"))
            for deal_id in ids if isinstance(ids, list) else [ids]:
                reasons[str(deal_id)] = " ".join(text.split())[:300] or "no reason given"
        if "results" in answer:
            results = answer["results"] or []
            confirmed = {str(r.get("id")) for r in results if isinstance(r, dict)}
            for deal in deals:
                if deal.deal_id not in confirmed:
                    reasons.setdefault(deal.deal_id, "HubSpot did not confirm the update")
        return {
            deal.message_key: OutboxError(
                self.client._mask(  # the token never appears, even if HubSpot echoes it
                    f"HubSpot refused the write-back {deal.message_key} to deal "
                    f"{deal.deal_id}: {reasons[deal.deal_id]}; {_WRITEBACK_NEEDS}"
                )
            )
            for deal in deals
            if deal.deal_id in reasons
        }

    def close(self) -> None:
        self.client.close()


_WRITEBACK_NEEDS = (
    "the write-back needs a token with the scope crm.objects.deals.write and the deal "
    "properties of docs/connectors.md (HubSpot write-back)"
)


def transport_for(settings: Settings) -> Transport:
    if settings.outbox_webhook_url:
        return WebhookTransport(settings.outbox_webhook_url, settings.outbox_timeout_seconds)
    return FileTransport(settings.outbox_folder)


def message_path(folder: Path, key: str) -> Path:
    if not _FILE_NAME.fullmatch(key) or ".." in key:
        raise OutboxError(f"{key!r} cannot name an outbox file; correct the contract code")
    return folder / f"{key}.json"


_DELIVERY_COLUMNS = [
    "message_key", "kind", "recipient_role", "recipient_name", "recipient_address",
    "contract_code", "invoice_number", "event_date", "subject", "body", "created_on",
]  # fmt: skip
_DEAL_COLUMNS = [
    "deal_id", "currency", "amount_invoiced", "amount_paid", "amount_overdue", "amounts_as_of"
]  # fmt: skip


def deliver(
    wh: Warehouse,
    as_of: date,
    transport: Transport | None = None,
    *,
    sent: Callable[[str], None] | None = None,
    crm: CrmTransport | None = None,
) -> dict[str, int]:
    """Send every undelivered message of marts.outbox, oldest first.

    The caller holds the warehouse lock. A message that fails does not stop the others; when
    any failed, this raises once they were all tried: TransientOutboxError when every failure
    may pass (the task retries), else OutboxError. `sent` is called after each send, before
    the delivery is recorded (tests inject a crash there). deal_amounts messages go to `crm`
    (default: HubSpot when `hubspot_writes`), else through `transport` like the others.
    """
    assert set(_DELIVERY_COLUMNS) <= set(load_layer("marts")["outbox"].column_names)
    assert set(_DEAL_COLUMNS) <= set(load_layer("marts")["deal_writebacks"].column_names)
    table = f"{wh.schemas.marts}.outbox"
    columns = [f"outbox.{name}" for name in _DELIVERY_COLUMNS]
    columns += [f"writebacks.{name}" for name in _DEAL_COLUMNS]
    rows = wh.query(
        f"select {', '.join(columns)} from {table} as outbox "
        f"left join {wh.schemas.marts}.deal_writebacks as writebacks "
        "on writebacks.message_key = outbox.message_key "
        "where outbox.delivered_on is null order by outbox.created_on, outbox.message_key"
    )
    pending = [dict(zip(_DELIVERY_COLUMNS + _DEAL_COLUMNS, row, strict=True)) for row in rows]
    routed = crm is not None or wh.settings.hubspot_writes
    to_crm = [m for m in pending if routed and _is_writeback(m)]
    pending = [m for m in pending if not (routed and _is_writeback(m))]
    transport = transport or transport_for(wh.settings)
    failures: list[OutboxError] = []
    failed = 0
    delivered = 0
    try:
        if to_crm:
            crm = crm or HubSpotTransport(wh.settings)
            done, refused = _deliver_to_crm(wh, as_of, crm, to_crm, sent)
            delivered += done
            failed += sum(count for count, _ in refused)
            failures += [failure for _, failure in refused]
        with _recording(wh, transport):
            for message in pending:
                key = sql_literal(message["message_key"])
                wh.execute(f"update {table} set attempts = attempts + 1 where message_key = {key}")
                try:
                    transport.send(message["message_key"], payload(message))
                except OutboxError as exc:
                    failures.append(exc)
                    failed += 1
                    continue
                if sent is not None:
                    sent(message["message_key"])
                wh.execute(
                    f"update {table} set delivered_on = date '{as_of.isoformat()}' "
                    f"where message_key = {key}"
                )
                delivered += 1
    finally:
        transport.close()
        if crm is not None:
            crm.close()
    if failures:
        first = failures[0]
        total = len(pending) + len(to_crm)
        text = f"{failed} of {total} outbox messages not delivered; first: {first}"
        if all(isinstance(failure, TransientError) for failure in failures):
            raise TransientOutboxError(text)
        raise OutboxError(text)
    return {"delivered": delivered, "undelivered": 0}


def _recording(wh: Warehouse, transport: Transport) -> AbstractContextManager[None]:
    """How deliveries are recorded: one commit per message for a remote receiver, one for the
    whole outbox when messages are files. A file is on disk before the commit that records
    it, so a crash in between writes it again next run (at least once, same key and content),
    and a thousand messages do not cost two thousand commits."""
    return wh.transaction() if isinstance(transport, FileTransport) else nullcontext()


def _deliver_to_crm(
    wh: Warehouse,
    as_of: date,
    crm: CrmTransport,
    messages: list[Record],
    sent: Callable[[str], None] | None,
) -> tuple[int, list[tuple[int, OutboxError]]]:
    """Send the newest pending deal_amounts of each deal, 100 deals a request; an older pending
    one of the same deal is superseded (the CRM keeps only the latest values): it counts an
    attempt and is recorded delivered with the newest. Returns (delivered, [(messages, why)])."""
    table = f"{wh.schemas.marts}.outbox"
    by_deal: dict[str, list[Record]] = {}
    for message in messages:  # oldest first: the last of a deal is its newest
        by_deal.setdefault(str(message["deal_id"]), []).append(message)
    groups = list(by_deal.values())
    delivered = 0
    refused: list[tuple[int, OutboxError]] = []
    for start in range(0, len(groups), HUBSPOT_BATCH_SIZE):
        batch = groups[start : start + HUBSPOT_BATCH_SIZE]
        keys = [[m["message_key"] for m in group] for group in batch]
        wh.execute(f"update {table} set attempts = attempts + 1 where {_keys_in(keys)}")
        try:
            answer = crm.update([deal_amounts(group[-1]) for group in batch])
        except OutboxError as exc:
            refused.append((sum(len(k) for k in keys), exc))
            continue
        done = [group for group in keys if group[-1] not in answer]
        refused += [(len(group), answer[group[-1]]) for group in keys if group[-1] in answer]
        if sent is not None:
            for group in done:
                sent(group[-1])
        if done:
            wh.execute(
                f"update {table} set delivered_on = date '{as_of.isoformat()}' "
                f"where {_keys_in(done)}"
            )
        delivered += sum(len(group) for group in done)
    return delivered, refused


def _is_writeback(message: Record) -> bool:
    return bool(message["kind"] == CRM_KIND and message["deal_id"] is not None)


def _keys_in(groups: list[list[str]]) -> str:
    return f"message_key in ({', '.join(sql_literal(k) for group in groups for k in group)})"


def deal_amounts(message: Record) -> DealAmounts:
    return DealAmounts(
        message_key=message["message_key"],
        deal_id=str(message["deal_id"]),
        currency=message["currency"],
        invoiced=Decimal(message["amount_invoiced"]),
        paid=Decimal(message["amount_paid"]),
        overdue=Decimal(message["amount_overdue"]),
        as_of=message["amounts_as_of"],
    )


def payload(message: Record) -> Record:
    """What is sent: the message and its facts, JSON-ready (dates ISO); the same on a repeat.
    A deal_amounts message carries its deal's amounts under `deal` (exact decimal strings)."""
    if message["kind"] == CRM_KIND and message.get("deal_id") is not None:
        return {**_payload(message), "deal": deal_amounts(message).facts()}
    return _payload(message)


def _payload(message: Record) -> Record:
    return {
        "message_key": message["message_key"],
        "kind": message["kind"],
        "recipient": {
            "role": message["recipient_role"],
            "name": message["recipient_name"],
            "address": message["recipient_address"],
        },
        "contract_code": message["contract_code"],
        "invoice_number": message["invoice_number"],
        "event_date": _plain(message["event_date"]),
        "created_on": _plain(message["created_on"]),
        "subject": message["subject"],
        "body": message["body"],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _json(data: Record) -> str:
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
