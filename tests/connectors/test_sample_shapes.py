"""data/sample/ speaks each vendor's dialect: key names, nesting and value types.

Each stream's page is described by a small declarative spec written from the vendor notes
(../shared/vendors/*.md, ../notes/vendor_facts.md) and docs/sources.md:

- a Python type: the value has that type (`int` never matches a bool);
- a dict: an object with at least these keys, each matching its spec (extra keys are fine,
  the APIs add keys over time);
- a one-item list: an array whose every item matches;
- a `Check` below: text patterns, fixed values, null, optional keys, maps keyed by id.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from billflow.paths import SAMPLE_DIR
from connectors.streams import STREAMS, Stream


class Check:
    """A spec that is not a plain type, object or array."""

    def errors(self, value: object, path: str) -> list[str]:
        raise NotImplementedError


def errors(value: object, spec: object, path: str = "$") -> list[str]:
    """Every place `value` departs from `spec`, as `path: what was expected`."""
    if isinstance(spec, Check):
        return spec.errors(value, path)
    if isinstance(spec, type):
        ok = isinstance(value, spec) and not (spec is int and isinstance(value, bool))
        return [] if ok else [f"{path}: expected {spec.__name__}, got {value!r}"]
    if isinstance(spec, dict):
        return _object_errors(value, spec, path)
    if isinstance(spec, list):
        if not isinstance(value, list):
            return [f"{path}: expected an array, got {value!r}"]
        return [e for i, item in enumerate(value) for e in errors(item, spec[0], f"{path}[{i}]")]
    raise TypeError(f"not a spec: {spec!r}")


def _object_errors(value: object, spec: Mapping[str, object], path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object, got {value!r}"]
    found = []
    for key, item_spec in spec.items():
        if key in value:
            found += errors(value[key], item_spec, f"{path}.{key}")
        elif not isinstance(item_spec, Optional):
            found.append(f"{path}: missing key {key!r}")
    return found


@dataclass(frozen=True)
class Text(Check):
    """A string matching `pattern` in full."""

    pattern: str

    def errors(self, value: object, path: str) -> list[str]:
        if isinstance(value, str) and re.fullmatch(self.pattern, value):
            return []
        return [f"{path}: expected text like /{self.pattern}/, got {value!r}"]


@dataclass(frozen=True)
class Is(Check):
    """One of a few exact values."""

    values: tuple[object, ...]

    def errors(self, value: object, path: str) -> list[str]:
        return [] if value in self.values else [f"{path}: expected one of {self.values}"]


@dataclass(frozen=True)
class Nullable(Check):
    spec: object

    def errors(self, value: object, path: str) -> list[str]:
        return [] if value is None else errors(value, self.spec, path)


@dataclass(frozen=True)
class Optional(Check):
    """A key that may be absent; when present its value matches `spec`."""

    spec: object

    def errors(self, value: object, path: str) -> list[str]:
        return errors(value, self.spec, path)


@dataclass(frozen=True)
class AnyOf(Check):
    specs: tuple[object, ...]

    def errors(self, value: object, path: str) -> list[str]:
        if any(not errors(value, spec, path) for spec in self.specs):
            return []
        return [f"{path}: matches none of {len(self.specs)} alternatives: {value!r}"]


@dataclass(frozen=True)
class AllOf(Check):
    specs: tuple[object, ...]

    def errors(self, value: object, path: str) -> list[str]:
        return [e for spec in self.specs for e in errors(value, spec, path)]


@dataclass(frozen=True)
class EachValue(Check):
    """An object whose every value matches `spec` (HubSpot `properties`, Stripe `metadata`)."""

    spec: object

    def errors(self, value: object, path: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {value!r}"]
        return [e for k, item in value.items() for e in errors(item, self.spec, f"{path}.{k}")]


@dataclass(frozen=True)
class KeyedById(Check):
    """Teamwork `included`: an object keyed by the id as a string, each value that record."""

    spec: object

    def errors(self, value: object, path: str) -> list[str]:
        found = EachValue(AllOf((self.spec, {"id": int}))).errors(value, path)
        if found or not isinstance(value, dict):
            return found
        wrong = [key for key, item in value.items() if key != str(item["id"])]
        return [f"{path}.{key}: key is not its id" for key in wrong]


@dataclass(frozen=True)
class ByField(Check):
    """The spec depends on a field's value (Stripe: the event `type` decides the object)."""

    field: str
    cases: Mapping[str, object]
    default: object

    def errors(self, value: object, path: str) -> list[str]:
        kind = value.get(self.field) if isinstance(value, dict) else None
        return errors(value, self.cases.get(str(kind), self.default), path)


ISO = Text(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z")
DAY = r"\d{4}-\d\d-\d\d"
DATE = Text(DAY)
DIGITS = Text(r"\d+")
UNSIGNED = r"\d+(\.\d+)?"
DECIMAL = Text(r"-?\d+(\.\d+)?")
BOOL_TEXT = Is(("true", "false"))


def separated(item: str) -> Text:
    """`item;item;...` (HubSpot multi-value text, as docs/sources.md writes schedules)."""
    return Text(f"{item}(;{item})*")


SCHEDULE = separated(rf"\d{{1,3}}:(signature|milestone=\d+|date={DAY})")
FEE_CHANGES = separated(rf"{DAY}={UNSIGNED}")
BILLING_TAG = (
    rf"billing:(value={UNSIGNED}|rate={UNSIGNED}|partial=\d{{1,3}}@\d{{1,3}}|type=deliverable)"
)

# --- HubSpot (vendors/hubspot.md) ----------------------------------------------------------

HUBSPOT_OBJECT = {
    "id": DIGITS,
    "properties": EachValue(Nullable(str)),
    "createdAt": ISO,
    "updatedAt": ISO,
    "archived": bool,
}
DEAL_PROPERTIES = {
    "amount": Nullable(DECIMAL),
    "closedate": Nullable(ISO),
    "createdate": ISO,
    "deal_currency_code": Nullable(Text(r"[A-Z]{3}")),
    "dealname": str,
    "dealstage": str,
    "hs_lastmodifieddate": ISO,
    "hs_object_id": DIGITS,
    "hubspot_owner_id": Nullable(DIGITS),
    "pipeline": Is(("default", "change_orders")),
    "billing_model": Nullable(str),
    "billing_project_id": Nullable(DIGITS),
    "billing_terms_days": Nullable(DIGITS),
    "billing_tax_rate": Nullable(DECIMAL),
    "billing_signed_date": Nullable(DATE),
    "billing_effective_date": Nullable(DATE),
    "billing_cycle": Nullable(Is(("monthly", "weekly", "biweekly"))),
    "billing_hours_cap": Nullable(Text(UNSIGNED)),
    "billing_payment_schedule": Nullable(SCHEDULE),
    "billing_retainer_fee": Nullable(Text(UNSIGNED)),
    "billing_retainer_hours": Nullable(Text(UNSIGNED)),
    "billing_overage_rate": Nullable(Text(UNSIGNED)),
    "billing_retainer_fee_changes": Nullable(FEE_CHANGES),
    "billing_parent_deal_id": Nullable(DIGITS),
    "billing_end_date": Optional(Nullable(DATE)),
    "billing_contract_code": Optional(Nullable(str)),
}
"""Every deal carries every billing property any deal has; the sample has all but two."""
COMPANY_PROPERTIES = {
    "name": str,
    "hs_object_id": DIGITS,
    "createdate": ISO,
    "address": Nullable(str),
    "city": Nullable(str),
    "state": Nullable(str),
    "zip": Nullable(str),
    "country": Nullable(Text(r"[A-Z]{2}")),
}


def search_page(properties: Mapping[str, object]) -> object:
    """`POST .../search`: int `total`, and an offset cursor on every page but the last."""
    return {
        "total": int,
        "results": [AllOf((HUBSPOT_OBJECT, {"properties": properties}))],
        "paging": Optional({"next": {"after": DIGITS}}),
    }


STAGE = {
    "id": str,
    "label": str,
    "displayOrder": int,
    "archived": bool,
    "metadata": {"isClosed": BOOL_TEXT, "probability": DECIMAL},
}
PIPELINES_PAGE = {
    "results": [{"id": str, "label": str, "displayOrder": int, "archived": bool, "stages": [STAGE]}]
}
OWNERS_PAGE = {
    "results": [
        {
            "id": DIGITS,
            "email": str,
            "firstName": str,
            "lastName": str,
            "createdAt": ISO,
            "updatedAt": ISO,
            "archived": bool,
        }
    ],
    "paging": Optional({"next": {"after": str, "link": str}}),
}
ASSOCIATION_TYPE = {"category": str, "typeId": int, "label": Nullable(str)}
DEAL_COMPANIES_PAGE = {
    "status": Is(("COMPLETE",)),
    "results": [
        {
            "from": {"id": DIGITS},
            "to": [{"toObjectId": AnyOf((int, DIGITS)), "associationTypes": [ASSOCIATION_TYPE]}],
        }
    ],
    "startedAt": ISO,
    "completedAt": ISO,
}

# --- Teamwork (vendors/teamwork.md, notes/vendor_facts.md) --------------------------------


def rel(kind: str) -> object:
    return {"id": int, "type": Is((kind,))}


META = {"page": {"pageOffset": int, "pageSize": int, "count": int, "hasMore": bool}}


def v3_page(key: str, record: object, included: object = None) -> object:
    page = {key: [record], "meta": META}
    return page if included is None else {**page, "included": included}


PROJECT = {
    "id": int,
    "name": str,
    "status": str,
    "companyId": int,
    "company": rel("companies"),
    "createdAt": ISO,
    "updatedAt": ISO,
    "completedAt": Nullable(ISO),
}
PERSON = {
    "id": int,
    "firstName": str,
    "lastName": str,
    "email": str,
    "updatedAt": ISO,
    "userCost": Optional(int),
}
TASK = {
    "id": int,
    "name": str,
    "tasklistId": int,
    "tasklist": rel("tasklists"),
    "status": Is(("new", "reopened", "completed")),
    "progress": int,
    "estimateMinutes": int,
    "completedAt": Optional(ISO),
    "tagIds": [int],
    "tags": [rel("tags")],
    "updatedAt": ISO,
}
MILESTONE = {
    "id": int,
    "name": str,
    "projectId": int,
    "project": rel("projects"),
    "completed": bool,
    "completedOn": Nullable(ISO),
    "deadline": ISO,
    "tagIds": [int],
    "tags": [rel("tags")],
    "tasklistIds": [int],
    "lastChangedOn": ISO,
    "deletedOn": Nullable(ISO),
    "status": str,
}
TAG = {"id": int, "name": Text(rf"(?!billing:).+|{BILLING_TAG}"), "projectId": Nullable(int)}
TIMELOG = {
    "id": int,
    "description": str,
    "minutes": int,
    "billable": bool,
    "isBillable": bool,
    "hasStartTime": bool,
    "timeLogged": ISO,
    "userId": int,
    "user": rel("users"),
    "projectId": int,
    "project": rel("projects"),
    "taskId": Nullable(int),
    "task": Nullable(rel("tasks")),
    "deleted": bool,
    "deletedAt": Nullable(ISO),
    "createdAt": ISO,
    "updatedAt": ISO,
}
TIME_INCLUDED = {
    "users": KeyedById({"firstName": str, "lastName": str}),
    "projects": KeyedById({"name": str, "company": rel("companies")}),
}
USER_RATE = {
    "user": rel("users"),
    "effectiveRate": int,
    "userProjectRate": int,
    "source": Is(("userprojectrate", "projectrate", "installationrate")),
}

# --- Harvest (vendors/harvest.md) ---------------------------------------------------------

NUMBER = AnyOf((int, float))
HARVEST_REF = {"id": int, "name": str}
HARVEST_ASSIGNMENT = {
    "id": int,
    "is_active": bool,
    "hourly_rate": Nullable(NUMBER),
    "created_at": ISO,
    "updated_at": ISO,
}
HARVEST_TIME_ENTRY = {
    "id": int,
    "spent_date": DATE,
    "user": HARVEST_REF,
    "client": HARVEST_REF,
    "project": HARVEST_REF,
    "task": HARVEST_REF,
    "user_assignment": Optional(HARVEST_ASSIGNMENT),
    "task_assignment": Optional(HARVEST_ASSIGNMENT),
    "hours": NUMBER,
    "hours_without_timer": NUMBER,
    "rounded_hours": NUMBER,
    "notes": Nullable(str),
    "is_locked": bool,
    "is_closed": bool,
    "is_billed": bool,
    "is_running": bool,
    "timer_started_at": Nullable(ISO),
    "invoice": Nullable({"id": int, "number": str}),
    "billable": bool,
    "budgeted": bool,
    "billable_rate": Nullable(NUMBER),
    "cost_rate": Nullable(NUMBER),
    "created_at": ISO,
    "updated_at": ISO,
}
HARVEST_LINKS = {"first": str, "next": Nullable(str), "previous": Nullable(str), "last": str}
HARVEST_TIME_PAGE = {
    "time_entries": [HARVEST_TIME_ENTRY],
    "per_page": int,
    "total_pages": Nullable(int),
    "total_entries": Nullable(int),
    "next_page": Nullable(int),
    "previous_page": Nullable(int),
    "page": Nullable(int),
    "links": HARVEST_LINKS,
}

# --- Stripe (vendors/stripe.md) ------------------------------------------------------------

EVENT = {
    "id": Text(r"evt_\w+"),
    "object": Is(("event",)),
    "api_version": Nullable(str),
    "created": int,
    "livemode": bool,
    "pending_webhooks": int,
    "request": {"id": Nullable(str), "idempotency_key": Nullable(str)},
    "type": str,
    "data": {"object": {"id": str, "object": str}},
}
PAYMENT_INTENT = {
    "id": Text(r"pi_\w+"),
    "object": Is(("payment_intent",)),
    "amount": int,
    "amount_received": int,
    "currency": Text(r"[a-z]{3}"),
    "customer": Nullable(str),
    "status": Is(("succeeded",)),
    "created": int,
    "metadata": AllOf((EachValue(str), {"invoice_number": Optional(Text(r"INV-\d{4}-\d{6}"))})),
}
EVENTS_PAGE = {
    "object": Is(("list",)),
    "url": Is(("/v1/events",)),
    "has_more": bool,
    "data": [
        ByField(
            "type",
            {"payment_intent.succeeded": AllOf((EVENT, {"data": {"object": PAYMENT_INTENT}}))},
            default=EVENT,
        )
    ],
}

PAGE_SPECS: dict[str, object] = {
    "hubspot/deals": search_page(DEAL_PROPERTIES),
    "hubspot/pipelines": PIPELINES_PAGE,
    "hubspot/companies": search_page(COMPANY_PROPERTIES),
    "hubspot/owners": OWNERS_PAGE,
    "hubspot/deal_companies": DEAL_COMPANIES_PAGE,
    "teamwork/projects": v3_page("projects", PROJECT),
    "teamwork/people": v3_page("people", PERSON),
    "teamwork/tasks": v3_page("tasks", TASK),
    "teamwork/milestones": v3_page("milestones", MILESTONE),
    "teamwork/tags": v3_page("tags", TAG),
    "teamwork/time": v3_page("timelogs", TIMELOG, TIME_INCLUDED),
    "teamwork/rates": v3_page("userRates", USER_RATE, {"users": KeyedById(rel("users"))}),
    "harvest/time_entries": HARVEST_TIME_PAGE,
    "stripe/events": EVENTS_PAGE,
}

NOT_IN_SAMPLE = {"harvest/time_entries"}
"""Optional sources the sample company does not use (tests/sql/test_harvest_time.py bills
Harvest time from pages of its own, checked below)."""

FILE_NAMES = {"teamwork/rates": r"project_\d+(_\d+)?\.json"}
"""Rates pages are named by project (the id is only in the request path); all others page_NNNN."""


def _pages() -> list[tuple[Stream, Path]]:
    return [(s, path) for s in STREAMS for path in sorted((SAMPLE_DIR / s.folder).glob("*.json"))]


def _load(path: Path) -> dict[str, object]:
    page = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(page, dict)
    return page


def test_every_stream_has_sample_pages_and_a_spec() -> None:
    assert set(PAGE_SPECS) == {stream.folder for stream in STREAMS}
    empty = [s.folder for s in STREAMS if not list((SAMPLE_DIR / s.folder).glob("*.json"))]
    assert empty == sorted(NOT_IN_SAMPLE)


def test_harvest_test_pages_have_the_vendor_shape() -> None:
    from tests.sql.test_harvest_time import march_entries, page

    assert errors(page(march_entries()), HARVEST_TIME_PAGE) == []


@pytest.mark.parametrize(
    ("stream", "path"), _pages(), ids=lambda item: item.name if isinstance(item, Path) else ""
)
def test_page_has_the_vendor_shape(stream: Stream, path: Path) -> None:
    page = _load(path)
    assert isinstance(page.get(stream.records_key), list), f"no {stream.records_key} array"
    assert errors(page, PAGE_SPECS[stream.folder]) == []
    assert re.fullmatch(FILE_NAMES.get(stream.folder, r"page_\d{4}\.json"), path.name)


def _records(folder: str, key: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in sorted((SAMPLE_DIR / folder).glob("*.json")):
        records += _load(path)[key]  # type: ignore[arg-type]
    return records


def test_deal_stages_belong_to_their_pipeline() -> None:
    """Stage ids are unique within their pipeline only: a deal names both."""
    pipelines = _records("hubspot/pipelines", "results")
    assert [pipeline["id"] for pipeline in pipelines] == ["default", "change_orders"]
    stages = {(p["id"], stage["id"]) for p in pipelines for stage in p["stages"]}
    for pipeline in pipelines:
        orders = [stage["displayOrder"] for stage in pipeline["stages"]]
        assert orders == list(range(len(orders)))
    deals = _records("hubspot/deals", "results")
    assert {(d["properties"]["pipeline"], d["properties"]["dealstage"]) for d in deals} <= stages
    change_orders = [d["properties"] for d in deals if d["properties"]["pipeline"] != "default"]
    assert change_orders and all(p["billing_parent_deal_id"] for p in change_orders)


def test_tags_belong_to_the_project_of_what_they_tag() -> None:
    """Milestone and task tags are project tags; a task's project is its task list's."""
    tags = {tag["id"]: tag for tag in _records("teamwork/tags", "tags")}
    tagged = [
        (m["projectId"], i)
        for m in _records("teamwork/milestones", "milestones")
        for i in m["tagIds"]
    ]
    rate_tags = []
    for path in sorted((SAMPLE_DIR / "teamwork/tasks").glob("*.json")):
        page: dict[str, Any] = _load(path)
        project_of = {int(i): t["projectId"] for i, t in page["included"]["tasklists"].items()}
        for task in page["tasks"]:
            assert task["tagIds"] == [ref["id"] for ref in task["tags"]]
            tagged += [(project_of[task["tasklistId"]], i) for i in task["tagIds"]]
            rate_tags += task["tagIds"]
    assert all(tags[i]["projectId"] == project for project, i in tagged)
    assert rate_tags and all(tags[i]["name"].startswith("billing:rate=") for i in rate_tags)


def test_specs_catch_drift() -> None:
    """The specs are not vacuous: a float amount, a missing key, a bool id are all caught."""
    deals = _load(SAMPLE_DIR / "hubspot/deals/page_0001.json")
    broken = copy.deepcopy(deals)
    first = broken["results"][0]  # type: ignore[index]
    first["properties"]["amount"] = 60000.0
    del first["archived"]
    found = errors(broken, PAGE_SPECS["hubspot/deals"])
    assert any(".properties.amount" in e for e in found)
    assert any("missing key 'archived'" in e for e in found)
    time = _load(SAMPLE_DIR / "teamwork/time/page_0001.json")
    time["timelogs"][0]["id"] = True  # type: ignore[index]
    assert errors(time, PAGE_SPECS["teamwork/time"]) != []
