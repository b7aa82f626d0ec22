"""Stripe `GET /v1/events` list pages (../shared/vendors/stripe.md), newest event first.

Amounts are integers in the currency's minor unit (`billflow.money.to_minor`), currencies
lower case, times Unix seconds.
"""

from __future__ import annotations

from collections.abc import Iterator

from billflow.generator.clock import unix_seconds
from billflow.generator.model import Dispute, OtherEvent, Payment, Refund, Scenario
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


Event = Payment | Refund | Dispute | OtherEvent


def _newest_first(scenario: Scenario) -> list[Event]:
    """Every event in the order `/v1/events` lists them: newest first, ties by id."""
    events: list[Event] = [
        *scenario.payments,
        *scenario.refunds,
        *scenario.disputes,
        *scenario.other_events,
    ]
    return sorted(events, key=lambda e: (unix_seconds(e.at), e.event_id), reverse=True)


def _event(event: Event) -> Json:
    if isinstance(event, Payment):
        return _payment_event(event)
    if isinstance(event, Refund):
        return _refund_event(event)
    if isinstance(event, Dispute):
        return _dispute_event(event)
    return _other_event(event)


def _charge_id(payment_intent: str) -> str:
    """The id of a PaymentIntent's charge, as `latest_charge` names it."""
    return "ch_" + payment_intent.removeprefix("pi_")


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
        "latest_charge": _charge_id(payment.payment_intent),
        "status": "succeeded",
        "created": created,
        "livemode": False,
        "metadata": metadata,
    }
    return _envelope(payment.event_id, "payment_intent.succeeded", created, intent)


def _refund_event(refund: Refund) -> Json:
    """charge.refunded: the Charge, with Stripe's cumulative `amount_refunded`."""
    created = unix_seconds(refund.at)
    amount = to_minor(refund.amount, refund.currency)
    refunded = to_minor(refund.refunded_to_date, refund.currency)
    charge: Json = {
        "id": _charge_id(refund.payment_intent),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": refunded,
        "refunded": refunded >= amount,
        "currency": refund.currency.lower(),
        "payment_intent": refund.payment_intent,
        "created": created,
        "livemode": False,
        "metadata": {},
    }
    return _envelope(refund.event_id, "charge.refunded", created, charge)


def _dispute_event(dispute: Dispute) -> Json:
    created = unix_seconds(dispute.at)
    body: Json = {
        "id": dispute.dispute_id,
        "object": "dispute",
        "amount": to_minor(dispute.amount, dispute.currency),
        "charge": _charge_id(dispute.payment_intent),
        "payment_intent": dispute.payment_intent,
        "currency": dispute.currency.lower(),
        "reason": dispute.reason,
        "status": dispute.status,
        "created": created,
        "livemode": False,
        "metadata": {},
    }
    return _envelope(dispute.event_id, dispute.type, created, body)


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
