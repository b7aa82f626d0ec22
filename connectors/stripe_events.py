"""Stripe's catch-up pull: `GET /v1/events` created since the bookmark less the overlap, of the
types billflow reads, newest first, paged by `starting_after`. The webhook receiver's event
files in the landing folder are read with them; both land as one event log, each event once.
docs/connectors.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.base import Page
from connectors.http import HttpClient, RefusedError
from connectors.live import newest, parse_time, window_start
from connectors.pages import PageSink
from connectors.streams import STREAMS

EVENT_TYPES = (
    "payment_intent.succeeded",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
)
LIMIT = 100
EVENTS = next(stream for stream in STREAMS if stream.key == "stripe.events")


@dataclass
class StripeSource:
    client: HttpClient | None
    overlap_minutes: int
    landing_dir: Path
    limit: int = LIMIT

    def pull(self, bookmarks: Mapping[str, str], sink: PageSink) -> dict[str, str]:
        """Webhook-delivered events first, then (with an API key) the catch-up pages."""
        folder = self.landing_dir / EVENTS.folder
        delivered = sorted(folder.glob("*.json")) if folder.is_dir() else []
        sink.pages.extend(Page(EVENTS, path) for path in delivered)
        if self.client is None:
            return {}
        mark = self._events(bookmarks.get(EVENTS.key), sink)
        return {EVENTS.key: mark} if mark else {}

    def _events(self, bookmark: str | None, sink: PageSink) -> str | None:
        start = window_start(bookmark, self.overlap_minutes)
        params: dict[str, Any] = {"types[]": list(EVENT_TYPES), "limit": str(self.limit)}
        if start:
            params["created[gte]"] = str(int(start.timestamp()))
        mark = bookmark
        oldest: int | None = None
        while True:
            try:
                page = self.client.get_json("/v1/events", params=params)  # type: ignore[union-attr]
            except RefusedError as refused:
                if "starting_after" not in params or refused.status not in (400, 404):
                    raise
                if params.get("created[lte]") == str(oldest):
                    raise  # refused again at the same place: nothing to go on from
                params.pop("starting_after")  # an event gone since: go on below the oldest seen
                params["created[lte]"] = str(oldest)
                continue
            sink.write(EVENTS, page)
            events: list[dict[str, Any]] = page.get("data") or []
            mark = newest((str(event["created"]) for event in events), mark)
            if events:
                created = min(int(event["created"]) for event in events)
                oldest = created if oldest is None else min(oldest, created)
            if not page.get("has_more") or not events:
                return _iso(mark) if mark else None
            params["starting_after"] = events[-1]["id"]


def _iso(mark: str) -> str:
    """Bookmarks are times; Stripe's `created` is Unix seconds."""
    return parse_time(mark).strftime("%Y-%m-%dT%H:%M:%SZ")
