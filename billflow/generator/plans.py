"""One random project and everything around it: its deal, tasks, milestones, tags and rates.

Deal mix (per project): ~70% time-and-materials contracts, ~20% milestone contracts whose
`billing:value` tags sum to the deal amount, ~10% pipeline deals in an early stage. A few
contracts carry an unknown billing model on purpose: docs/sources.md quarantines them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count

from billflow.generator.clock import add_months
from billflow.generator.entries import Staffing
from billflow.generator.model import Company, Deal, Milestone, Project, Rate, Tag, Task
from billflow.generator.names import MILESTONE_NAMES, TASK_NAMES, TOPICS
from billflow.money import from_minor, to_minor

UTC = dt.UTC
TIME_AND_MATERIALS = "time_and_materials"
MILESTONE = "milestone"
TIME_AND_MATERIALS_SHARE = 0.7
MILESTONE_SHARE = 0.2
"""Of the deals; the rest are pipeline deals."""
UNKNOWN_MODEL = "fixed_bid"
"""Not a billing model docs/sources.md knows: the deal is quarantined (unknown_billing_model)."""
EARLY_STAGES = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
)
TERMS_DAYS = ("15", "30", "45")
JPY_PER_UNIT = 150
"""Yen per dollar-ish unit, so JPY amounts and rates look like yen (JPY has no minor unit)."""
RATED_SHARE = 0.98
"""Share of person-project pairs with a rate; the others log time that cannot be priced."""
FIRST_PROJECT_ID = 500
FIRST_DEAL_ID = 180_001


@dataclass(frozen=True)
class Window:
    """The days random time falls on: `months` months from `start`, `end` excluded."""

    start: dt.date
    months: int

    @property
    def end(self) -> dt.date:
        return add_months(self.start, self.months)

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class Client:
    """A HubSpot company with the terms all its deals share."""

    company: Company
    owner_id: str
    teamwork_company_id: int
    currency: str
    tax_rate: str


@dataclass
class Ids:
    """Running Teamwork ids, one series per record type."""

    tasks: Iterator[int] = field(default_factory=lambda: count(300_001))
    tasklists: Iterator[int] = field(default_factory=lambda: count(700_001))
    milestones: Iterator[int] = field(default_factory=lambda: count(400_001))
    tags: Iterator[int] = field(default_factory=lambda: count(600_001))


@dataclass(frozen=True)
class Plan:
    """A project with its deal and what it bills on."""

    client: Client
    project: Project
    deal: Deal
    staffing: Staffing
    rates: tuple[Rate, ...]
    tasks: tuple[Task, ...]
    tags: tuple[Tag, ...] = ()
    milestones: tuple[Milestone, ...] = ()

    @property
    def bills_time(self) -> bool:
        """A signed time-and-materials contract: it gets monthly invoices, so payments."""
        billing = self.deal.billing
        return billing.get("model") == TIME_AND_MATERIALS and "signed_date" in billing


@dataclass(frozen=True)
class _MilestoneParts:
    milestone: Milestone
    tag: Tag
    task: Task


@dataclass(frozen=True)
class Planner:
    """Draws plans from one random stream; the order of the draws is part of the output."""

    rng: random.Random
    window: Window
    person_ids: tuple[int, ...]
    ids: Ids = field(default_factory=Ids)

    def plan(self, index: int, client: Client, *, bad: bool) -> Plan:
        """Project `index` of `client`; `bad` makes its deal a contract with an unknown model."""
        topic = self.rng.choice(TOPICS)
        project = Project(
            FIRST_PROJECT_ID + index,
            f"{client.company.name} {topic}",
            client.teamwork_company_id,
        )
        deal_id = str(FIRST_DEAL_ID + index)
        roll = self.rng.random()
        if bad or roll < TIME_AND_MATERIALS_SHARE:
            return self._time_and_materials(deal_id, project, client, topic, bad=bad)
        if roll < TIME_AND_MATERIALS_SHARE + MILESTONE_SHARE:
            return self._milestones(deal_id, project, client, topic)
        return self._pipeline(deal_id, project, client, topic)

    def _time_and_materials(
        self, deal_id: str, project: Project, client: Client, topic: str, *, bad: bool
    ) -> Plan:
        stage = "closedwon" if self.rng.random() < 0.85 else "contractsent"
        model = UNKNOWN_MODEL if bad else TIME_AND_MATERIALS
        amount = self._amount(10, 500, 1000, client.currency)
        deal = self._contract(
            deal_id,
            project,
            client,
            title=f"{topic} (T&M)",
            model=model,
            stage=stage,
            amount=amount,
        )
        names = self.rng.sample(TASK_NAMES, self.rng.randint(1, 3))
        tasks = tuple(self._task(project.id, name) for name in names)
        return self._staffed(client, project, deal, tasks=tasks)

    def _milestones(self, deal_id: str, project: Project, client: Client, topic: str) -> Plan:
        amount = self._amount(20, 300, 500, client.currency)
        po_number = f"PO-{self.rng.randint(10000, 99999)}" if self.rng.random() < 0.5 else None
        deal = self._contract(
            deal_id,
            project,
            client,
            title=f"{topic} (fixed price)",
            model=MILESTONE,
            stage="closedwon",
            amount=amount,
            po_number=po_number,
        )
        values = self._split(Decimal(amount), client.currency, self.rng.randint(2, 4))
        parts = [self._milestone(project.id, k, len(values), v) for k, v in enumerate(values)]
        return self._staffed(
            client,
            project,
            deal,
            tasks=tuple(part.task for part in parts),
            tags=tuple(part.tag for part in parts),
            milestones=tuple(part.milestone for part in parts),
        )

    def _pipeline(self, deal_id: str, project: Project, client: Client, topic: str) -> Plan:
        """A deal still being sold: early stage (its probability), a close date, no terms."""
        offset = self.rng.randint(-30, self.window.days - 1)
        created = self._moment(self.window.start + dt.timedelta(days=offset))
        close = created.date() + dt.timedelta(days=self.rng.randint(30, 150))
        deal = Deal(
            id=deal_id,
            name=f"{client.company.name} - {topic}",
            company_id=client.company.id,
            owner_id=client.owner_id,
            stage=self.rng.choice(EARLY_STAGES),
            amount=self._amount(10, 400, 1000, client.currency),
            currency=client.currency,
            created=created,
            close_date=_midnight(close),
        )
        return self._staffed(client, project, deal, tasks=(self._task(project.id, "Discovery"),))

    def _contract(
        self,
        deal_id: str,
        project: Project,
        client: Client,
        *,
        title: str,
        model: str,
        stage: str,
        amount: str,
        po_number: str | None = None,
    ) -> Deal:
        """A contract deal signed before the window (or, if only sent, maybe not yet signed)."""
        signed = self.window.start - dt.timedelta(days=self.rng.randint(1, 60))
        created = self._moment(signed - dt.timedelta(days=self.rng.randint(5, 60)))
        billing = {
            "model": model,
            "project_id": str(project.id),
            "terms_days": self.rng.choice(TERMS_DAYS),
        }
        if client.tax_rate != "0" or self.rng.random() < 0.5:
            billing["tax_rate"] = client.tax_rate
        is_signed = stage == "closedwon" or self.rng.random() < 0.5
        if is_signed:
            billing["signed_date"] = signed.isoformat()
        if po_number is not None:
            billing["po_number"] = po_number
        return Deal(
            id=deal_id,
            name=f"{client.company.name} - {title}",
            company_id=client.company.id,
            owner_id=client.owner_id,
            stage=stage,
            amount=amount,
            currency=client.currency,
            created=created,
            billing=billing,
            close_date=_midnight(signed) if is_signed else None,
        )

    def _staffed(
        self,
        client: Client,
        project: Project,
        deal: Deal,
        *,
        tasks: tuple[Task, ...],
        tags: tuple[Tag, ...] = (),
        milestones: tuple[Milestone, ...] = (),
    ) -> Plan:
        """2 to 8 people on the project, most of them with a rate in the contract currency."""
        size = min(len(self.person_ids), self.rng.randint(2, 8))
        people = tuple(self.rng.sample(self.person_ids, size))
        rates = tuple(
            Rate(project.id, person, self._rate(client.currency))
            for person in people
            if self.rng.random() < RATED_SHARE
        )
        staffing = Staffing(project.id, people, tuple(task.id for task in tasks))
        return Plan(client, project, deal, staffing, rates, tasks, tags, milestones)

    def _milestone(self, project_id: int, k: int, n: int, value: Decimal) -> _MilestoneParts:
        """Milestone `k` of `n`: deadlines spread to a month past the window, most done on time."""
        span = self.window.days + 30
        deadline = self.window.start + dt.timedelta(days=(k + 1) * span // n)
        completed = None
        if deadline < self.window.end and self.rng.random() < 0.85:
            early = dt.timedelta(days=self.rng.randint(0, 7))
            done = max(self.window.start, deadline - early)
            completed = dt.datetime.combine(done, dt.time(self.rng.randint(17, 21)), UTC)
        name = (*MILESTONE_NAMES[: n - 1], MILESTONE_NAMES[-1])[k]
        tag = Tag(next(self.ids.tags), f"billing:value={value}", project_id)
        task = self._task(project_id, name, completed)
        milestone = Milestone(
            id=next(self.ids.milestones),
            project_id=project_id,
            name=name,
            deadline=_midnight(deadline),
            completed=completed,
            tag_ids=(tag.id,),
            tasklist_ids=(task.tasklist_id,),
        )
        return _MilestoneParts(milestone, tag, task)

    def _task(self, project_id: int, name: str, completed: dt.datetime | None = None) -> Task:
        """A task in a task list of its own (a milestone bills the lists it names)."""
        return Task(
            id=next(self.ids.tasks),
            project_id=project_id,
            name=name,
            tasklist_id=next(self.ids.tasklists),
            estimate_minutes=self.rng.randint(10, 200) * 60,
            completed=completed,
        )

    def _amount(self, low: int, high: int, step: int, currency: str) -> str:
        """A round deal amount, as HubSpot holds it: `"45000.00"`, or `"6750000"` in JPY."""
        units = self.rng.randint(low, high) * step
        if currency == "JPY":
            units *= JPY_PER_UNIT
        return str(from_minor(to_minor(Decimal(units), currency), currency))

    def _split(self, total: Decimal, currency: str, parts: int) -> list[Decimal]:
        """`total` in `parts` uneven shares of whole hundreds; the last takes the remainder."""
        total_minor = to_minor(total, currency)
        step = to_minor(Decimal(100), currency)
        weights = [self.rng.randint(1, 4) for _ in range(parts)]
        shares = [total_minor * w // sum(weights) // step * step for w in weights[:-1]]
        shares.append(total_minor - sum(shares))
        return [from_minor(share, currency) for share in shares]

    def _rate(self, currency: str) -> int:
        """An hourly rate in minor units: 80.00 to 250.00, a tenth of them with odd cents."""
        if self.rng.random() < 0.1:
            cents = self.rng.randint(8000, 25000)
        else:
            cents = self.rng.randint(16, 50) * 500
        return cents * JPY_PER_UNIT // 100 if currency == "JPY" else cents

    def _moment(self, day: dt.date) -> dt.datetime:
        """A time during office hours (UTC) on `day`."""
        return dt.datetime.combine(day, dt.time(self.rng.randint(9, 17)), UTC)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), UTC)
