"""load_scenario: the sample's schema, its defaults, and errors that name the field."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from billflow.generator import ScenarioError, load_scenario
from billflow.generator.model import PageSize, Scenario
from billflow.paths import ROOT

SAMPLE = ROOT / "data" / "sample.yml"

MINIMAL = """
page_size: 2
people:
  - {id: 77, first_name: Ana, last_name: Ruiz}
tasks:
  - {id: 3001, project_id: 500, name: Pipeline build, tasklist_id: 7001}
"""


def _load(tmp_path: Path, text: str) -> Scenario:
    path = tmp_path / "scenario.yml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


def test_sample_loads_with_its_records() -> None:
    scenario = load_scenario(SAMPLE)
    assert scenario.page_size == PageSize.uniform(4)
    assert len(scenario.deals) == 19
    assert len(scenario.time_entries) == 61
    assert scenario.deals[1].billing["po_number"] == "PO-77120"
    assert scenario.payments[2].amount == Decimal("1145.38")


def test_sample_entries_are_days_or_start_times() -> None:
    entries = {entry.id: entry for entry in load_scenario(SAMPLE).time_entries}
    assert entries[9101].date == dt.date(2026, 1, 6)
    assert entries[9101].at is None
    assert entries[9125].at == dt.datetime(2026, 4, 1, 2, 30, tzinfo=dt.UTC)
    assert entries[9125].date is None


def test_defaults_billable_description_and_email() -> None:
    scenario = load_scenario(SAMPLE)
    entries = {entry.id: entry for entry in scenario.time_entries}
    assert entries[9101].billable is True
    assert entries[9101].description == "Pipeline build"
    assert entries[9106].description == "Internal stand-up"
    assert entries[9401].description == "Project work"
    assert scenario.people[0].email == "ana.ruiz@example.com"


def test_sample_new_terms_are_read() -> None:
    """Pipelines, contract terms, addresses, cost rates, completion and task tags."""
    scenario = load_scenario(SAMPLE)
    deals = {deal.id: deal for deal in scenario.deals}
    assert deals["18401"].pipeline == "default"
    assert (deals["18414"].pipeline, deals["18414"].stage) == ("change_orders", "co_approved")
    assert deals["18414"].billing == {"parent_deal_id": "18408"}
    assert deals["18411"].billing["hours_cap"] == "40"
    assert deals["18413"].billing["retainer_fee_changes"] == "2026-04-16=6000.00"
    schedule = "25:signature;40:milestone=4201;35:date=2026-04-10"
    assert deals["18408"].billing["payment_schedule"] == schedule
    companies = {company.id: company for company in scenario.companies}
    assert (companies["9001"].city, companies["9001"].zip) == ("Seattle", "98101")
    assert (companies["9009"].address, companies["9009"].zip) == (None, None)
    assert companies["9002"].country is None
    people = {person.id: person for person in scenario.people}
    assert (people[77].cost_rate, people[81].cost_rate) == (6000, None)
    projects = {project.id: project for project in scenario.projects}
    assert projects[507].completed == dt.datetime(2026, 3, 31, 20, tzinfo=dt.UTC)
    assert (projects[507].status, projects[500].completed) == ("active", None)
    tasks = {task.id: task for task in scenario.tasks}
    assert (tasks[3002].tag_ids, tasks[3001].tag_ids) == ((35,), ())


def test_page_size_may_differ_per_vendor(tmp_path: Path) -> None:
    text = MINIMAL.replace("page_size: 2", "page_size: {hubspot: 100, teamwork: 500, stripe: 10}")
    scenario = _load(tmp_path, text)
    assert scenario.page_size == PageSize(hubspot=100, teamwork=500, stripe=10)


@pytest.mark.parametrize(
    ("snippet", "field"),
    [
        ("owners: [{id: '1', first_name: A, last_name: B}]", "owners[0].email"),
        ("people: [{id: x, first_name: A, last_name: B}]", "people[0].id"),
        ("rates: [{project_id: 1, person_id: 2, rate: 150.5}]", "rates[0].rate"),
        (
            "deals: [{id: '1', name: D, company_id: '9', owner_id: '1', stage: closedwon,"
            " created: '2026-01-01T00:00:00Z', billing: {tax_rate: 0.19}}]",
            "deals[0].billing.tax_rate",
        ),
        (
            "deals: [{id: '1', name: D, stage: nowhere, created: '2026-01-01T00:00:00Z'}]",
            "deals[0].stage",
        ),
        (
            "deals: [{id: '1', name: D, pipeline: change_orders, stage: closedwon,"
            " created: '2026-01-01T00:00:00Z'}]",
            "deals[0].stage",
        ),
        (
            "deals: [{id: '1', name: D, stage: co_approved, created: '2026-01-01T00:00:00Z'}]",
            "deals[0].stage",
        ),
        (
            "deals: [{id: '1', name: D, pipeline: upsell, stage: closedwon,"
            " created: '2026-01-01T00:00:00Z'}]",
            "deals[0].pipeline",
        ),
        ("companies: [{id: '9', name: C, zip: 98101}]", "companies[0].zip"),
        (
            "people: [{id: 1, first_name: A, last_name: B, cost_rate: '60.00'}]",
            "people[0].cost_rate",
        ),
        ("projects: [{id: 1, name: P, company_id: 2, completed: soon}]", "projects[0].completed"),
        (
            "tasks: [{id: 1, project_id: 1, name: T, tasklist_id: 2, tag_ids: 35}]",
            "tasks[0].tag_ids",
        ),
        (
            "time_entries: [{id: 1, project_id: 1, person_id: 2, date: 2026-13-01, minutes: 5}]",
            "time_entries[0].date",
        ),
        (
            "time_entries: [{id: 1, project_id: 1, person_id: 2, minutes: 5}]",
            "time_entries[0]",
        ),
        (
            "payments: [{event_id: e, payment_intent: p, at: '2026-01-01T00:00:00Z',"
            " amount: '10.001', currency: usd}]",
            "payments[0].amount",
        ),
        ("milestones: [{id: 1, project_id: 1, name: M, deadlin: x}]", "milestones[0]"),
        ("colour: blue", "colour"),
    ],
)
def test_malformed_field_is_named(tmp_path: Path, snippet: str, field: str) -> None:
    with pytest.raises(ScenarioError, match=re.escape(field)):
        _load(tmp_path, MINIMAL + snippet)


def test_page_size_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="page_size"):
        _load(tmp_path, MINIMAL.replace("page_size: 2", "page_size: 0"))


def test_scenario_error_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not valid YAML"):
        _load(tmp_path, "page_size: [unclosed")
