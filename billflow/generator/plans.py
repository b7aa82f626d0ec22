"""One random project and everything around it: its deal, tasks, milestones, tags and rates.

Deal mix (per project, `KINDS`):
- ~55% time-and-materials contracts: billed monthly, weekly or biweekly, a few with an hours
  cap, a few with a one-time deliverable or a task rate tag;
- ~15% milestone contracts whose `billing:value` tags sum to the deal amount; some milestones
  release part of their value as their tasks complete (`billing:partial`), and some projects
  finish in the window (`completedAt`);
- ~7% hybrid: valued milestones plus weekly time;
- ~8% retainers: a monthly fee for some hours and overage at a rate, some starting mid-month,
  changing the fee or ending;
- ~5% installments: on signature, on a milestone and on a date;
- ~10% pipeline deals in an early stage.
A few contracts carry an unknown billing model on purpose: docs/sources.md quarantines them.
Change orders (`Planner.change_order`) amend a few signed contracts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count

from billflow.generator.clock import add_months
from billflow.generator.entries import Staffing
from billflow.generator.hubspot import CHANGE_ORDER_PIPELINE
from billflow.generator.model import Company, Deal, Milestone, Project, Rate, Tag, Task
from billflow.generator.names import (
    CHANGE_ORDER_NAMES,
    DELIVERABLE_NAMES,
    MILESTONE_NAMES,
    STEP_NAMES,
    TASK_NAMES,
    TOPICS,
)
from billflow.money import from_minor, to_minor

UTC = dt.UTC
TIME_AND_MATERIALS = "time_and_materials"
MILESTONE = "milestone"
HYBRID = "hybrid"
RETAINER = "retainer"
INSTALLMENTS = "installments"
MODELS = (TIME_AND_MATERIALS, MILESTONE, HYBRID, RETAINER, INSTALLMENTS)
"""Every billing model docs/sources.md knows."""
PIPELINE = "pipeline"
"""Not a model: a deal still being sold."""
KINDS = (
    (TIME_AND_MATERIALS, 0.55),
    (MILESTONE, 0.70),
    (HYBRID, 0.77),
    (RETAINER, 0.85),
    (INSTALLMENTS, 0.90),
    (PIPELINE, 1.0),
)
"""Cumulative shares of the projects' deals."""
UNKNOWN_MODEL = "fixed_bid"
"""Not a billing model docs/sources.md knows: the deal is quarantined (unknown_billing_model)."""
EARLY_STAGES = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
)
TERMS_DAYS = ("15", "30", "45")
CYCLES = ((None, 0.6), ("monthly", 0.7), ("weekly", 0.85), ("biweekly", 1.0))
"""Cumulative shares of time-and-materials billing cycles; None leaves the default (monthly)."""
HOURS_CAP_SHARE = 0.1
RATE_TAG_SHARE = 0.08
"""Of time-and-materials projects: one task has its own `billing:rate` tag."""
DELIVERABLE_SHARE = 0.08
"""Of time-and-materials projects: a `billing:type=deliverable` milestone with a value."""
PARTIAL_SHARE = 0.2
"""Of fixed-price milestones: a `billing:partial` tag, and tasks that complete one by one."""
PARTIAL_TERMS = ("50@50", "50@50", "30@50", "25@75")
SHORT_SHARE = 0.3
"""Of milestone contracts: all deadlines fall in the window; once all are done, the project is
completed (`completedAt`) two days after the last."""
SCHEDULES = ((30, 40, 30), (25, 40, 35), (20, 50, 30), (40, 30, 30))
"""Installment percents: on signature, on a milestone, on a date."""
EFFECTIVE_SHARE = 0.4
FEE_CHANGE_SHARE = 0.3
END_DATE_SHARE = 0.15
"""Of retainers: a mid-month start, a fee change, an end date."""
APPROVED_SHARE = 0.85
"""Of change orders; the others are only requested."""
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
        """A signed monthly time-and-materials contract: monthly invoices, so payments."""
        billing = self.deal.billing
        return (
            billing.get("model") == TIME_AND_MATERIALS
            and "signed_date" in billing
            and billing.get("cycle", "monthly") == "monthly"
        )

    @property
    def signed_contract(self) -> bool:
        """Closed won with a known model: a contract a change order may amend."""
        return self.deal.stage == "closedwon" and self.deal.billing.get("model") in MODELS


@dataclass
class _Parts:
    """What a contract bills on, gathered as it is drawn."""

    tasks: list[Task] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    partial_tag: Tag | None = None


@dataclass(frozen=True)
class Planner:
    """Draws plans from one random stream; the order of the draws is part of the output."""

    rng: random.Random
    window: Window
    person_ids: tuple[int, ...]
    ids: Ids = field(default_factory=Ids)

    def plan(self, index: int, client: Client, kind: str, *, full: bool, bad: bool) -> Plan:
        """Project `index` of `client` with a deal of `kind` (a model, or PIPELINE).

        `bad` makes the deal a time-and-materials contract with an unknown model; `full` gives
        the contract every optional term its model has (a deliverable and a task rate, a
        partial milestone, a mid-month start and a fee change), so each appears at least once.
        """
        topic = self.rng.choice(TOPICS)
        project = Project(
            FIRST_PROJECT_ID + index,
            f"{client.company.name} {topic}",
            client.teamwork_company_id,
        )
        deal_id = str(FIRST_DEAL_ID + index)
        if bad or kind == TIME_AND_MATERIALS:
            return self._time_and_materials(deal_id, project, client, topic, full=full, bad=bad)
        if kind == MILESTONE:
            return self._milestones(deal_id, project, client, topic, full=full)
        if kind == HYBRID:
            return self._hybrid(deal_id, project, client, topic, full=full)
        if kind == RETAINER:
            return self._retainer(deal_id, project, client, topic, full=full)
        if kind == INSTALLMENTS:
            return self._installments(deal_id, project, client, topic)
        return self._pipeline(deal_id, project, client, topic)

    def change_order(self, deal_id: str, parent: Plan) -> Deal:
        """A change order of `parent`'s contract, created and mostly approved in the window."""
        window = self.window
        created = self._moment(window.start + dt.timedelta(days=self.rng.randrange(window.days)))
        approved = self.rng.random() < APPROVED_SHARE
        if approved:
            last = (window.end - created.date()).days - 1
            close = created.date() + dt.timedelta(days=self.rng.randint(0, min(14, last)))
        else:
            close = created.date() + dt.timedelta(days=self.rng.randint(14, 60))
        currency = parent.client.currency
        return Deal(
            id=deal_id,
            name=f"{parent.client.company.name} - {self.rng.choice(CHANGE_ORDER_NAMES)} (CO)",
            company_id=parent.client.company.id,
            owner_id=parent.client.owner_id,
            stage="co_approved" if approved else "co_requested",
            amount=self._money(self.rng.randint(5, 100) * 100, currency),
            currency=currency,
            created=created,
            billing={"parent_deal_id": parent.deal.id},
            close_date=_midnight(close),
            pipeline=CHANGE_ORDER_PIPELINE,
        )

    # --- one method per kind of deal ----------------------------------------------------

    def _time_and_materials(
        self, deal_id: str, project: Project, client: Client, topic: str, *, full: bool, bad: bool
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
            terms=self._time_terms(),
        )
        names = self.rng.sample(TASK_NAMES, self.rng.randint(1, 3))
        parts = _Parts(tasks=[self._task(project.id, name) for name in names])
        if full or self.rng.random() < RATE_TAG_SHARE:
            self._rate_tag(project.id, client.currency, parts)
        if full or self.rng.random() < DELIVERABLE_SHARE:
            self._deliverable(project.id, client.currency, parts)
        return self._staffed(client, project, deal, parts)

    def _milestones(
        self, deal_id: str, project: Project, client: Client, topic: str, *, full: bool
    ) -> Plan:
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
        short = self.rng.random() < SHORT_SHARE
        parts = self._valued_milestones(project.id, values, full=full, short=short)
        done = [m.completed for m in parts.milestones if m.completed is not None]
        if len(done) == len(parts.milestones):
            finished = max(done) + dt.timedelta(days=2)
            if finished.date() < self.window.end:
                project = dataclasses.replace(project, completed=finished)
        return self._staffed(client, project, deal, parts)

    def _hybrid(
        self, deal_id: str, project: Project, client: Client, topic: str, *, full: bool
    ) -> Plan:
        """Valued milestones, and all other time billed weekly at the people's rates."""
        milestone_total = Decimal(self._amount(10, 200, 500, client.currency))
        time_budget = Decimal(self._amount(10, 200, 500, client.currency))
        deal = self._contract(
            deal_id,
            project,
            client,
            title=f"{topic} (hybrid)",
            model=HYBRID,
            stage="closedwon",
            amount=str(milestone_total + time_budget),
            terms={"cycle": "weekly"},
        )
        values = self._split(milestone_total, client.currency, self.rng.randint(1, 3))
        parts = self._valued_milestones(project.id, values, full=full)
        names = self.rng.sample(TASK_NAMES, self.rng.randint(1, 2))
        parts.tasks += [self._task(project.id, name) for name in names]
        return self._staffed(client, project, deal, parts)

    def _retainer(
        self, deal_id: str, project: Project, client: Client, topic: str, *, full: bool
    ) -> Plan:
        """A monthly fee for some hours, overage beyond them; the amount is a year's fees."""
        currency = client.currency
        fee = self.rng.randint(20, 100) * 100
        terms = {
            "retainer_fee": self._money(fee, currency),
            "retainer_hours": str(self.rng.randint(2, 12) * 5),
            "overage_rate": self._money(self.rng.randint(16, 50) * 5, currency),
        }
        start, months = self.window.start, self.window.months
        # the first month a mid-month start can fall in (signing is before the window)
        begin = start if start.day <= 10 else add_months(start.replace(day=1), 1)
        if full or self.rng.random() < EFFECTIVE_SHARE:
            terms["effective_date"] = begin.replace(day=self.rng.randint(10, 20)).isoformat()
        if full or self.rng.random() < FEE_CHANGE_SHARE:
            month = add_months(begin.replace(day=1), self.rng.randint(1, max(1, months - 1)))
            changed = month.replace(day=self.rng.randint(1, 28))
            new_fee = self._money(fee * self.rng.choice((11, 12, 13)) // 1000 * 100, currency)
            terms["retainer_fee_changes"] = f"{changed.isoformat()}={new_fee}"
        if self.rng.random() < END_DATE_SHARE:
            later = self.rng.randint(max(2, months - 1), months + 6)
            terms["end_date"] = add_months(start.replace(day=15), later).isoformat()
        deal = self._contract(
            deal_id,
            project,
            client,
            title=f"{topic} (retainer)",
            model=RETAINER,
            stage="closedwon",
            amount=self._money(fee * 12, currency),
            terms=terms,
        )
        names = self.rng.sample(TASK_NAMES, self.rng.randint(1, 2))
        tasks = [self._task(project.id, name) for name in names]
        return self._staffed(client, project, deal, _Parts(tasks))

    def _installments(self, deal_id: str, project: Project, client: Client, topic: str) -> Plan:
        """Installments on signature, on a milestone of the project, and on a date in the window."""
        deadline = self.window.start + dt.timedelta(days=self.rng.randrange(self.window.days))
        milestone, tasks = self._milestone(project.id, MILESTONE_NAMES[0], deadline, ())
        on_date = self.window.start + dt.timedelta(days=self.rng.randrange(self.window.days))
        signature, at_milestone, at_date = self.rng.choice(SCHEDULES)
        schedule = (
            f"{signature}:signature;{at_milestone}:milestone={milestone.id};"
            f"{at_date}:date={on_date.isoformat()}"
        )
        deal = self._contract(
            deal_id,
            project,
            client,
            title=f"{topic} (installments)",
            model=INSTALLMENTS,
            stage="closedwon",
            amount=self._amount(10, 300, 500, client.currency),
            terms={"payment_schedule": schedule},
        )
        parts = _Parts(tasks=[*tasks, self._task(project.id, self.rng.choice(TASK_NAMES))])
        parts.milestones.append(milestone)
        return self._staffed(client, project, deal, parts)

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
        return self._staffed(client, project, deal, _Parts([self._task(project.id, "Discovery")]))

    # --- contract terms -----------------------------------------------------------------

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
        terms: Mapping[str, str] | None = None,
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
        billing.update(terms or {})
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

    def _time_terms(self) -> dict[str, str]:
        """A billing cycle (most keep the monthly default) and, for a few, an hours cap."""
        roll = self.rng.random()
        cycle = next(name for name, share in CYCLES if roll < share)
        terms = {} if cycle is None else {"cycle": cycle}
        if self.rng.random() < HOURS_CAP_SHARE:
            terms["hours_cap"] = str(self.rng.randint(4, 40) * 5)
        return terms

    # --- what contracts bill on ---------------------------------------------------------

    def _staffed(self, client: Client, project: Project, deal: Deal, parts: _Parts) -> Plan:
        """2 to 8 people on the project, most of them with a rate in the contract currency."""
        size = min(len(self.person_ids), self.rng.randint(2, 8))
        people = tuple(self.rng.sample(self.person_ids, size))
        rates = tuple(
            Rate(project.id, person, self._rate(client.currency))
            for person in people
            if self.rng.random() < RATED_SHARE
        )
        staffing = Staffing(project.id, people, tuple(task.id for task in parts.tasks))
        return Plan(
            client,
            project,
            deal,
            staffing,
            rates,
            tuple(parts.tasks),
            tuple(parts.tags),
            tuple(parts.milestones),
        )

    def _valued_milestones(
        self, project_id: int, values: list[Decimal], *, full: bool, short: bool = False
    ) -> _Parts:
        """One milestone per value: deadlines spread to a month past the window (`short`: to a
        week before its end), most done on time; some also release part of their value as
        their tasks complete (`full`: the first does)."""
        parts = _Parts()
        n = len(values)
        span = self.window.days - 7 if short else self.window.days + 30
        names = (*MILESTONE_NAMES[: n - 1], MILESTONE_NAMES[-1])
        for k, value in enumerate(values):
            tag = Tag(next(self.ids.tags), f"billing:value={value}", project_id)
            tag_ids = [tag.id]
            parts.tags.append(tag)
            steps = 1
            if (full and k == 0) or self.rng.random() < PARTIAL_SHARE:
                if parts.partial_tag is None:
                    term = self.rng.choice(PARTIAL_TERMS)
                    parts.partial_tag = Tag(
                        next(self.ids.tags), f"billing:partial={term}", project_id
                    )
                    parts.tags.append(parts.partial_tag)
                tag_ids.append(parts.partial_tag.id)
                steps = self.rng.randint(2, 3)
            deadline = self.window.start + dt.timedelta(days=(k + 1) * span // n)
            milestone, tasks = self._milestone(
                project_id, names[k], deadline, tuple(tag_ids), steps=steps
            )
            parts.milestones.append(milestone)
            parts.tasks += tasks
        return parts

    def _milestone(
        self,
        project_id: int,
        name: str,
        deadline: dt.date,
        tag_ids: tuple[int, ...],
        *,
        steps: int = 1,
    ) -> tuple[Milestone, list[Task]]:
        """A milestone and the tasks of its task list; 85% of those due in the window are done
        on time (up to a week early). With several `steps`, the tasks complete one by one,
        a few days apart, the last on the day the milestone does."""
        completed = None
        if deadline < self.window.end and self.rng.random() < 0.85:
            early = dt.timedelta(days=self.rng.randint(0, 7))
            done = max(self.window.start, deadline - early)
            completed = dt.datetime.combine(done, dt.time(self.rng.randint(17, 21)), UTC)
        tasklist_id = next(self.ids.tasklists)
        if steps == 1:
            tasks = [self._task(project_id, name, completed, tasklist_id)]
        else:
            tasks = self._steps(project_id, name, steps, deadline, completed, tasklist_id)
        milestone = Milestone(
            id=next(self.ids.milestones),
            project_id=project_id,
            name=name,
            deadline=_midnight(deadline),
            completed=completed,
            tag_ids=tag_ids,
            tasklist_ids=(tasklist_id,),
        )
        return milestone, tasks

    def _steps(  # noqa: PLR0917 - one call site, all positional
        self,
        project_id: int,
        name: str,
        steps: int,
        deadline: dt.date,
        completed: dt.datetime | None,
        tasklist_id: int,
    ) -> list[Task]:
        """`steps` tasks in one list, completing `gap` days apart, the last when the milestone
        does; while the milestone is open, only its first few tasks (maybe none) are done."""
        gap = dt.timedelta(days=self.rng.randint(3, 10))
        last = completed or dt.datetime.combine(
            min(deadline, self.window.end) - dt.timedelta(days=1), dt.time(18), UTC
        )
        done_steps = steps if completed else self.rng.randint(0, steps - 1)
        tasks = []
        for step in range(steps):
            done = max(
                last - gap * (steps - 1 - step),
                dt.datetime.combine(self.window.start, dt.time(9), UTC),
            )
            task_done = done if step < done_steps else None
            tasks.append(
                self._task(project_id, f"{name}: {STEP_NAMES[step]}", task_done, tasklist_id)
            )
        return tasks

    def _rate_tag(self, project_id: int, currency: str, parts: _Parts) -> None:
        """A `billing:rate` tag on one of the project's tasks: its own hourly rate."""
        tag = Tag(
            next(self.ids.tags),
            f"billing:rate={self._money(self.rng.randint(30, 60) * 5, currency)}",
            project_id,
        )
        k = self.rng.randrange(len(parts.tasks))
        parts.tasks[k] = dataclasses.replace(parts.tasks[k], tag_ids=(tag.id,))
        parts.tags.append(tag)

    def _deliverable(self, project_id: int, currency: str, parts: _Parts) -> None:
        """A one-time deliverable: a milestone tagged `billing:type=deliverable` with a value,
        due in the window and usually accepted (completed) by its deadline."""
        kind = Tag(next(self.ids.tags), "billing:type=deliverable", project_id)
        value = Tag(
            next(self.ids.tags),
            f"billing:value={self._money(self.rng.randint(5, 50) * 100, currency)}",
            project_id,
        )
        deadline = self.window.start + dt.timedelta(days=self.rng.randrange(self.window.days))
        completed = None
        if self.rng.random() < 0.8:
            done = max(self.window.start, deadline - dt.timedelta(days=self.rng.randint(0, 3)))
            completed = dt.datetime.combine(done, dt.time(self.rng.randint(12, 20)), UTC)
        parts.tags += [kind, value]
        parts.milestones.append(
            Milestone(
                id=next(self.ids.milestones),
                project_id=project_id,
                name=self.rng.choice(DELIVERABLE_NAMES),
                deadline=_midnight(deadline),
                completed=completed,
                tag_ids=(kind.id, value.id),
            )
        )

    def _task(
        self,
        project_id: int,
        name: str,
        completed: dt.datetime | None = None,
        tasklist_id: int | None = None,
    ) -> Task:
        """A task, in a task list of its own unless given one (a milestone bills its lists)."""
        return Task(
            id=next(self.ids.tasks),
            project_id=project_id,
            name=name,
            tasklist_id=next(self.ids.tasklists) if tasklist_id is None else tasklist_id,
            estimate_minutes=self.rng.randint(10, 200) * 60,
            completed=completed,
        )

    # --- money --------------------------------------------------------------------------

    def _amount(self, low: int, high: int, step: int, currency: str) -> str:
        """A round deal amount, as HubSpot holds it: `"45000.00"`, or `"6750000"` in JPY."""
        return self._money(self.rng.randint(low, high) * step, currency)

    @staticmethod
    def _money(units: int, currency: str) -> str:
        """Whole dollar-ish `units` as a decimal string in `currency` (yen-sized in JPY)."""
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
