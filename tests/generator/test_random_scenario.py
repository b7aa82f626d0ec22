"""random_scenario and generate: deterministic, sized as asked, and shaped like a real company."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from itertools import islice
from pathlib import Path

import pytest

from billflow.generator import Scenario, ScenarioError, generate, random_scenario
from billflow.generator.clock import add_months
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
    assert counts["teamwork.time"] == 1_234
    assert counts["hubspot.companies"] == 12
    assert counts["hubspot.owners"] == math.ceil(12 / 5)
    assert counts["teamwork.projects"] == counts["hubspot.deals"] == 20
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


def test_deal_mix(many_deals: Scenario) -> None:
    deals = many_deals.deals
    models = Counter(deal.billing.get("model") for deal in deals)
    assert 0.65 < _share(models["time_and_materials"], len(deals)) < 0.75
    assert 0.16 < _share(models["milestone"], len(deals)) < 0.24
    assert 0.07 < _share(models[None], len(deals)) < 0.13
    assert 1 <= models["fixed_bid"] <= 10
    early = {"appointmentscheduled", "qualifiedtobuy", "presentationscheduled"}
    early.add("decisionmakerboughtin")
    assert all(deal.stage in early for deal in deals if not deal.billing)


def test_contract_terms(many_deals: Scenario) -> None:
    contracts = [deal for deal in many_deals.deals if deal.billing]
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
        (tag_id,) = milestone.tag_ids
        values[milestone.project_id] += _minor(tags[tag_id].name.split("=")[1])
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
