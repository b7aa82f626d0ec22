"""Harvest API v2 over HTTP, the second timesheet source: each Harvest stream updated since
its bookmark (`updated_since`), following `links.next` (Harvest's cursor links; never built by
hand). Harvest has no deletion feed (docs/sources.md). docs/connectors.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.http import HttpClient, RefusedError
from connectors.live import iso_z, newest, parse_time, window_start
from connectors.pages import PageSink
from connectors.streams import Stream, streams_of

PER_PAGE = 2000
CURSOR_REFUSALS = frozenset({400, 404, 410, 422})


@dataclass
class HarvestSource:
    client: HttpClient
    overlap_minutes: int
    per_page: int = PER_PAGE

    def pull(self, bookmarks: Mapping[str, str], sink: PageSink) -> dict[str, str]:
        moved: dict[str, str] = {}
        for stream in streams_of("harvest"):
            mark = self._stream(stream, bookmarks.get(stream.key), sink)
            if mark:
                moved[stream.key] = mark
        return moved

    def _stream(self, stream: Stream, bookmark: str | None, sink: PageSink) -> str | None:
        """Every record updated since the bookmark less the overlap; a cursor link Harvest
        no longer accepts starts again from the newest updated time fetched (which moved on,
        or the pull stops with the refusal)."""
        start = window_start(bookmark, self.overlap_minutes)
        since = iso_z(start) if start else None
        mark = bookmark
        restarted_at: str | None = None
        while True:
            try:
                for page in self._pages(stream, since):
                    sink.write(stream, page)
                    records: list[dict[str, Any]] = page.get(stream.records_key) or []
                    mark = newest((r.get("updated_at") for r in records), mark)
                return mark
            except RefusedError as refused:
                if refused.status not in CURSOR_REFUSALS or not mark or mark == restarted_at:
                    raise
                restarted_at = mark
                since = iso_z(parse_time(mark))

    def _pages(self, stream: Stream, since: str | None) -> Any:
        params: dict[str, str] = {"per_page": str(self.per_page)}
        if since:
            params["updated_since"] = since
        page = self.client.get_json(stream.path, params=params)
        while True:
            yield page
            following = (page.get("links") or {}).get("next")
            if not following:
                return
            page = self.client.get_json(following)
