"""HubSpot CRM pages (../shared/vendors/hubspot.md): deals and companies as search responses,
the deal pipelines (sales, then change orders), owners, and deal-to-company associations as
v4 batch reads.

Every property value is a string or null, as HubSpot sends it; properties are in HubSpot's
alphabetical order, and a property requested for any deal is present (null) on every deal.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TypeVar

from billflow.generator.clock import hubspot_ts
from billflow.generator.model import Company, Deal, Owner, Scenario
from billflow.generator.pages import Json, Page, page_name

R = TypeVar("R")


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    probability: str
    closed: bool


STAGES: tuple[Stage, ...] = (
    Stage("appointmentscheduled", "Appointment Scheduled", "0.2", closed=False),
    Stage("qualifiedtobuy", "Qualified To Buy", "0.4", closed=False),
    Stage("presentationscheduled", "Presentation Scheduled", "0.6", closed=False),
    Stage("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", closed=False),
    Stage("contractsent", "Contract Sent", "0.9", closed=False),
    Stage("closedwon", "Closed Won", "1.0", closed=True),
    Stage("closedlost", "Closed Lost", "0.0", closed=True),
)
"""The default (sales) pipeline's stages, in display order."""

CHANGE_ORDER_STAGES: tuple[Stage, ...] = (
    Stage("co_requested", "Requested", "0.5", closed=False),
    Stage("co_approved", "Approved", "1.0", closed=True),
    Stage("co_rejected", "Rejected", "0.0", closed=True),
)
"""Change orders are approved when closed-won (docs/sources.md, *Change orders*)."""


@dataclass(frozen=True)
class Pipeline:
    id: str
    label: str
    stages: tuple[Stage, ...]


DEFAULT_PIPELINE = "default"
CHANGE_ORDER_PIPELINE = "change_orders"
PIPELINES: tuple[Pipeline, ...] = (
    Pipeline(DEFAULT_PIPELINE, "Sales Pipeline", STAGES),
    Pipeline(CHANGE_ORDER_PIPELINE, "Change orders", CHANGE_ORDER_STAGES),
)
"""Every deal pipeline, in the order the pipelines page lists them."""

COMPANY_ADDRESS = ("address", "city", "state", "zip", "country")
"""The company properties of the invoice's address block, null when the company has none."""


def pages(scenario: Scenario) -> Iterator[Page]:
    size = scenario.page_size.hubspot
    return chain(
        _search_pages("deals", scenario.deals, _deal_renderer(scenario.deals), size),
        [_pipelines_page(scenario)],
        _search_pages("companies", scenario.companies, _company_renderer(scenario), size),
        _owner_pages(scenario, size),
        _association_pages(scenario, size),
    )


def _windows(total: int, size: int) -> Iterator[tuple[int, int, int]]:
    """(page number, start, end) of each page; one empty page when there are no records."""
    for number, start in enumerate(range(0, max(total, 1), size), start=1):
        yield number, start, min(start + size, total)


def _search_pages(
    stream: str, records: Sequence[R], render: Callable[[R], Json], size: int
) -> Iterator[Page]:
    """`POST /crm/v3/objects/<type>/search` pages: `total`, and an offset cursor until the end."""
    total = len(records)
    for number, start, end in _windows(total, size):
        body: Json = {"total": total, "results": [render(r) for r in records[start:end]]}
        if end < total:
            body["paging"] = {"next": {"after": str(end)}}
        yield Page("hubspot", stream, page_name(number), body, end - start)


def _deal_renderer(deals: Sequence[Deal]) -> Callable[[Deal], Json]:
    """Deals as searched for every contract property any deal has (null where it has none)."""
    billing_keys = sorted({key for deal in deals for key in deal.billing})
    return functools.partial(_deal, billing_keys=billing_keys)


def _deal(deal: Deal, *, billing_keys: Sequence[str]) -> Json:
    created = hubspot_ts(deal.created)
    properties: dict[str, str | None] = {
        "amount": deal.amount,
        "closedate": hubspot_ts(deal.close_date) if deal.close_date else None,
        "createdate": created,
        "deal_currency_code": deal.currency,
        "dealname": deal.name,
        "dealstage": deal.stage,
        "hs_lastmodifieddate": created,
        "hs_object_id": deal.id,
        "hubspot_owner_id": deal.owner_id,
        "pipeline": deal.pipeline,
    }
    properties.update({f"billing_{key}": deal.billing.get(key) for key in billing_keys})
    return _object(deal.id, dict(sorted(properties.items())), created)


def _company_renderer(scenario: Scenario) -> Callable[[Company], Json]:
    return functools.partial(_company, created=hubspot_ts(scenario.epoch))


def _company(company: Company, *, created: str) -> Json:
    properties: dict[str, str | None] = {
        "createdate": created,
        "hs_lastmodifieddate": created,
        "hs_object_id": company.id,
        "name": company.name,
        "billing_requires_po": "true" if company.requires_po else None,
        "billing_email": company.billing_email,
    }
    properties.update({key: getattr(company, key) for key in COMPANY_ADDRESS})
    return _object(company.id, dict(sorted(properties.items())), created)


def _object(object_id: str, properties: Mapping[str, str | None], updated: str) -> Json:
    return {
        "id": object_id,
        "properties": properties,
        "createdAt": properties["createdate"],
        "updatedAt": updated,
        "archived": False,
    }


def _pipelines_page(scenario: Scenario) -> Page:
    stamp = hubspot_ts(scenario.epoch)
    results = [_pipeline(pipeline, order, stamp) for order, pipeline in enumerate(PIPELINES)]
    return Page("hubspot", "pipelines", page_name(1), {"results": results}, len(results))


def _pipeline(pipeline: Pipeline, order: int, stamp: str) -> Json:
    return {
        "id": pipeline.id,
        "label": pipeline.label,
        "displayOrder": order,
        "archived": False,
        "createdAt": stamp,
        "updatedAt": stamp,
        "stages": [_stage(stage, n, stamp) for n, stage in enumerate(pipeline.stages)],
    }


def _stage(stage: Stage, order: int, stamp: str) -> Json:
    return {
        "id": stage.id,
        "label": stage.label,
        "displayOrder": order,
        "archived": False,
        "metadata": {
            "isClosed": "true" if stage.closed else "false",
            "probability": stage.probability,
        },
        "createdAt": stamp,
        "updatedAt": stamp,
    }


def _owner_pages(scenario: Scenario, size: int) -> Iterator[Page]:
    """`GET /crm/v3/owners/` pages: a list endpoint, so the cursor comes with a link."""
    stamp = hubspot_ts(scenario.epoch)
    owners = [_owner(owner, stamp) for owner in scenario.owners]
    for number, start, end in _windows(len(owners), size):
        body: Json = {"results": owners[start:end]}
        if end < len(owners):
            link = f"https://api.hubapi.com/crm/v3/owners/?limit={size}&after={end}"
            body["paging"] = {"next": {"after": str(end), "link": link}}
        yield Page("hubspot", "owners", page_name(number), body, end - start)


def _owner(owner: Owner, stamp: str) -> Json:
    return {
        "id": owner.id,
        "email": owner.email,
        "firstName": owner.first_name,
        "lastName": owner.last_name,
        "type": "PERSON",
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
    }


def _association_pages(scenario: Scenario, size: int) -> Iterator[Page]:
    """One v4 batch read per page of deals; a deal without a company is left out of `results`."""
    for number, start, end in _windows(len(scenario.deals), size):
        batch = scenario.deals[start:end]
        results = [_association(deal) for deal in batch if deal.company_id is not None]
        stamp = hubspot_ts(max((deal.created for deal in batch), default=scenario.epoch))
        body: Json = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": stamp,
            "completedAt": stamp,
        }
        yield Page("hubspot", "deal_companies", page_name(number), body, len(results))


def _association(deal: Deal) -> Json:
    company_id = str(deal.company_id)
    to_object: int | str = int(company_id) if company_id.isdigit() else company_id
    types = [
        {"category": "HUBSPOT_DEFINED", "typeId": 5, "label": "Primary"},
        {"category": "HUBSPOT_DEFINED", "typeId": 341, "label": None},
    ]
    return {"from": {"id": deal.id}, "to": [{"toObjectId": to_object, "associationTypes": types}]}
