"""Stripe `GET /v1/events` list pages (../shared/vendors/stripe.md), newest event first.

Amounts are integers in the currency's minor unit (`billflow.money.to_minor`), currencies
lower case, times Unix seconds.
"""

from __future__ import annotations

from collections.abc import Iterator

from billflow.generator.clock import unix_seconds
from billflow.generator.model import OtherEvent, Payment, Scenario
from billflow.generator.pages import Json, Page, chunked, page_name
from billflow.money import to_minor

API_VERSION = "2024-06-20"


def pages(scenario: Scenario) -> Iterator[Page]:
    """`/v1/events` list pages; each event is rendered only when its page is."""
    events = _newest_first(scenario)
    size = scenario.page_size.stripe
    for offset, chunk in enumerate(chunked(events, size)):
        body: Json = {
            "object": "list",
            "url": "/v1/events",
            "has_more": offset * size + len(chunk) < len(events),
            "data": [_event(event) for event in chunk],
        }
        yield Page("stripe", "events", page_name(offset + 1), body, len(chunk))


def _newest_first(scenario: Scenario) -> list[Payment | OtherEvent]:
    """Every event in the order `/v1/events` lists them: newest first, ties by id."""
    events: list[Payment | OtherEvent] = [*scenario.payments, *scenario.other_events]
    return sorted(events, key=lambda e: (unix_seconds(e.at), e.event_id), reverse=True)


def _event(event: Payment | OtherEvent) -> Json:
    return _payment_event(event) if isinstance(event, Payment) else _other_event(event)


def _envelope(event_id: str, event_type: str, created: int, data_object: Json) -> Json:
    return {
        "id": event_id,
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": data_object},
    }


def _payment_event(payment: Payment) -> Json:
    created = unix_seconds(payment.at)
    amount = to_minor(payment.amount, payment.currency)
    metadata = {
        key: value
        for key, value in (
            ("invoice_number", payment.invoice_number),
            ("contract_code", payment.contract_code),
        )
        if value is not None
    }
    intent: Json = {
        "id": payment.payment_intent,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount,
        "amount_capturable": 0,
        "currency": payment.currency.lower(),
        "customer": payment.customer,
        "latest_charge": "ch_" + payment.payment_intent.removeprefix("pi_"),
        "status": "succeeded",
        "created": created,
        "livemode": False,
        "metadata": metadata,
    }
    return _envelope(payment.event_id, "payment_intent.succeeded", created, intent)


def _other_event(event: OtherEvent) -> Json:
    """The object's kind is the type's last noun: `charge.dispute.created` carries a dispute."""
    created = unix_seconds(event.at)
    kind = event.type.rsplit(".", 1)[0].rsplit(".", 1)[-1]
    data_object: Json = {
        "id": event.object_id,
        "object": kind,
        "created": created,
        "livemode": False,
        "metadata": {},
    }
    return _envelope(event.event_id, event.type, created, data_object)
