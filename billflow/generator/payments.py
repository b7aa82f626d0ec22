"""Random Stripe events: payments of the invoices of signed monthly time-and-materials contracts.

Invoice numbers follow billflow's series (`INV-<year>-000001`, ...) in the order the pipeline
would roughly issue them, month by month; the amounts are plausible rather than exact (some
look like a full invoice, some are round partial payments), so matching by number succeeds
and amounts may disagree, as in life. About 1% name an invoice that does not exist, and
about one payment in ten also has a `charge.succeeded` event.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from billflow.generator.clock import add_months
from billflow.generator.model import OtherEvent, Payment
from billflow.generator.plans import JPY_PER_UNIT, Plan, Window
from billflow.money import from_minor

UTC = dt.UTC
PAID_SHARE = 0.75
PARTIAL_SHARE = 0.3
UNKNOWN_SHARE = 0.01
CHARGE_SHARE = 0.1


@dataclass(frozen=True)
class Events:
    payments: tuple[Payment, ...]
    other_events: tuple[OtherEvent, ...]


def random_events(rng: random.Random, plans: Sequence[Plan], window: Window) -> Events:
    """Payments of most monthly invoices, a few of unknown ones, and some charge events."""
    billed = [plan for plan in plans if plan.bills_time]
    series: Counter[int] = Counter()
    payments: list[Payment] = []
    for issued in _issue_dates(window):
        for plan in billed:
            series[issued.year] += 1
            if rng.random() < PAID_SHARE:
                number = f"INV-{issued.year}-{series[issued.year]:06d}"
                payments.append(_invoice_payment(rng, plan, issued, number, len(payments)))
    for _ in range(max(1, round(len(payments) * UNKNOWN_SHARE))):
        payments.append(_unknown_payment(rng, window, len(payments)))
    charges = tuple(_charge(payment) for payment in payments if rng.random() < CHARGE_SHARE)
    return Events(tuple(payments), charges)


def _issue_dates(window: Window) -> list[dt.date]:
    """When each month's invoice is issued: the first day of the following month."""
    first = window.start.replace(day=1)
    return [add_months(first, month + 1) for month in range(window.months)]


def _invoice_payment(
    rng: random.Random, plan: Plan, issued: dt.date, number: str, index: int
) -> Payment:
    """A payment around the due date (issue date + terms, give or take ten days)."""
    terms = int(plan.deal.billing.get("terms_days", "30"))
    paid_on = issued + dt.timedelta(days=max(1, terms + rng.randint(-10, 10)))
    currency = plan.client.currency
    return Payment(
        event_id=_event_id(index),
        payment_intent=_intent_id(index),
        at=dt.datetime.combine(paid_on, dt.time(rng.randint(9, 20), rng.randint(0, 59)), UTC),
        amount=_amount(rng, currency),
        currency=currency.lower(),
        customer=f"cus_{plan.client.company.id}",
        invoice_number=number,
        contract_code=f"C-{plan.deal.id}",
    )


def _amount(rng: random.Random, currency: str) -> Decimal:
    """Full-looking (any figure, with cents) or partial (a round multiple of 500)."""
    if rng.random() < PARTIAL_SHARE:
        units = rng.randint(1, 20) * 500 * (JPY_PER_UNIT if currency == "JPY" else 1)
        return Decimal(units)
    return from_minor(rng.randint(50_000, 3_000_000), currency)


def _unknown_payment(rng: random.Random, window: Window, index: int) -> Payment:
    """A payment naming an invoice no one issued: the pipeline keeps it as unapplied cash."""
    day = window.start + dt.timedelta(days=rng.randint(0, window.days - 1))
    return Payment(
        event_id=_event_id(index),
        payment_intent=_intent_id(index),
        at=dt.datetime.combine(day, dt.time(rng.randint(9, 20)), UTC),
        amount=from_minor(rng.randint(10_000, 500_000), "USD"),
        currency="usd",
        customer=None,
        invoice_number=f"INV-{day.year}-9{rng.randint(0, 99999):05d}",
    )


def _event_id(index: int) -> str:
    return f"evt_1R{index:010d}"


def _intent_id(index: int) -> str:
    return f"pi_1R{index:010d}"


def _charge(payment: Payment) -> OtherEvent:
    """The charge behind a payment, a second later (the renderer names it as latest_charge)."""
    suffix = payment.payment_intent.removeprefix("pi_")
    return OtherEvent(
        event_id=f"evt_1S{suffix[2:]}",
        type="charge.succeeded",
        at=payment.at + dt.timedelta(seconds=1),
        object_id=f"ch_{suffix}",
    )
