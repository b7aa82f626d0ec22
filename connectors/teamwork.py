"""Teamwork.com (Projects API v3) over HTTP: time entries, tasks and milestones updated since
the bookmark (deleted ones included, marked as Teamwork marks them); projects, people, tags
and each project's people rates in full, as they are small and carry no reliable updated time.
docs/connectors.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.http import HttpClient
from connectors.live import iso_z, newest, window_start
from connectors.pages import PageSink
from connectors.streams import Stream, streams_of

PAGE_SIZE = 500
INCREMENTAL: dict[str, tuple[str, ...]] = {
    "time": ("updatedAt", "createdAt"),
    "tasks": ("updatedAt", "createdAt"),
    "milestones": ("lastChangedOn", "createdOn"),
}
PARAMS: dict[str, dict[str, str]] = {
    "time": {
        "showDeleted": "true",
        "includeArchivedProjects": "true",
        "orderBy": "dateupdated",
        "orderMode": "asc",
    },
    "tasks": {"includeCompletedTasks": "true", "showDeleted": "true"},
    "milestones": {"showDeleted": "true"},
    "projects": {"includeArchivedProjects": "true"},
}


@dataclass
class TeamworkSource:
    client: HttpClient
    overlap_minutes: int
    page_size: int = PAGE_SIZE

    def pull(self, bookmarks: Mapping[str, str], sink: PageSink) -> dict[str, str]:
        moved: dict[str, str] = {}
        project_ids: list[str] = []
        for stream in streams_of("teamwork"):
            if stream.name == "rates":
                for project_id in project_ids:
                    path = f"/projects/api/v3/rates/projects/{project_id}/users"
                    self._pages(stream, path, {}, sink, name=f"project_{project_id}")
                continue
            params = dict(PARAMS.get(stream.name, {}))
            fields = INCREMENTAL.get(stream.name)
            start = window_start(bookmarks.get(stream.key), self.overlap_minutes)
            if fields and start:
                params["updatedAfter"] = iso_z(start)
            records = self._pages(stream, stream.path, params, sink)
            if fields:
                times = (next((r.get(f) for f in fields if r.get(f)), None) for r in records)
                mark = newest(times, bookmarks.get(stream.key))
                if mark:
                    moved[stream.key] = mark
            if stream.name == "projects":
                project_ids = [str(r["id"]) for r in records if r.get("status") != "deleted"]
        return moved

    def _pages(
        self,
        stream: Stream,
        path: str,
        params: dict[str, str],
        sink: PageSink,
        name: str | None = None,
    ) -> list[dict[str, Any]]:
        """Pages 1, 2, ... while `meta.page.hasMore`; returns their records."""
        records: list[dict[str, Any]] = []
        number = 1
        while True:
            query = params | {"page": str(number), "pageSize": str(self.page_size)}
            page = self.client.get_json(path, params=query)
            suffix = "" if number == 1 else f"_p{number}"
            sink.write(stream, page, name=f"{name}{suffix}" if name else None)
            records += page.get(stream.records_key) or []
            if not ((page.get("meta") or {}).get("page") or {}).get("hasMore"):
                return records
            number += 1
