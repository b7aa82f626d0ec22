"""Read a scenario YAML file (data/sample.yml is the example) into a `Scenario`.

Every field is checked as it is read, and a malformed one raises `ScenarioError` naming it by
path, e.g. `deals[2].billing.tax_rate`. Unknown keys are errors too, so a typo does not
silently drop a field from the rendered pages.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar

import yaml

from billflow.generator.clock import parse_day, parse_timestamp
from billflow.generator.hubspot import COMPANY_ADDRESS, DEFAULT_PIPELINE, PIPELINES
from billflow.generator.model import (
    Company,
    Deal,
    Dispute,
    Milestone,
    OtherEvent,
    Owner,
    PageSize,
    Payment,
    Person,
    Project,
    Rate,
    Refund,
    Scenario,
    ScenarioError,
    Tag,
    Task,
    TimeEntry,
)
from billflow.money import to_minor

T = TypeVar("T")

_BILLING_KEY = re.compile(r"[a-z][a-z0-9_]*")


def load_scenario(path: Path) -> Scenario:
    """The scenario in `path`; ScenarioError naming the field when one is malformed."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextDatesLoader)
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path}: not valid YAML: {error}") from error
    try:
        return _scenario(_Fields.of(document, ""))
    except ScenarioError as error:
        raise ScenarioError(f"{path}: {error}") from error


class _TextDatesLoader(yaml.SafeLoader):
    """YAML without implicit dates: `2026-13-01` stays text, so the error names its field."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# --- value parsers: each raises ValueError with what it expected --------------------------


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected non-empty text, got {value!r}")
    return value


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _positive(value: object) -> int:
    number = _integer(value)
    if number <= 0:
        raise ValueError(f"expected a positive integer, got {number}")
    return number


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _property(value: object) -> str:
    """A HubSpot property value: text, or an integer written without quotes."""
    if isinstance(value, float):
        raise ValueError(f"quote decimals so they stay exact, e.g. {str(value)!r}")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def _decimal(value: object) -> Decimal:
    text = _property(value)
    try:
        number = Decimal(text)
    except InvalidOperation as error:
        raise ValueError(f"expected a decimal string, got {text!r}") from error
    if not number.is_finite():
        raise ValueError(f"expected a finite decimal, got {text!r}")
    return number


def _id_text(value: object) -> str:
    """A HubSpot id: YAML may read an unquoted "9001" as an int; ids are text either way."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def _int_list(value: object) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of integers, got {value!r}")
    return tuple(_integer(item) for item in value)


def _page_size(value: object) -> PageSize:
    if isinstance(value, Mapping):
        fields = _Fields.of(value, "")
        size = PageSize(
            fields.take("hubspot", _positive),
            fields.take("teamwork", _positive),
            fields.take("stripe", _positive),
        )
        fields.done()
        return size
    return PageSize.uniform(_positive(value))


# --- field access with paths in the errors -------------------------------------------------

_MISSING = object()


@dataclass
class _Fields:
    """One YAML mapping, read field by field; errors carry the mapping's path."""

    raw: Mapping[object, object]
    path: str
    seen: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, value: object, path: str) -> _Fields:
        if not isinstance(value, Mapping):
            raise ScenarioError(f"{path or 'the document'}: expected a mapping")
        return cls(value, path)

    def _lookup(self, key: str) -> object:
        self.seen.add(key)
        return self.raw.get(key, _MISSING)

    def take(self, key: str, parse: Callable[[object], T]) -> T:
        value = self._lookup(key)
        if value is _MISSING or value is None:
            raise ScenarioError(f"{self._name(key)}: required")
        return self._parse(key, value, parse)

    def maybe(self, key: str, parse: Callable[[object], T], default: T) -> T:
        value = self._lookup(key)
        if value is _MISSING or value is None:
            return default
        return self._parse(key, value, parse)

    def nested(self, key: str) -> _Fields | None:
        """The mapping under `key`, or None when it is absent."""
        value = self._lookup(key)
        if value is _MISSING or value is None:
            return None
        return _Fields.of(value, self._name(key))

    def names(self) -> list[str]:
        return [str(key) for key in self.raw]

    def items(self, key: str) -> list[_Fields]:
        """The list under `key` (absent is empty), each item a mapping."""
        value = self._lookup(key)
        if value is _MISSING or value is None:
            return []
        if not isinstance(value, list):
            raise ScenarioError(f"{self._name(key)}: expected a list")
        name = self._name(key)
        return [_Fields.of(item, f"{name}[{index}]") for index, item in enumerate(value)]

    def done(self) -> None:
        unknown = sorted(str(key) for key in self.raw if key not in self.seen)
        if unknown:
            raise ScenarioError(f"{self.path or 'top level'}: unknown field {unknown[0]!r}")

    def _parse(self, key: str, value: object, parse: Callable[[object], T]) -> T:
        try:
            return parse(value)
        except (ValueError, TypeError) as error:
            raise ScenarioError(f"{self._name(key)}: {error}") from error

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key


def _each(fields: _Fields, key: str, read: Callable[[_Fields], T]) -> tuple[T, ...]:
    records = []
    for item in fields.items(key):
        records.append(read(item))
        item.done()
    return tuple(records)


# --- records ---------------------------------------------------------------------------------


def _scenario(fields: _Fields) -> Scenario:
    tasks = _each(fields, "tasks", _task)
    task_names = {task.id: task.name for task in tasks}
    scenario = Scenario(
        page_size=fields.take("page_size", _page_size),
        owners=_each(fields, "owners", _owner),
        companies=_each(fields, "companies", _company),
        people=_each(fields, "people", _person),
        projects=_each(fields, "projects", _project),
        deals=_each(fields, "deals", _deal),
        rates=_each(fields, "rates", _rate),
        tasks=tasks,
        tags=_each(fields, "tags", _tag),
        milestones=_each(fields, "milestones", _milestone),
        time_entries=_each(fields, "time_entries", lambda item: _time_entry(item, task_names)),
        payments=_each(fields, "payments", _payment),
        refunds=_each(fields, "refunds", _refund),
        disputes=_each(fields, "disputes", _dispute),
        other_events=_each(fields, "other_events", _other_event),
    )
    fields.done()
    return scenario


def _owner(fields: _Fields) -> Owner:
    return Owner(
        id=fields.take("id", _id_text),
        first_name=fields.take("first_name", _text),
        last_name=fields.take("last_name", _text),
        email=fields.take("email", _text),
    )


def _company(fields: _Fields) -> Company:
    address = {key: fields.maybe(key, _text, None) for key in COMPANY_ADDRESS}
    return Company(
        id=fields.take("id", _id_text),
        name=fields.take("name", _text),
        requires_po=fields.maybe("requires_po", _boolean, False),
        billing_email=fields.maybe("billing_email", _text, None),
        **address,
    )


def _person(fields: _Fields) -> Person:
    first = fields.take("first_name", _text)
    last = fields.take("last_name", _text)
    default_email = f"{first}.{last}@example.com".lower().replace(" ", "")
    return Person(
        id=fields.take("id", _integer),
        first_name=first,
        last_name=last,
        email=fields.maybe("email", _text, default_email),
        cost_rate=fields.maybe("cost_rate", _integer, None),
    )


def _project(fields: _Fields) -> Project:
    return Project(
        id=fields.take("id", _integer),
        name=fields.take("name", _text),
        company_id=fields.take("company_id", _integer),
        status=fields.maybe("status", _text, "active"),
        completed=fields.maybe("completed", parse_timestamp, None),
    )


def _deal(fields: _Fields) -> Deal:
    pipeline = fields.maybe("pipeline", _pipeline, DEFAULT_PIPELINE)
    return Deal(
        id=fields.take("id", _id_text),
        name=fields.take("name", _text),
        company_id=fields.maybe("company_id", _id_text, None),
        owner_id=fields.maybe("owner_id", _id_text, None),
        stage=fields.take("stage", functools.partial(_stage, pipeline=pipeline)),
        amount=fields.maybe("amount", _property, None),
        currency=fields.maybe("currency", _text, None),
        created=fields.take("created", parse_timestamp),
        billing=_billing(fields.nested("billing")),
        close_date=fields.maybe("close_date", parse_timestamp, None),
        pipeline=pipeline,
    )


def _billing(fields: _Fields | None) -> dict[str, str]:
    """Contract terms: any property name, each value a string as HubSpot holds it."""
    if fields is None:
        return {}
    for key in fields.names():
        if not _BILLING_KEY.fullmatch(key):
            raise ScenarioError(f"{fields.path}: {key!r} is not a property name (a-z, 0-9, _)")
    return {key: fields.take(key, _property) for key in fields.names()}


_STAGE_IDS = {pipeline.id: {stage.id for stage in pipeline.stages} for pipeline in PIPELINES}


def _pipeline(value: object) -> str:
    pipeline = _text(value)
    if pipeline not in _STAGE_IDS:
        raise ValueError(f"{pipeline!r} is not a pipeline; expected one of {sorted(_STAGE_IDS)}")
    return pipeline


def _stage(value: object, *, pipeline: str) -> str:
    stage = _text(value)
    if stage not in _STAGE_IDS[pipeline]:
        raise ValueError(f"{stage!r} is not a stage of the {pipeline} pipeline")
    return stage


def _rate(fields: _Fields) -> Rate:
    return Rate(
        project_id=fields.take("project_id", _integer),
        person_id=fields.take("person_id", _integer),
        rate=fields.take("rate", _integer),
    )


def _task(fields: _Fields) -> Task:
    return Task(
        id=fields.take("id", _integer),
        project_id=fields.take("project_id", _integer),
        name=fields.take("name", _text),
        tasklist_id=fields.take("tasklist_id", _integer),
        estimate_minutes=fields.maybe("estimate_minutes", _integer, 0),
        completed=fields.maybe("completed", parse_timestamp, None),
        tag_ids=fields.maybe("tag_ids", _int_list, ()),
    )


def _tag(fields: _Fields) -> Tag:
    return Tag(
        id=fields.take("id", _integer),
        name=fields.take("name", _text),
        project_id=fields.maybe("project_id", _integer, None),
    )


def _milestone(fields: _Fields) -> Milestone:
    return Milestone(
        id=fields.take("id", _integer),
        project_id=fields.take("project_id", _integer),
        name=fields.take("name", _text),
        deadline=fields.take("deadline", parse_timestamp),
        completed=fields.maybe("completed", parse_timestamp, None),
        tag_ids=fields.maybe("tag_ids", _int_list, ()),
        tasklist_ids=fields.maybe("tasklist_ids", _int_list, ()),
    )


def _time_entry(fields: _Fields, task_names: Mapping[int, str]) -> TimeEntry:
    day = fields.maybe("date", parse_day, None)
    start = fields.maybe("at", parse_timestamp, None)
    if (day is None) == (start is None):
        raise ScenarioError(f"{fields.path}: give exactly one of date (a day) or at (a start)")
    task_id = fields.maybe("task_id", _integer, None)
    default_description = (
        "Project work" if task_id is None else task_names.get(task_id, "Project work")
    )
    return TimeEntry(
        id=fields.take("id", _integer),
        project_id=fields.take("project_id", _integer),
        person_id=fields.take("person_id", _integer),
        task_id=task_id,
        date=day,
        at=start,
        minutes=fields.take("minutes", _integer),
        billable=fields.maybe("billable", _boolean, True),
        description=fields.maybe("description", _text, default_description),
        updated=fields.maybe("updated", parse_timestamp, None),
        created=fields.maybe("created", parse_timestamp, None),
        deleted=fields.maybe("deleted", _boolean, False),
    )


def _payment(fields: _Fields) -> Payment:
    currency = fields.take("currency", _text)
    amount = fields.take("amount", _decimal)
    try:
        to_minor(amount, currency)
    except (KeyError, ValueError) as error:
        raise ScenarioError(f"{fields.path}.amount: {amount} {currency}: {error}") from error
    return Payment(
        event_id=fields.take("event_id", _text),
        payment_intent=fields.take("payment_intent", _text),
        at=fields.take("at", parse_timestamp),
        amount=amount,
        currency=currency,
        customer=fields.maybe("customer", _text, None),
        invoice_number=fields.maybe("invoice_number", _text, None),
        contract_code=fields.maybe("contract_code", _text, None),
    )


def _refund(fields: _Fields) -> Refund:
    return Refund(
        event_id=fields.take("event_id", _text),
        payment_intent=fields.take("payment_intent", _text),
        at=fields.take("at", parse_timestamp),
        refunded_to_date=fields.take("refunded_to_date", _decimal),
        currency=fields.take("currency", _text),
        amount=fields.take("amount", _decimal),
    )


def _dispute(fields: _Fields) -> Dispute:
    return Dispute(
        event_id=fields.take("event_id", _text),
        type=fields.take("type", _text),
        dispute_id=fields.take("dispute_id", _text),
        payment_intent=fields.take("payment_intent", _text),
        at=fields.take("at", parse_timestamp),
        amount=fields.take("amount", _decimal),
        currency=fields.take("currency", _text),
        status=fields.take("status", _text),
        reason=fields.maybe("reason", _text, "general"),
    )


def _other_event(fields: _Fields) -> OtherEvent:
    return OtherEvent(
        event_id=fields.take("event_id", _text),
        type=fields.take("type", _text),
        at=fields.take("at", parse_timestamp),
        object_id=fields.take("object_id", _text),
    )
