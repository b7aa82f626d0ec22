"""HubSpot CRM v3 over HTTP: deals and companies by search on `hs_lastmodifieddate` from the
bookmark, archived deals, pipelines, owners and the deals' company associations.

The search API returns at most 10,000 results per query (asking past that is HTTP 400). A
pull that reaches the cap starts a new query from the last modified time it saw; when the
whole capped window shares one modified time (a bulk update), it walks that instant by
`hs_object_id` instead, then goes on after it. docs/connectors.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billflow.errors import PermanentSourceError
from connectors.http import HttpClient, RefusedError
from connectors.live import newest, parse_time, window_start
from connectors.pages import PageSink
from connectors.streams import Stream, streams_of

SEARCH_CAP = 10_000
PAGE_LIMIT = 100
MODIFIED = "hs_lastmodifieddate"
CURSOR_REFUSALS = frozenset({400, 404, 410})

DEAL_PROPERTIES = (
    "amount",
    "billing_billed_pct_tolerance",
    "billing_contract_code",
    "billing_cycle",
    "billing_effective_date",
    "billing_end_date",
    "billing_hours_cap",
    "billing_hours_estimate",
    "billing_hours_tolerance_minutes",
    "billing_late_edit_review_pct",
    "billing_late_fee_grace_days",
    "billing_late_fee_pct",
    "billing_model",
    "billing_over_estimate_tolerance_pct",
    "billing_overage_rate",
    "billing_overage_review_pct",
    "billing_parent_deal_id",
    "billing_payment_schedule",
    "billing_po_number",
    "billing_project_id",
    "billing_retainer_fee",
    "billing_retainer_fee_changes",
    "billing_retainer_hours",
    "billing_signed_date",
    "billing_tax_rate",
    "billing_terms_days",
    "closedate",
    "createdate",
    "deal_currency_code",
    "dealname",
    "dealstage",
    "hs_lastmodifieddate",
    "hs_object_id",
    "hubspot_owner_id",
    "pipeline",
)
COMPANY_PROPERTIES = (
    "address",
    "billing_email",
    "billing_requires_po",
    "city",
    "country",
    "hs_lastmodifieddate",
    "name",
    "state",
    "zip",
)


@dataclass
class Window:
    """The search query of one step: modified after `lower` (inclusive or not), up to the
    pull's start; or, `tied`, the one instant `lower` walked by object id after `after_id`."""

    lower: int | None
    inclusive: bool = True
    tied: bool = False
    after_id: int = 0

    def filters(self, upper: int) -> list[dict[str, str]]:
        if self.tied:
            return [
                {"propertyName": MODIFIED, "operator": "EQ", "value": str(self.lower)},
                {"propertyName": "hs_object_id", "operator": "GT", "value": str(self.after_id)},
            ]
        found = [{"propertyName": MODIFIED, "operator": "LTE", "value": str(upper)}]
        if self.lower is not None:
            operator = "GTE" if self.inclusive else "GT"
            found.append({"propertyName": MODIFIED, "operator": operator, "value": str(self.lower)})
        return found

    def sort(self) -> dict[str, str]:
        return {"propertyName": "hs_object_id" if self.tied else MODIFIED, "direction": "ASCENDING"}


@dataclass
class HubSpotSource:
    client: HttpClient
    overlap_minutes: int
    started: datetime
    search_cap: int = SEARCH_CAP
    page_limit: int = PAGE_LIMIT

    def pull(self, bookmarks: Mapping[str, str], sink: PageSink) -> dict[str, str]:
        moved: dict[str, str] = {}
        deal_ids: list[str] = []
        for stream in streams_of("hubspot"):
            if stream.name in ("deals", "companies"):
                properties = DEAL_PROPERTIES if stream.name == "deals" else COMPANY_PROPERTIES
                ids, mark = self.search(stream, properties, bookmarks.get(stream.key), sink)
                if mark:
                    moved[stream.key] = mark
                if stream.name == "deals":
                    deal_ids = ids + self._list(
                        stream, "/crm/v3/objects/deals", sink, archived=True
                    )
            elif stream.name == "pipelines":
                sink.write(stream, self.client.get_json("/crm/v3/pipelines/deals"))
            elif stream.name == "owners":
                self._list(stream, "/crm/v3/owners/", sink)
            elif stream.name == "deal_companies":
                self._associations(stream, deal_ids, sink)
        return moved

    def search(
        self, stream: Stream, properties: tuple[str, ...], bookmark: str | None, sink: PageSink
    ) -> tuple[list[str], str | None]:
        """Every record modified since the bookmark less the overlap, up to the pull's start;
        returns their ids and the newest modified time seen."""
        start = window_start(bookmark, self.overlap_minutes)
        window = Window(_ms(start) if start else None)
        upper = _ms(self.started)
        ids: list[str] = []
        mark = bookmark
        while True:
            records, capped = self._query(stream, window, upper, properties, sink)
            ids += [str(record["id"]) for record in records]
            mark = newest((_modified(record) for record in records), mark)
            if not capped:
                if not window.tied:
                    return list(dict.fromkeys(ids)), mark
                window = Window(window.lower, inclusive=False)
            elif window.tied:
                window.after_id = int(records[-1]["id"])
            elif _modified_ms(records[0]) == _modified_ms(records[-1]):
                window = Window(_modified_ms(records[0]), tied=True)
            else:
                window = Window(_modified_ms(records[-1]))

    def _query(
        self,
        stream: Stream,
        window: Window,
        upper: int,
        properties: tuple[str, ...],
        sink: PageSink,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Page one query; capped when another page would pass the search cap."""
        path = f"/crm/v3/objects/{stream.name}/search"
        body: dict[str, Any] = {
            "filterGroups": [{"filters": window.filters(upper)}],
            "sorts": [window.sort()],
            "properties": list(properties),
            "limit": self.page_limit,
        }
        records: list[dict[str, Any]] = []
        while True:
            try:
                page = self.client.post_json(path, body)
            except RefusedError as refused:
                if "after" not in body or refused.status not in CURSOR_REFUSALS or not records:
                    raise
                return records, True  # an expired cursor: go on from the last modified time
            sink.write(stream, page)
            records += page.get("results") or []
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return records, False
            if len(records) + self.page_limit > self.search_cap:
                return records, bool(records)
            body["after"] = after

    def _list(
        self, stream: Stream, path: str, sink: PageSink, *, archived: bool = False
    ) -> list[str]:
        """A cursor-paged list (owners; archived deals, which search never returns); an
        expired cursor starts the list again, once."""
        params: dict[str, Any] = {"limit": self.page_limit}
        if archived:
            params |= {"archived": "true", "properties": ",".join(DEAL_PROPERTIES)}
        for attempt in (1, 2):
            ids: list[str] = []
            try:
                page = self.client.get_json(path, params=params)
                while True:
                    sink.write(stream, page)
                    ids += [str(record["id"]) for record in page.get("results") or []]
                    after = ((page.get("paging") or {}).get("next") or {}).get("after")
                    if not after:
                        return ids
                    page = self.client.get_json(path, params=params | {"after": after})
            except RefusedError as refused:
                if refused.status not in CURSOR_REFUSALS or attempt == 2:
                    raise
        raise PermanentSourceError(f"hubspot: {path} could not be listed")

    def _associations(self, stream: Stream, deal_ids: list[str], sink: PageSink) -> None:
        path = "/crm/v4/associations/deals/companies/batch/read"
        for first in range(0, len(deal_ids), self.page_limit):
            chunk = deal_ids[first : first + self.page_limit]
            body = {"inputs": [{"id": deal_id} for deal_id in chunk]}
            sink.write(stream, self.client.post_json(path, body))


def _modified(record: Mapping[str, Any]) -> str | None:
    properties = record.get("properties") or {}
    value = properties.get(MODIFIED) or record.get("updatedAt")
    return str(value) if value else None


def _modified_ms(record: Mapping[str, Any]) -> int:
    value = _modified(record)
    if value is None:
        raise PermanentSourceError(f"hubspot: record {record.get('id')} has no {MODIFIED}")
    return _ms(parse_time(value))


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
