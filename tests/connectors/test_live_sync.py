"""The live connectors against fake vendor APIs on 127.0.0.1 (real HTTP, vendor-shaped pages,
injected faults): every record lands exactly once, or the sync fails cleanly with the right
message and its bookmarks unmoved."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from billflow import bookmarks
from billflow.config import Settings
from billflow.errors import ConfigError, PermanentSourceError
from billflow.landing import LandingResult, land_pages
from billflow.paths import ROOT
from billflow.warehouse import Warehouse
from connectors.hubspot import HubSpotSource
from connectors.live import http_client, with_credentials
from connectors.pages import PageSink
from connectors.registry import pull_source
from connectors.streams import SOURCES, STREAMS
from tests.fakes.vendor_apis import TOKENS, FakeVendors, Fault, VendorData

SAMPLE = ROOT / "data" / "sample"
STREAM = {stream.key: stream for stream in STREAMS}


@dataclass
class Live:
    fake: FakeVendors
    settings: Settings
    wh: Warehouse

    def sync(self) -> LandingResult:
        """What the nightly's first step does: pull every source from the bookmarks, then
        land the pages and move the bookmarks together."""
        marks = bookmarks.read(self.wh)
        pull = uuid.uuid4().hex[:8]
        started = datetime.now(UTC)
        pulls = [pull_source(s, self.settings, marks, pull, started) for s in SOURCES]
        pages = [page for pulled in pulls for page in pulled.pages]
        moved = {key: mark for pulled in pulls for key, mark in pulled.bookmarks.items()}
        return land_pages(self.wh, pages, pull, bookmarks=moved)

    def versions(self, stream: str | None = None) -> list[tuple[str, str, str]]:
        where = f"where source || '.' || stream = '{stream}'" if stream else ""
        return [
            (str(a), str(b), str(c))
            for a, b, c in self.wh.query(
                f"select source || '.' || stream, record_id, version "
                f"from {self.wh.schemas.raw}.records {where} order by 1, 2, 3"
            )
        ]

    def marks(self) -> dict[str, str]:
        return bookmarks.read(self.wh)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    fake = FakeVendors(VendorData.from_folder(SAMPLE))
    with fake.running():
        settings = Settings(
            warehouse_url=f"duckdb:///{tmp_path / 'live.duckdb'}",
            landing_dir=tmp_path / "landing",
            http_timeout_seconds=1.0,
            **fake.settings(),
        )
        wh = Warehouse(settings)
        wh.init()
        try:
            yield Live(fake, settings, wh)
        finally:
            wh.close()


def recorded_versions(tmp_path: Path) -> list[tuple[str, str, str]]:
    """What the file source lands from the same sample: the expected raw records."""
    settings = Settings(warehouse_url=f"duckdb:///{tmp_path / 'files.duckdb'}")
    wh = Warehouse(settings)
    wh.init()
    try:
        pages = [
            page
            for source in SOURCES
            for page in pull_source(source, settings, {}, "files", datetime.now(UTC)).pages
        ]
        land_pages(wh, pages, "files")
        return [
            (str(a), str(b), str(c))
            for a, b, c in wh.query(
                f"select source || '.' || stream, record_id, version from "
                f"{wh.schemas.raw}.records where not (source = 'stripe' and payload->>'type' "
                "not in ('payment_intent.succeeded', 'charge.refunded') and payload->>'type' "
                "not like 'charge.dispute.%') order by 1, 2, 3"
            )
        ]
    finally:
        wh.close()


def test_a_first_sync_lands_what_the_file_source_lands(live: Live, tmp_path: Path) -> None:
    result = live.sync()
    assert live.versions() == recorded_versions(tmp_path)
    assert sum(result.new_versions.values()) == len(live.versions())
    assert live.marks() == {
        "hubspot.companies": "2025-11-01T10:00:00.000Z",
        "hubspot.deals": "2026-04-01T10:00:00.000Z",
        "stripe.events": "2026-04-16T16:00:00Z",
        "teamwork.milestones": "2026-03-25T19:00:00Z",
        "teamwork.tasks": "2026-04-02T20:00:00Z",
        "teamwork.time": "2026-04-20T18:00:00Z",
    }


def test_the_next_sync_asks_only_for_changes_since_the_bookmark_less_the_overlap(
    live: Live,
) -> None:
    live.sync()
    before = live.versions()
    entry = copy.deepcopy(live.fake.data.records["teamwork.time"]["9101"])
    entry |= {"minutes": entry["minutes"] + 30, "updatedAt": "2026-04-21T09:00:00Z"}
    deleted = copy.deepcopy(live.fake.data.records["teamwork.time"]["9102"])
    deleted |= {
        "deleted": True,
        "deletedAt": "2026-04-21T10:00:00Z",
        "updatedAt": "2026-04-21T10:00:00Z",
    }
    live.fake.data.add_page(STREAM["teamwork.time"], {"timelogs": [entry, deleted]})
    live.fake.requests.clear()

    result = live.sync()

    time_requests = [url for _, url in live.fake.requests if "/time.json" in url]
    assert time_requests and all(
        "updatedAfter=2026-04-20T17%3A50%3A00Z" in u for u in time_requests
    )
    # the two changes, and the entry of 18:00 that the overlap fetches again
    assert result.records["teamwork.time"] == 3
    assert result.new_versions == {"teamwork.time": 2}
    assert len(live.versions()) == len(before) + 2
    assert live.marks()["teamwork.time"] == "2026-04-21T10:00:00Z"


@pytest.mark.parametrize(
    ("path", "fault"),
    [
        ("/crm/v3/objects/deals/search", Fault("/crm/v3/objects/deals/search", 429)),
        ("/projects/api/v3/time.json", Fault("/projects/api/v3/time.json", 500)),
        ("/projects/api/v3/tasks.json", Fault("/projects/api/v3/tasks.json", "timeout")),
        ("/v1/events", Fault("/v1/events", "truncated")),
        ("/crm/v3/owners/", Fault("/crm/v3/owners/", 503, times=2)),
    ],
)
def test_transient_faults_are_retried_and_every_record_lands_once(
    live: Live, tmp_path: Path, path: str, fault: Fault
) -> None:
    live.fake.faults.append(fault)
    live.sync()
    assert fault.times == 0
    assert live.versions() == recorded_versions(tmp_path)
    calls = [url for _, url in live.fake.requests if url.split("?")[0] == path]
    assert len(calls) >= 2


def test_a_401_fails_at_once_naming_the_fix_and_moves_nothing(live: Live) -> None:
    live.sync()
    before, marks = live.versions(), live.marks()
    live.fake.data.add_page(STREAM["teamwork.time"], {"timelogs": [_changed_entry(live)]})
    live.fake.faults.append(Fault("/projects/api/v3/time.json", 401))
    with pytest.raises(PermanentSourceError) as refused:
        live.sync()
    message = str(refused.value)
    assert "HTTP 401" in message and "token is missing, wrong or expired" in message
    assert all(token not in message for token in TOKENS.values())
    assert live.versions() == before and live.marks() == marks
    assert sum(1 for _, url in live.fake.requests if "/time.json" in url) == 2  # no retry


def test_a_crash_between_storing_pages_and_moving_the_bookmark_loses_nothing(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    live.sync()
    before, marks = live.versions(), live.marks()
    live.fake.data.add_page(STREAM["teamwork.time"], {"timelogs": [_changed_entry(live)]})

    def crash(*args: Any) -> None:
        raise RuntimeError("killed after the records were inserted")

    monkeypatch.setattr("billflow.landing.move_bookmarks", crash)
    with pytest.raises(RuntimeError):
        live.sync()
    assert live.versions() == before and live.marks() == marks  # rolled back together
    monkeypatch.undo()

    live.sync()
    after = live.versions()
    assert len(after) == len(before) + 1
    assert len(set(after)) == len(after)
    assert live.marks()["teamwork.time"] == "2026-04-22T08:00:00Z"


def test_an_expired_cursor_goes_on_from_what_was_fetched(live: Live, tmp_path: Path) -> None:
    expired = Fault("/v1/events", "expired_cursor")
    live.fake.faults.append(expired)
    stripe = next(iter(live.fake.data.records["stripe.events"].values()))
    for number in range(150):  # more than a page of 100
        event = copy.deepcopy(stripe) | {
            "id": f"evt_extra_{number:03d}",
            "created": 1776000000 + number,
        }
        live.fake.data.add_page(STREAM["stripe.events"], {"data": [event]})
    live.sync()
    events = live.versions("stripe.events")
    assert len(events) == len({record_id for _, record_id, _ in events})
    assert sum(1 for _, record_id, _ in events if record_id.startswith("evt_extra_")) == 150
    assert expired.times == 0


def test_the_search_cap_with_many_equal_timestamps_fetches_every_deal_once(
    live: Live, tmp_path: Path
) -> None:
    template = next(iter(live.fake.data.records["hubspot.deals"].values()))
    same = "2026-04-10T12:00:00.000Z"
    for number in range(45):
        deal = copy.deepcopy(template)
        deal["id"] = str(50_000 + number)
        stamp = same if number < 30 else f"2026-04-1{number % 3}T0{number % 9}:00:00.000Z"
        deal["properties"] |= {"hs_object_id": deal["id"], "hs_lastmodifieddate": stamp}
        deal["updatedAt"] = stamp
        live.fake.data.add_page(STREAM["hubspot.deals"], {"results": [deal]})
    live.fake.search_cap = 10
    expected = {r["id"] for r in live.fake.data.records["hubspot.deals"].values()}
    headers = {"Authorization": f"Bearer {TOKENS['hubspot']}"}
    client = http_client(live.settings, "hubspot", live.fake.base_url, headers, TOKENS["hubspot"])
    source = HubSpotSource(client, 10, datetime.now(UTC), search_cap=10, page_limit=4)
    sink = PageSink(tmp_path / "landing", "cap")
    ids, mark = source.search(STREAM["hubspot.deals"], ("dealname",), None, sink)
    assert set(ids) == expected and len(ids) == len(expected)
    assert mark == "2026-04-12T08:00:00.000Z"
    offsets = [json.loads(p.path.read_text()).get("paging") for p in sink.pages]
    assert len(sink.pages) > len(expected) / 4  # paged, re-windowed, never past the cap
    assert all(o is None or int(o["next"]["after"]) < 10 for o in offsets)


def test_archived_deals_and_deleted_entries_land_marked(live: Live) -> None:
    deal = copy.deepcopy(next(iter(live.fake.data.records["hubspot.deals"].values())))
    deal |= {"archived": True, "archivedAt": "2026-04-20T00:00:00.000Z"}
    live.fake.data.add_page(STREAM["hubspot.deals"], {"results": [deal]})
    live.sync()
    archived = live.wh.query(
        f"select count(*) from {live.wh.schemas.raw}.records where stream = 'deals' "
        f"and record_id = '{deal['id']}' and payload->>'archived' = 'true'"
    )
    assert archived == [(1,)]


def test_the_live_source_without_a_token_says_what_to_set(live: Live, prefect_server: str) -> None:
    settings = live.settings.model_copy(update={"hubspot_token": None})
    with pytest.raises(ConfigError, match="BILLFLOW_HUBSPOT_TOKEN or a Prefect Secret block"):
        pull_source("hubspot", settings, {}, "x", datetime.now(UTC))


def test_no_token_reaches_a_page_or_a_table(live: Live) -> None:
    live.sync()
    text = "\n".join(
        str(row)
        for row in live.wh.query(f"select page, payload from {live.wh.schemas.raw}.records")
    )
    pages = "\n".join(p.read_text() for p in live.settings.landing_dir.rglob("*.json"))
    for token in TOKENS.values():
        assert token not in text and token not in pages


def _changed_entry(live: Live) -> dict[str, Any]:
    entry = copy.deepcopy(live.fake.data.records["teamwork.time"]["9103"])
    return entry | {"minutes": entry["minutes"] + 15, "updatedAt": "2026-04-22T08:00:00Z"}


def test_a_token_comes_from_a_prefect_secret_block_when_the_environment_has_none(
    live: Live, prefect_server: str
) -> None:
    from prefect.blocks.system import Secret

    Secret(value=TOKENS["hubspot"]).save("billflow-hubspot-token", overwrite=True)
    try:
        settings = live.settings.model_copy(update={"hubspot_token": None})
        pulled = pull_source("hubspot", settings, {}, "block", datetime.now(UTC))
        resolved = with_credentials(settings)
    finally:
        Secret.delete("billflow-hubspot-token")
    assert len(pulled.pages) == 6 and pulled.bookmarks["hubspot.deals"]
    assert resolved.hubspot_token is not None and resolved.hubspot_writes  # write-back on too
    assert resolved.hubspot_token.get_secret_value() == TOKENS["hubspot"]


def harvest_entry(number: int, updated: str) -> dict[str, Any]:
    return {
        "id": 636709300 + number,
        "spent_date": "2026-04-01",
        "user": {"id": 1782959, "name": "Kim Allen"},
        "client": {"id": 5735774, "name": "ABC Corp"},
        "project": {"id": 14307913, "name": "Acme retainer", "code": "ACME"},
        "task": {"id": 8083365, "name": "Development"},
        "hours": 2.11,
        "billable": True,
        "billable_rate": 100.0,
        "is_running": False,
        "created_at": updated,
        "updated_at": updated,
    }


def test_harvest_follows_links_next_through_an_expired_cursor(live: Live, tmp_path: Path) -> None:
    from connectors.harvest import HarvestSource

    stream = STREAM["harvest.time_entries"]
    entries = [harvest_entry(n, f"2026-04-0{1 + n}T12:00:00Z") for n in range(5)]
    live.fake.data.add_page(stream, {"time_entries": entries})
    expired = Fault("/v2/time_entries", "expired_cursor")
    live.fake.faults.append(expired)
    headers = {"Authorization": f"Bearer {TOKENS['harvest']}", "Harvest-Account-Id": "1"}
    client = http_client(live.settings, "harvest", live.fake.base_url, headers, TOKENS["harvest"])
    source = HarvestSource(client, 10, per_page=2)

    sink = PageSink(tmp_path / "landing", "first")
    moved = source.pull({}, sink)
    land_pages(live.wh, sink.pages, "first", bookmarks=moved)
    assert [r for _, r, _ in live.versions("harvest.time_entries")] == [
        str(entry["id"]) for entry in entries
    ]
    assert live.marks() == {"harvest.time_entries": "2026-04-05T12:00:00Z"}
    assert expired.times == 0  # the refused cursor was met, and the pull went on

    live.fake.requests.clear()
    later = harvest_entry(1, "2026-04-09T08:00:00Z") | {"hours": 3.0}
    live.fake.data.add_page(stream, {"time_entries": [later]})
    sink = PageSink(tmp_path / "landing", "second")
    moved = source.pull(live.marks(), sink)
    land_pages(live.wh, sink.pages, "second", bookmarks=moved)
    assert "updated_since=2026-04-05T11%3A50%3A00Z" in live.fake.requests[0][1]
    assert len(live.versions("harvest.time_entries")) == 6
    assert live.marks() == {"harvest.time_entries": "2026-04-09T08:00:00Z"}
