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
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
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
from billflow.errors import BillflowError, TransientError, one_line
from billflow.warehouse import Warehouse, sql_literal

Record = dict[str, Any]

KINDS = ("kickoff", "notify_sales", "overdue_client", "overdue_accounting", "reminder")
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


def deliver(
    wh: Warehouse,
    as_of: date,
    transport: Transport | None = None,
    *,
    sent: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Send every undelivered message of marts.outbox, oldest first.

    The caller holds the warehouse lock. A message that fails does not stop the others; when
    any failed, this raises once they were all tried: TransientOutboxError when every failure
    may pass (the task retries), else OutboxError. `sent` is called after each send, before
    the delivery is recorded (tests inject a crash there).
    """
    assert set(_DELIVERY_COLUMNS) <= set(load_layer("marts")["outbox"].column_names)
    table = f"{wh.schemas.marts}.outbox"
    rows = wh.query(
        f"select {', '.join(_DELIVERY_COLUMNS)} from {table} "
        "where delivered_on is null order by created_on, message_key"
    )
    pending = [dict(zip(_DELIVERY_COLUMNS, row, strict=True)) for row in rows]
    transport = transport or transport_for(wh.settings)
    failures: list[OutboxError] = []
    delivered = 0
    try:
        for message in pending:
            key = sql_literal(message["message_key"])
            wh.execute(f"update {table} set attempts = attempts + 1 where message_key = {key}")
            try:
                transport.send(message["message_key"], payload(message))
            except OutboxError as exc:
                failures.append(exc)
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
    if failures:
        first = failures[0]
        text = f"{len(failures)} of {len(pending)} outbox messages not delivered; first: {first}"
        if all(isinstance(failure, TransientError) for failure in failures):
            raise TransientOutboxError(text)
        raise OutboxError(text)
    return {"delivered": delivered, "undelivered": 0}


def payload(message: Record) -> Record:
    """What is sent: the message and its facts, JSON-ready (dates ISO); the same on a repeat."""
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


def _json(data: Record) -> str:
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
