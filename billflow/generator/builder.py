"""`random_scenario`: a whole company of any size, the same for the same seed.

Everything is drawn from `random.Random(seed)` in a fixed order (no clock, no `hash()`), so a
seed names one scenario. Time entries are not drawn here: the scenario holds a lazy sequence
seeded from the same stream, which regenerates them whenever the pages are rendered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random

from billflow.generator.entries import RandomTimeEntries
from billflow.generator.model import (
    Company,
    Deal,
    Owner,
    PageSize,
    Person,
    Scenario,
    ScenarioError,
)
from billflow.generator.names import (
    CITIES,
    COMPANY_KINDS,
    COMPANY_SUFFIXES,
    COMPANY_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    STREETS,
)
from billflow.generator.payments import random_events
from billflow.generator.plans import FIRST_DEAL_ID, KINDS, MODELS, Client, Plan, Planner, Window

PAGE_SIZE = PageSize(hubspot=100, teamwork=500, stripe=100)
"""HubSpot search and Stripe list at most 100 a page; Teamwork v3 up to 500."""
CLIENTS_PER_OWNER = 5
BAD_DEAL_SHARE = 0.001
CURRENCIES = (("USD", 0.8), ("EUR", 0.95), ("JPY", 1.0))
"""Cumulative shares: most clients pay in USD, some in EUR, a few in JPY."""
TAX_RATES = {"USD": ("0", "0.0825"), "EUR": ("0", "0.19"), "JPY": ("0",)}
FIRST_PERSON_ID = 1001
FIRST_COMPANY_ID = 90_001
FIRST_OWNER_ID = 910_901
COST_RATE_SHARE = 0.9
"""Of people: a cost rate (Teamwork `userCost`), 30.00 to 90.00 an hour."""
ADDRESS_SHARES = (("full", 0.85), ("city", 0.95), ("none", 1.0))
"""Cumulative shares of clients with a street address, only a city, or no address."""
CHANGE_ORDER_SHARE = 0.05
"""Of signed contracts: a change order amends it (at least one when there is a contract)."""


def random_scenario(  # noqa: PLR0917 - the CLI's agreed positional signature
    seed: int,
    clients: int,
    projects: int,
    people: int,
    entries: int,
    months: int,
    start: dt.date = dt.date(2026, 1, 1),
) -> Scenario:
    """A random company: `clients` HubSpot companies, `projects` Teamwork projects (one deal
    each), `people` people logging `entries` time entries over `months` months from `start`."""
    _check_sizes(clients=clients, projects=projects, people=people, months=months)
    _check_sizes(entries=entries, minimum=0)
    rng = random.Random(seed)
    window = Window(start, months)
    staff = tuple(_person(rng, FIRST_PERSON_ID + index) for index in range(people))
    owners = tuple(_owner(rng, index) for index in range(math.ceil(clients / CLIENTS_PER_OWNER)))
    client_list = [_client(rng, index, owners) for index in range(clients)]
    planner = Planner(rng, window, tuple(person.id for person in staff))
    plans = _plans(rng, planner, client_list, projects)
    change_orders = _change_orders(rng, planner, plans)
    events = random_events(rng, plans, window)
    time_entries = RandomTimeEntries(
        seed=rng.getrandbits(64),
        count=entries,
        start=start,
        days=window.days,
        staffing=tuple(plan.staffing for plan in plans),
        bad_index=rng.randrange(entries) if entries else -1,
    )
    return Scenario(
        page_size=PAGE_SIZE,
        owners=owners,
        companies=tuple(client.company for client in client_list),
        people=staff,
        projects=tuple(plan.project for plan in plans),
        deals=(*(plan.deal for plan in plans), *change_orders),
        rates=tuple(rate for plan in plans for rate in plan.rates),
        tasks=tuple(task for plan in plans for task in plan.tasks),
        tags=tuple(tag for plan in plans for tag in plan.tags),
        milestones=tuple(milestone for plan in plans for milestone in plan.milestones),
        time_entries=time_entries,
        payments=events.payments,
        other_events=events.other_events,
    )


def _check_sizes(minimum: int = 1, **sizes: int) -> None:
    for name, size in sizes.items():
        if size < minimum:
            raise ScenarioError(f"{name} must be at least {minimum}, got {size}")


def _plans(rng: random.Random, planner: Planner, clients: list[Client], count: int) -> list[Plan]:
    """One plan per project: every client gets one first, the rest go to random clients.

    At least one contract has an unknown billing model, and about 0.1% do. When there are
    enough projects, one contract of each billing model has every optional term (`full`), so
    even a small scenario has every model, a deliverable, a task rate and a partial milestone.
    """
    bad = {rng.randrange(count)} | {i for i in range(count) if rng.random() < BAD_DEAL_SHARE}
    kinds = [_kind(rng.random()) for _ in range(count)]
    good = [index for index in range(count) if index not in bad]
    full: dict[int, str] = {}
    if len(good) >= len(MODELS):
        full = dict(zip(rng.sample(good, len(MODELS)), MODELS, strict=True))
        for index, model in full.items():
            kinds[index] = model
    plans = []
    for index in range(count):
        client = clients[index] if index < len(clients) else rng.choice(clients)
        kind = kinds[index]
        plans.append(planner.plan(index, client, kind, full=index in full, bad=index in bad))
    return plans


def _kind(roll: float) -> str:
    return next(kind for kind, share in KINDS if roll < share)


def _change_orders(rng: random.Random, planner: Planner, plans: list[Plan]) -> list[Deal]:
    """Change orders of a few signed contracts, ids following the projects' deals."""
    contracts = [plan for plan in plans if plan.signed_contract]
    if not contracts:
        return []
    wanted = max(1, sum(rng.random() < CHANGE_ORDER_SHARE for _ in contracts))
    parents = sorted(rng.sample(contracts, wanted), key=lambda plan: plan.project.id)
    first = FIRST_DEAL_ID + len(plans)
    return [planner.change_order(str(first + k), parent) for k, parent in enumerate(parents)]


def _person(rng: random.Random, person_id: int) -> Person:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    cost = rng.randint(30, 90) * 100 if rng.random() < COST_RATE_SHARE else None
    email = f"{first}.{last}.{person_id}@example.com".lower()
    return Person(person_id, first, last, email, cost_rate=cost)


def _owner(rng: random.Random, index: int) -> Owner:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    owner_id = str(FIRST_OWNER_ID + index)
    return Owner(owner_id, first, last, f"{first}.{last}.{owner_id}@example.com".lower())


def _client(rng: random.Random, index: int, owners: tuple[Owner, ...]) -> Client:
    """A company, its rep (clients are dealt to owners in turn), currency and tax rate."""
    words = (rng.choice(COMPANY_WORDS), rng.choice(COMPANY_KINDS), rng.choice(COMPANY_SUFFIXES))
    roll = rng.random()
    currency = next(code for code, share in CURRENCIES if roll < share)
    company = _address(rng, Company(str(FIRST_COMPANY_ID + index), " ".join(words)), currency)
    return Client(
        company=company,
        owner_id=owners[index % len(owners)].id,
        teamwork_company_id=100 + index,
        currency=currency,
        tax_rate=rng.choice(TAX_RATES[currency]),
    )


def _address(rng: random.Random, company: Company, currency: str) -> Company:
    """The invoice address: most clients have a street address, some only a city, a few none."""
    roll = rng.random()
    extent = next(name for name, share in ADDRESS_SHARES if roll < share)
    if extent == "none":
        return company
    city, state, zip_code, country = rng.choice(CITIES[currency])
    if extent == "city":
        return dataclasses.replace(company, city=city, state=state, country=country)
    street = f"{rng.randint(1, 400)} {rng.choice(STREETS)}"
    return dataclasses.replace(
        company, address=street, city=city, state=state, zip=zip_code, country=country
    )
