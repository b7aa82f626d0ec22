"""random_scenario and generate: deterministic, sized as asked, and shaped like a real company."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from itertools import islice
from pathlib import Path

import pytest

from billflow.generator import Scenario, ScenarioError, generate, random_scenario
from billflow.generator.clock import add_months
from billflow.generator.model import Deal, Task
from billflow.money import to_minor

START = dt.date(2026, 1, 1)
MONTHS = 3


@pytest.fixture(scope="module")
def small() -> Scenario:
    """A small company with enough entries for shares (billable, zero-minute) to show."""
    return random_scenario(
        seed=11, clients=8, projects=30, people=25, entries=20_000, months=MONTHS, start=START
    )


@pytest.fixture(scope="module")
def many_deals() -> Scenario:
    """Many projects and no time: for the deal, rate and payment mix."""
    return random_scenario(
        seed=5, clients=400, projects=2000, people=300, entries=0, months=MONTHS, start=START
    )


def _generate_small(out: Path, seed: int) -> dict[str, int]:
    return generate(out, seed, clients=3, projects=7, people=9, entries=2_500, months=2)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.json")}


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    _generate_small(tmp_path / "a", 42)
    _generate_small(tmp_path / "b", 42)
    _generate_small(tmp_path / "c", 43)
    first, again, other = (_files(tmp_path / name) for name in "abc")
    assert first == again
    assert first.keys() == other.keys()
    assert first != other


def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """No set or dict order leaks into the pages: other processes, other hash seeds, same bytes."""
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": os.pathsep.join(sys.path)}
        code = (
            "import sys; from pathlib import Path; from billflow.generator import generate; "
            "generate(Path(sys.argv[1]), 42, clients=3, projects=7, people=9, entries=2_500, "
            "months=2)"
        )
        out = tmp_path / hash_seed
        subprocess.run([sys.executable, "-c", code, str(out)], env=env, check=True)
    assert _files(tmp_path / "1") == _files(tmp_path / "2")


def test_counts_are_as_requested(tmp_path: Path) -> None:
    counts = generate(tmp_path, 1, clients=12, projects=20, people=15, entries=1_234, months=2)
    scenario = random_scenario(1, clients=12, projects=20, people=15, entries=0, months=2)
    change_orders = [deal for deal in scenario.deals if deal.pipeline == "change_orders"]
    assert counts["teamwork.time"] == 1_234
    assert counts["hubspot.companies"] == 12
    assert counts["hubspot.owners"] == math.ceil(12 / 5)
    assert counts["teamwork.projects"] == 20
    assert counts["hubspot.deals"] == 20 + len(change_orders) > 20
    assert counts["teamwork.people"] == 15


def test_entries_are_lazy_and_replay_the_same(small: Scenario) -> None:
    entries = small.time_entries
    assert not isinstance(entries, tuple | list)
    assert len(entries) == 20_000
    assert list(islice(entries, 500)) == list(islice(entries, 500))
    assert sum(1 for _ in entries) == 20_000


def test_entries_fall_in_the_window_in_quarter_hours(small: Scenario) -> None:
    end = add_months(START, MONTHS)
    for entry in small.time_entries:
        day = entry.date or (entry.at.date() if entry.at else None)
        assert day is not None and START <= day < end
        assert entry.minutes == 0 or (entry.minutes % 15 == 0 and 15 <= entry.minutes <= 600)


def test_about_85_percent_billable(small: Scenario) -> None:
    billable = sum(entry.billable for entry in small.time_entries)
    assert 0.82 < _share(billable, len(small.time_entries)) < 0.88


def test_quarantine_worthy_records_exist_and_are_rare(small: Scenario) -> None:
    zero = sum(entry.minutes == 0 for entry in small.time_entries)
    assert 1 <= zero <= 0.004 * len(small.time_entries)
    unknown = [d for d in small.deals if d.billing.get("model") == "fixed_bid"]
    assert len(unknown) >= 1


def test_zero_minute_entry_even_in_a_tiny_scenario() -> None:
    tiny = random_scenario(seed=3, clients=1, projects=1, people=2, entries=5, months=1)
    assert any(entry.minutes == 0 for entry in tiny.time_entries)


MODELS = {"time_and_materials", "milestone", "hybrid", "retainer", "installments"}


def _contracts(scenario: Scenario) -> list[Deal]:
    """Deals of the sales pipeline with contract terms (not change orders)."""
    return [deal for deal in scenario.deals if deal.pipeline == "default" and deal.billing]


def test_deal_mix(many_deals: Scenario) -> None:
    deals = [deal for deal in many_deals.deals if deal.pipeline == "default"]
    assert len(deals) == 2000
    models = Counter(deal.billing.get("model") for deal in deals)
    assert 0.50 < _share(models["time_and_materials"], len(deals)) < 0.60
    assert 0.12 < _share(models["milestone"], len(deals)) < 0.18
    assert 0.05 < _share(models["hybrid"], len(deals)) < 0.09
    assert 0.06 < _share(models["retainer"], len(deals)) < 0.10
    assert 0.035 < _share(models["installments"], len(deals)) < 0.065
    assert 0.08 < _share(models[None], len(deals)) < 0.13
    assert 1 <= models["fixed_bid"] <= 10
    early = {"appointmentscheduled", "qualifiedtobuy", "presentationscheduled"}
    early.add("decisionmakerboughtin")
    assert all(deal.stage in early for deal in deals if not deal.billing)


def test_every_billing_model_and_term_even_in_a_small_scenario(small: Scenario) -> None:
    models = {deal.billing.get("model") for deal in _contracts(small)}
    assert models >= MODELS
    assert any(deal.pipeline == "change_orders" for deal in small.deals)
    tags = {tag.id: tag.name for tag in small.tags}
    milestone_tags = [[tags[i] for i in m.tag_ids] for m in small.milestones]
    assert any("billing:type=deliverable" in names for names in milestone_tags)
    assert any(name.startswith("billing:partial=") for names in milestone_tags for name in names)
    assert any(tags[i].startswith("billing:rate=") for task in small.tasks for i in task.tag_ids)


def test_billing_tags_follow_the_grammar(many_deals: Scenario) -> None:
    grammar = re.compile(
        r"billing:(value=\d+(\.\d{2})?|rate=\d+(\.\d{2})?|partial=\d{1,3}@\d{1,3}"
        r"|type=deliverable)"
    )
    assert [tag.name for tag in many_deals.tags if not grammar.fullmatch(tag.name)] == []
    kinds = Counter(tag.name.split("=")[0] for tag in many_deals.tags)
    assert kinds.keys() == {"billing:value", "billing:rate", "billing:partial", "billing:type"}


def test_time_terms(many_deals: Scenario) -> None:
    time = [d for d in _contracts(many_deals) if d.billing["model"] == "time_and_materials"]
    cycles = Counter(deal.billing.get("cycle") for deal in time)
    assert cycles.keys() == {None, "monthly", "weekly", "biweekly"}
    assert cycles[None] > cycles["weekly"] > 0
    capped = [Decimal(deal.billing["hours_cap"]) for deal in time if "hours_cap" in deal.billing]
    assert 0.05 < _share(len(capped), len(time)) < 0.15
    assert all(cap > 0 for cap in capped)
    hybrids = [d for d in _contracts(many_deals) if d.billing["model"] == "hybrid"]
    assert {deal.billing["cycle"] for deal in hybrids} == {"weekly"}


def test_retainer_terms(many_deals: Scenario) -> None:
    end = add_months(START, MONTHS)
    retainers = [d for d in _contracts(many_deals) if d.billing["model"] == "retainer"]
    for deal in retainers:
        fee = Decimal(deal.billing["retainer_fee"])
        assert Decimal(str(deal.amount)) == 12 * fee
        assert Decimal(deal.billing["retainer_hours"]) > 0
        assert Decimal(deal.billing["overage_rate"]) > 0
    starts = [d.billing["effective_date"] for d in retainers if "effective_date" in d.billing]
    assert starts and all(10 <= dt.date.fromisoformat(day).day <= 20 for day in starts)
    changes = [
        d.billing["retainer_fee_changes"] for d in retainers if "retainer_fee_changes" in d.billing
    ]
    assert changes
    for change in changes:
        day, new_fee = change.split("=")
        assert START < dt.date.fromisoformat(day) < end
        assert Decimal(new_fee) > 0


def test_installments_trigger_on_a_milestone_of_the_project(many_deals: Scenario) -> None:
    end = add_months(START, MONTHS)
    milestones = {m.id: m.project_id for m in many_deals.milestones}
    deals = [d for d in _contracts(many_deals) if d.billing["model"] == "installments"]
    assert deals
    for deal in deals:
        signature, milestone, on_date = deal.billing["payment_schedule"].split(";")
        percents = [int(part.split(":")[0]) for part in (signature, milestone, on_date)]
        assert sum(percents) == 100
        assert signature.endswith(":signature")
        milestone_id = int(milestone.split("=")[1])
        assert milestones[milestone_id] == int(deal.billing["project_id"])
        assert START <= dt.date.fromisoformat(on_date.split("=")[1]) < end


def test_change_orders_amend_signed_contracts(many_deals: Scenario) -> None:
    end = add_months(START, MONTHS)
    deals = {deal.id: deal for deal in many_deals.deals}
    change_orders = [deal for deal in many_deals.deals if deal.pipeline == "change_orders"]
    assert 0 < len(change_orders) < 0.1 * len(deals)
    assert Counter(deal.stage for deal in change_orders).keys() == {"co_approved", "co_requested"}
    for deal in change_orders:
        parent = deals[deal.billing["parent_deal_id"]]
        assert parent.pipeline == "default" and parent.stage == "closedwon"
        assert parent.billing["model"] in MODELS
        assert (deal.company_id, deal.currency) == (parent.company_id, parent.currency)
        assert deal.close_date is not None and parent.created < deal.created
        assert deal.created.date() <= deal.close_date.date()
        if deal.stage == "co_approved":
            assert START <= deal.close_date.date() < end


def test_deliverables_are_on_time_and_materials_projects(many_deals: Scenario) -> None:
    tags = {tag.id: tag.name for tag in many_deals.tags}
    models = {d.billing["project_id"]: d.billing["model"] for d in _contracts(many_deals)}
    deliverables = [
        m for m in many_deals.milestones if "billing:type=deliverable" in map(tags.get, m.tag_ids)
    ]
    assert deliverables
    for milestone in deliverables:
        assert models[str(milestone.project_id)] in {"time_and_materials", "fixed_bid"}
        assert any(tags[i].startswith("billing:value=") for i in milestone.tag_ids)


def test_partial_milestones_complete_task_by_task(many_deals: Scenario) -> None:
    tags = {tag.id: tag.name for tag in many_deals.tags}
    tasks: dict[int, list[Task]] = {}
    for task in many_deals.tasks:
        tasks.setdefault(task.tasklist_id, []).append(task)
    partial = [
        m
        for m in many_deals.milestones
        if any(tags[i].startswith("billing:partial=") for i in m.tag_ids)
    ]
    assert partial
    halfway = 0
    for milestone in partial:
        (tasklist,) = milestone.tasklist_ids
        steps = tasks[tasklist]
        assert len(steps) >= 2 and all(task.estimate_minutes > 0 for task in steps)
        done = [task.completed for task in steps if task.completed is not None]
        if milestone.completed is not None:
            assert max(done) == milestone.completed
        elif done:
            halfway += 1
    assert halfway > 0, "some open milestones are partly complete"


def test_some_projects_complete_after_their_last_milestone(many_deals: Scenario) -> None:
    last: dict[int, dt.datetime] = {}
    for m in many_deals.milestones:
        if m.completed is not None:
            last[m.project_id] = max(m.completed, last.get(m.project_id, m.completed))
    completed = [project for project in many_deals.projects if project.completed is not None]
    assert completed
    for project in completed:
        assert project.completed == last[project.id] + dt.timedelta(days=2)
        assert project.status == "active"


def test_addresses_and_cost_rates(many_deals: Scenario) -> None:
    companies = many_deals.companies
    assert 0.8 < _share(sum(c.address is not None for c in companies), len(companies)) < 0.9
    assert all(c.city is not None for c in companies if c.address is not None)
    assert any(c.city is None for c in companies)
    assert {c.country for c in companies} >= {"US", "JP", None}
    people = many_deals.people
    costs = [person.cost_rate for person in people if person.cost_rate is not None]
    assert 0.85 < _share(len(costs), len(people)) < 0.95
    assert all(3_000 <= cost <= 9_000 for cost in costs)


def test_contract_terms(many_deals: Scenario) -> None:
    contracts = _contracts(many_deals)
    currencies = Counter(deal.currency for deal in many_deals.deals)
    assert currencies["USD"] > currencies["EUR"] > currencies["JPY"] > 0
    assert {d.billing.get("tax_rate", "0") for d in contracts} == {"0", "0.0825", "0.19"}
    assert {d.billing["terms_days"] for d in contracts} == {"15", "30", "45"}
    signed = [d.billing["signed_date"] for d in contracts if "signed_date" in d.billing]
    assert signed and max(map(dt.date.fromisoformat, signed)) < START


def test_milestone_values_sum_to_the_deal_amount(many_deals: Scenario) -> None:
    values: Counter[int] = Counter()
    tags = {tag.id: tag for tag in many_deals.tags}
    for milestone in many_deals.milestones:
        for tag_id in milestone.tag_ids:
            name, _, value = tags[tag_id].name.partition("=")
            if name == "billing:value":
                values[milestone.project_id] += _minor(value)
    deals = [deal for deal in many_deals.deals if deal.billing.get("model") == "milestone"]
    assert deals
    for deal in deals:
        assert values[int(deal.billing["project_id"])] == _minor(str(deal.amount))


def _minor(text: str) -> int:
    return to_minor(Decimal(text), "USD") if "." in text else int(text)


def test_milestones_complete_inside_the_window(many_deals: Scenario) -> None:
    done = [m.completed for m in many_deals.milestones if m.completed is not None]
    assert done and len(done) < len(many_deals.milestones)
    end = add_months(START, MONTHS)
    assert all(START <= moment.date() < end for moment in done)


def test_staffing_and_rates(many_deals: Scenario) -> None:
    per_project = Counter(rate.project_id for rate in many_deals.rates)
    assert max(per_project.values()) <= 8
    rates = [rate.rate for rate in many_deals.rates]
    assert all(isinstance(rate, int) for rate in rates)
    dollars = [rate for rate in rates if rate <= 25_000]
    assert min(dollars) >= 8_000
    assert any(rate % 100 for rate in dollars), "some rates have odd cents"


def test_about_two_percent_of_pairs_have_no_rate(small: Scenario) -> None:
    staffed = {(e.project_id, e.person_id) for e in islice(small.time_entries, 20_000)}
    rated = {(rate.project_id, rate.person_id) for rate in small.rates}
    assert 0 < len(staffed - rated) < 0.1 * len(staffed)


def test_payments_name_invoices_in_series(many_deals: Scenario) -> None:
    numbers = [p.invoice_number for p in many_deals.payments]
    known = [n for n in numbers if n and n.startswith("INV-2026-0")]
    unknown = [n for n in numbers if n and n.startswith("INV-2026-9")]
    assert known and unknown and len(unknown) < 0.05 * len(numbers)
    time_contracts = sum(d.billing.get("model") == "time_and_materials" for d in many_deals.deals)
    assert max(int(n[-6:]) for n in known) <= time_contracts * MONTHS
    assert len({p.event_id for p in many_deals.payments}) == len(numbers)


def test_sizes_must_be_positive() -> None:
    with pytest.raises(ScenarioError, match="projects"):
        random_scenario(seed=1, clients=1, projects=0, people=1, entries=1, months=1)


def _walk(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _walk(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _walk(item)]
    return [value]


def test_money_is_never_a_float(tmp_path: Path) -> None:
    _generate_small(tmp_path, 8)
    pages = {name: json.loads(text) for name, text in _files(tmp_path).items()}
    assert not [n for n, page in pages.items() if any(isinstance(v, float) for v in _walk(page))]
    for name, page in pages.items():
        if name.startswith("hubspot/deals/"):
            assert all(isinstance(d["properties"]["amount"], str) for d in page["results"])
        if name.startswith("teamwork/rates/"):
            assert all(type(rate["effectiveRate"]) is int for rate in page["userRates"])
        if name.startswith("stripe/events/"):
            objects = [event["data"]["object"] for event in page["data"]]
            amounts = [o["amount_received"] for o in objects if o["object"] == "payment_intent"]
            assert all(type(amount) is int for amount in amounts)
