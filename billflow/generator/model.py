"""A scenario: one company's source data as plain records, before any vendor formatting.

The fields mirror data/sample.yml one to one. The renderers (hubspot.py, teamwork.py,
stripe.py) turn a scenario into the vendor pages that docs/sources.md specifies, so a
scenario can describe bad records too (a zero-minute entry, an unknown billing model): it is
the pipeline's job to quarantine them, not the model's to refuse them.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from billflow.errors import BillflowError

UTC = dt.UTC


class ScenarioError(BillflowError, ValueError):
    """A scenario is malformed or cannot be built; the message names the field or parameter."""


@dataclass(frozen=True)
class PageSize:
    """Records per page for each vendor (the APIs page independently)."""

    hubspot: int
    teamwork: int
    stripe: int

    @classmethod
    def uniform(cls, size: int) -> PageSize:
        return cls(hubspot=size, teamwork=size, stripe=size)


@dataclass(frozen=True)
class Owner:
    """A HubSpot owner: the sales rep on a deal."""

    id: str
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class Company:
    """A HubSpot company: the client on contracts and invoices, with its invoice address."""

    id: str
    name: str
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    requires_po: bool = False
    """The client accepts no invoice without a purchase order (`billing_requires_po`)."""
    billing_email: str | None = None
    """Where invoices, overdue notices and reminders go (`billing_email`)."""


@dataclass(frozen=True)
class Person:
    """A Teamwork person who logs time."""

    id: int
    first_name: str
    last_name: str
    email: str
    cost_rate: int | None = None
    """Cost per hour in minor units (Teamwork's `userCost`); None leaves the key out."""


@dataclass(frozen=True)
class Project:
    """A Teamwork project; `company_id` is Teamwork's company, not HubSpot's.

    `completed` is when the project was completed (`completedAt`); `status` is independent.
    """

    id: int
    name: str
    company_id: int
    status: str = "active"
    completed: dt.datetime | None = None


@dataclass(frozen=True)
class Deal:
    """A HubSpot deal; `stage` is a stage id of its `pipeline` (hubspot.PIPELINES).

    `billing` holds the contract terms; each key becomes the deal property `billing_<key>`,
    its value verbatim (HubSpot property values are strings). A change order is a deal in
    the `change_orders` pipeline whose billing names its contract (`parent_deal_id`).
    """

    id: str
    name: str
    company_id: str | None
    owner_id: str | None
    stage: str
    amount: str | None
    currency: str | None
    created: dt.datetime
    billing: Mapping[str, str] = field(default_factory=dict)
    close_date: dt.datetime | None = None
    pipeline: str = "default"


@dataclass(frozen=True)
class Rate:
    """A person's hourly rate on a project, in the currency's minor unit (Teamwork's form)."""

    project_id: int
    person_id: int
    rate: int


@dataclass(frozen=True)
class Task:
    """A Teamwork task; open while `completed` is None. A `billing:rate` tag sets its rate."""

    id: int
    project_id: int
    name: str
    tasklist_id: int
    estimate_minutes: int
    completed: dt.datetime | None = None
    tag_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Tag:
    """A Teamwork tag; billing terms of milestones and tasks are tags (docs/sources.md)."""

    id: int
    name: str
    project_id: int | None


@dataclass(frozen=True)
class Milestone:
    """A Teamwork milestone; open while `completed` is None."""

    id: int
    project_id: int
    name: str
    deadline: dt.datetime
    completed: dt.datetime | None = None
    tag_ids: tuple[int, ...] = ()
    tasklist_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class TimeEntry:
    """A Teamwork timelog: either a calendar `date` (no start time) or a UTC start `at`."""

    id: int
    project_id: int
    person_id: int
    task_id: int | None
    date: dt.date | None
    at: dt.datetime | None
    minutes: int
    billable: bool
    description: str
    updated: dt.datetime | None = None
    """When the entry was last edited; None means never (updatedAt = createdAt)."""
    created: dt.datetime | None = None
    """When it was entered in Teamwork; None means the usual time (see the teamwork writer).
    An entry created after its period was invoiced is a late edit."""
    deleted: bool = False
    """Deleted in Teamwork (at `updated`): still listed, with `deleted` true."""


class TimeEntries(Protocol):
    """Time entries that can be counted and iterated more than once.

    A tuple is one; random scenarios use a lazy sequence that regenerates its entries from
    the seed on every iteration, so ten million entries never sit in memory.
    """

    def __iter__(self) -> Iterator[TimeEntry]: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class Payment:
    """A Stripe payment_intent.succeeded event; `amount` in major units of `currency`."""

    event_id: str
    payment_intent: str
    at: dt.datetime
    amount: Decimal
    currency: str
    customer: str | None = None
    invoice_number: str | None = None
    contract_code: str | None = None


@dataclass(frozen=True)
class Refund:
    """A Stripe charge.refunded event: the payment's charge with `refunded_to_date` (Stripe's
    cumulative amount_refunded, major units) as of the event."""

    event_id: str
    payment_intent: str
    at: dt.datetime
    refunded_to_date: Decimal
    currency: str
    amount: Decimal  # the charge's amount


@dataclass(frozen=True)
class Dispute:
    """A Stripe charge.dispute.* event (created, updated, closed, funds_withdrawn, ...)."""

    event_id: str
    type: str
    dispute_id: str
    payment_intent: str
    at: dt.datetime
    amount: Decimal
    currency: str
    status: str
    reason: str = "general"


@dataclass(frozen=True)
class OtherEvent:
    """Any other Stripe event, e.g. charge.succeeded; kept in raw, not billed."""

    event_id: str
    type: str
    at: dt.datetime
    object_id: str


@dataclass(frozen=True)
class Scenario:
    page_size: PageSize
    owners: tuple[Owner, ...] = ()
    companies: tuple[Company, ...] = ()
    people: tuple[Person, ...] = ()
    projects: tuple[Project, ...] = ()
    deals: tuple[Deal, ...] = ()
    rates: tuple[Rate, ...] = ()
    tasks: tuple[Task, ...] = ()
    tags: tuple[Tag, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    time_entries: TimeEntries = ()
    payments: tuple[Payment, ...] = ()
    refunds: tuple[Refund, ...] = ()
    disputes: tuple[Dispute, ...] = ()
    other_events: tuple[OtherEvent, ...] = ()

    @functools.cached_property
    def epoch(self) -> dt.datetime:
        """When the records without a date of their own were created: the first deal's creation.

        Owners, companies, projects, people, tasks and tags carry no date in a scenario; giving
        them this one keeps the pages a pure function of the scenario.
        """
        return min((deal.created for deal in self.deals), default=_FALLBACK_EPOCH)


_FALLBACK_EPOCH = dt.datetime(2020, 1, 1, tzinfo=UTC)
