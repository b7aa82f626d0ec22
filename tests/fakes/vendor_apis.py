"""Fake HubSpot, Teamwork, Harvest and Stripe APIs on 127.0.0.1, speaking real HTTP.

They serve the records of a folder of recorded pages (the file source's format, as
docs/sources.md describes it) the way each vendor serves them: HubSpot's search with its
filters, sort, offset cursor and 10,000-result cap (configurable here), Teamwork's page
numbers and `updatedAfter`, Harvest's cursor links and `updated_since`, Stripe's newest-first
event list. `faults` inject a bad night: 429 with Retry-After, 500, a stall past the client's
timeout, a truncated body, a 401, an expired cursor.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.streams import STREAMS, Stream

TOKENS = {
    "hubspot": "pat-na1-hubspot-secret",
    "teamwork": "tw-api-key-secret",
    "harvest": "harvest-pat-secret",
    "stripe": "rk_test_stripe_secret",
}
UPDATED = {
    "hubspot.deals": ("properties.hs_lastmodifieddate", "updatedAt"),
    "hubspot.companies": ("properties.hs_lastmodifieddate", "updatedAt"),
    "teamwork.time": ("updatedAt", "createdAt"),
    "teamwork.tasks": ("updatedAt", "createdAt"),
    "teamwork.milestones": ("lastChangedOn", "createdOn"),
}


@dataclass
class Fault:
    """Answer `times` requests whose path starts with `path` with `kind`: a status code
    (429, 500, 401, ...), "timeout", "truncated" or "expired_cursor" (only requests that
    carry a cursor)."""

    path: str
    kind: int | str
    times: int = 1
    retry_after: str = "0"


@dataclass
class VendorData:
    """The current records of every stream, later pages overriding earlier ones."""

    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    rates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def from_folder(cls, folder: Path) -> VendorData:
        data = cls()
        for stream in STREAMS:
            for page in sorted((folder / stream.folder).glob("*.json")):
                data.add_page(stream, json.loads(page.read_text(encoding="utf-8")), page.name)
        return data

    def add_page(self, stream: Stream, body: Any, name: str = "") -> None:
        items = body.get(stream.records_key) if stream.records_key in body else [body]
        if stream.key == "teamwork.rates":
            project = name.removeprefix("project_").split(".")[0].split("_")[0]
            self.rates.setdefault(project, []).extend(items)
            return
        table = self.records.setdefault(stream.key, {})
        for record in items:
            table[_record_id(stream, record)] = record

    def of(self, key: str) -> list[dict[str, Any]]:
        return list(self.records.get(key, {}).values())


class FakeVendors:
    """The four APIs on one local port; `base_url` serves every vendor's paths."""

    def __init__(self, data: VendorData, *, search_cap: int = 10_000) -> None:
        self.data = data
        self.search_cap = search_cap
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        self.deal_updates: list[dict[str, Any]] = []
        self.timeout_seconds = 3.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @contextlib.contextmanager
    def running(self) -> Iterator[FakeVendors]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()

    def settings(self) -> dict[str, Any]:
        """The settings that point the live source here."""
        return {
            "source": "live",
            "hubspot_base_url": self.base_url,
            "hubspot_token": TOKENS["hubspot"],
            "teamwork_base_url": self.base_url,
            "teamwork_token": TOKENS["teamwork"],
            "harvest_base_url": self.base_url,
            "harvest_token": TOKENS["harvest"],
            "harvest_account_id": "123456",
            "stripe_base_url": self.base_url,
            "stripe_api_key": TOKENS["stripe"],
        }

    def fault_for(self, path: str, has_cursor: bool) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and path.startswith(fault.path):
                    if fault.kind == "expired_cursor" and not has_cursor:
                        continue
                    fault.times -= 1
                    return fault
        return None

    def answer(self, method: str, url: str, body: Any) -> tuple[int, Any]:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        path = parts.path
        if path.startswith("/crm/"):
            return _hubspot(self, method, path, query, body)
        if path.startswith("/projects/api/v3/"):
            return _teamwork(self.data, path, query)
        if path.startswith("/v2/"):
            return _harvest(self, path, query)
        if path.startswith("/v1/events"):
            return _stripe(self.data, query)
        return 404, {"message": f"no route {path}"}


def vendor_of(path: str) -> str:
    if path.startswith("/crm/"):
        return "hubspot"
    if path.startswith("/projects/"):
        return "teamwork"
    if path.startswith("/v2/"):
        return "harvest"
    return "stripe"


def authorized(vendor: str, header: str) -> bool:
    token = TOKENS[vendor]
    if vendor == "teamwork":
        return header == "Basic " + base64.b64encode(f"{token}:x".encode()).decode()
    return header == f"Bearer {token}"


def _handler(fake: FakeVendors) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve("GET", None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._serve("POST", json.loads(self.rfile.read(length) or b"null"))

        def _serve(self, method: str, body: Any) -> None:
            path = urlsplit(self.path).path
            fake.requests.append((method, self.path))
            vendor = vendor_of(path)
            cursor = any(key in self.path for key in ("after=", "cursor=", "starting_after="))
            cursor = cursor or bool(isinstance(body, dict) and body.get("after"))
            fault = fake.fault_for(path, cursor)
            if fault is not None and self._faulty(fault):
                return
            if not authorized(vendor, self.headers.get("Authorization", "")):
                self._send(401, {"status": "error", "message": "Authentication credentials not "
                                 "found", "category": "INVALID_AUTHENTICATION"})  # fmt: skip
                return
            status, answer = fake.answer(method, self.path, body)
            self._send(status, answer)

        def _faulty(self, fault: Fault) -> bool:
            if fault.kind == "timeout":
                time.sleep(fake.timeout_seconds)
                with contextlib.suppress(OSError):
                    self._send(500, {"message": "too late"})
                return True
            if fault.kind == "truncated":
                raw = b'{"results": [{"id": "1"'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
                return True
            if fault.kind == "expired_cursor":
                self._send(400, {"status": "error", "message": "cursor expired or invalid",
                                 "category": "VALIDATION_ERROR"})  # fmt: skip
                return True
            status = int(fault.kind)
            if status == 401:
                expired = "The OAuth token used to make this call expired"
                self._send(401, {"status": "error", "message": expired})
                return True
            headers = {"Retry-After": fault.retry_after} if status == 429 else {}
            self._send(status, {"status": "error", "message": f"fault {status}"}, headers)
            return True

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def _record_id(stream: Stream, record: dict[str, Any]) -> str:
    if stream.key == "hubspot.deal_companies":
        return str(record["from"]["id"])
    return str(record["id"])


def _field(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _updated(key: str, record: dict[str, Any]) -> datetime | None:
    for name in UPDATED.get(key, ("updatedAt", "updated_at")):
        value = _field(record, name)
        if value:
            return _time(str(value))
    return None


def _time(text: str) -> datetime:
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ms(moment: datetime | None) -> int:
    return int(moment.timestamp() * 1000) if moment else 0


def _one(query: dict[str, list[str]], name: str, default: str = "") -> str:
    return query.get(name, [default])[0]


def _hubspot(
    fake: FakeVendors, method: str, path: str, query: dict[str, list[str]], body: Any
) -> tuple[int, Any]:
    data = fake.data
    if method == "POST" and path.endswith("/search"):
        return _search(fake, path.split("/")[4], body)
    if path == "/crm/v3/pipelines/deals":
        return 200, {"results": data.of("hubspot.pipelines")}
    if path.startswith("/crm/v3/owners"):
        return 200, _cursor_list(data.of("hubspot.owners"), query)
    if path == "/crm/v3/objects/deals":
        archived = _one(query, "archived") == "true"
        deals = [d for d in data.of("hubspot.deals") if bool(d.get("archived")) == archived]
        return 200, _cursor_list(deals, query)
    if method == "POST" and path == "/crm/v3/objects/deals/batch/update":
        fake.deal_updates.extend(body["inputs"])
        return 200, {"status": "COMPLETE", "results": body["inputs"]}
    if path == "/crm/v4/associations/deals/companies/batch/read":
        wanted = {str(item["id"]) for item in body["inputs"]}
        found = [r for r in data.of("hubspot.deal_companies") if str(r["from"]["id"]) in wanted]
        return 200, {"status": "COMPLETE", "results": found}
    return 404, {"status": "error", "message": f"no route {path}", "category": "OBJECT_NOT_FOUND"}


def _search(fake: FakeVendors, object_type: str, body: dict[str, Any]) -> tuple[int, Any]:
    key = f"hubspot.{object_type}"
    limit = int(body.get("limit", 10))
    offset = int(body.get("after") or 0)
    if offset >= fake.search_cap:
        return 400, {"status": "error", "category": "VALIDATION_ERROR",
                     "message": f"search results are limited to {fake.search_cap}"}  # fmt: skip
    records = [r for r in fake.data.of(key) if not r.get("archived")]
    for group in body.get("filterGroups") or []:
        for rule in group["filters"]:
            records = [r for r in records if _matches(key, r, rule)]
    sort = (body.get("sorts") or [{"propertyName": "hs_object_id"}])[0]["propertyName"]
    records.sort(key=lambda r: (_sort_value(key, r, sort), int(r["id"])))
    chunk = records[offset : offset + limit]
    answer: dict[str, Any] = {"total": len(records), "results": chunk}
    if offset + limit < len(records):
        answer["paging"] = {"next": {"after": str(offset + limit)}}
    return 200, answer


def _sort_value(key: str, record: dict[str, Any], name: str) -> int:
    if name == "hs_object_id":
        return int(record["id"])
    return _ms(_updated(key, record))


def _matches(key: str, record: dict[str, Any], rule: dict[str, str]) -> bool:
    value = _sort_value(key, record, rule["propertyName"])
    target = int(rule["value"])
    return {
        "EQ": value == target,
        "GT": value > target,
        "GTE": value >= target,
        "LT": value < target,
        "LTE": value <= target,
    }[rule["operator"]]


def _cursor_list(records: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
    limit = int(_one(query, "limit", "100"))
    after = _one(query, "after")
    offset = int(base64.urlsafe_b64decode(after).decode()) if after else 0
    answer: dict[str, Any] = {"results": records[offset : offset + limit]}
    if offset + limit < len(records):
        token = base64.urlsafe_b64encode(str(offset + limit).encode()).decode()
        answer["paging"] = {"next": {"after": token, "link": f"?after={token}"}}
    return answer


def _teamwork(data: VendorData, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
    if path.startswith("/projects/api/v3/rates/projects/"):
        project = path.split("/")[6]
        return 200, _numbered(data.rates.get(project, []), "userRates", query)
    name = path.removeprefix("/projects/api/v3/").removesuffix(".json")
    stream = next((s for s in STREAMS if s.source == "teamwork" and s.name == name), None)
    if stream is None:
        return 404, {"errors": [{"title": f"no route {path}"}]}
    records = data.of(stream.key)
    since = _one(query, "updatedAfter")
    if since and stream.key in UPDATED:
        records = [r for r in records if (_updated(stream.key, r) or _time(since)) > _time(since)]
    records.sort(
        key=lambda r: (_updated(stream.key, r) or datetime.min.replace(tzinfo=UTC), r["id"])
    )
    return 200, _numbered(records, stream.records_key, query)


def _numbered(records: list[Any], key: str, query: dict[str, list[str]]) -> dict[str, Any]:
    page = int(_one(query, "page", "1"))
    size = int(_one(query, "pageSize", "50"))
    chunk = records[(page - 1) * size : page * size]
    more = page * size < len(records)
    meta = {"pageOffset": page - 1, "pageSize": size, "count": len(records), "hasMore": more}
    return {key: chunk, "meta": {"page": meta}}


def _harvest(fake: FakeVendors, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
    name = path.removeprefix("/v2/")
    stream = next((s for s in STREAMS if s.source == "harvest" and s.name == name), None)
    if stream is None:
        return 404, {"error": "not_found", "error_description": f"no route {path}"}
    cursor = _one(query, "cursor")
    if cursor:
        state = json.loads(base64.urlsafe_b64decode(cursor))
        since, offset = state["since"], state["offset"]
    else:
        since, offset = _one(query, "updated_since"), 0
    per_page = int(_one(query, "per_page", "2000"))
    records = fake.data.of(stream.key)
    if since:
        records = [r for r in records if _time(r["updated_at"]) >= _time(since)]
    records.sort(key=lambda r: (_time(r["updated_at"]), int(r["id"])))
    chunk = records[offset : offset + per_page]
    following = None
    if offset + per_page < len(records):
        token = base64.urlsafe_b64encode(
            json.dumps({"since": since, "offset": offset + per_page}).encode()
        ).decode()
        following = f"{fake.base_url}{path}?cursor={token}&per_page={per_page}&ref=next_cursor"
    return 200, {
        name: chunk,
        "per_page": per_page,
        "total_pages": None,
        "total_entries": len(records),
        "next_page": None,
        "previous_page": None,
        "page": None,
        "links": {"first": None, "next": following, "previous": None, "last": None},
    }


def _stripe(data: VendorData, query: dict[str, list[str]]) -> tuple[int, Any]:
    events = data.of("stripe.events")
    types = set(query.get("types[]", []))
    if types:
        events = [e for e in events if e["type"] in types]
    if "created[gte]" in query:
        events = [e for e in events if e["created"] >= int(_one(query, "created[gte]"))]
    if "created[lte]" in query:
        events = [e for e in events if e["created"] <= int(_one(query, "created[lte]"))]
    events.sort(key=lambda e: (e["created"], e["id"]), reverse=True)
    after = _one(query, "starting_after")
    if after:
        ids = [e["id"] for e in events]
        if after not in ids:
            return 400, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                   "message": f"No such event: '{after}'"}}  # fmt: skip
        events = events[ids.index(after) + 1 :]
    limit = int(_one(query, "limit", "10"))
    return 200, {
        "object": "list",
        "url": "/v1/events",
        "has_more": len(events) > limit,
        "data": events[:limit],
    }


def main() -> None:
    """Serve a folder of recorded pages as the four vendor APIs, for trying the live source
    by hand: `python -m tests.fakes.vendor_apis data/sample`, then set the printed
    variables and run `billflow nightly --source live`."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("folder", type=Path)
    folder = parser.parse_args().folder
    fake = FakeVendors(VendorData.from_folder(folder))
    for name, value in fake.settings().items():
        print(f"export BILLFLOW_{name.upper()}={value}")
    print("# serving until interrupted", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        fake._server.serve_forever()


if __name__ == "__main__":
    main()
