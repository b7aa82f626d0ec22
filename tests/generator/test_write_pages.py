"""write_pages: file names, pagination envelopes and counts, on the sample at page size 2."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from billflow.generator import STREAMS, Scenario, load_scenario, write_pages
from billflow.generator.model import PageSize
from billflow.generator.pages import compact
from billflow.paths import ROOT
from connectors.streams import STREAMS as CONNECTOR_STREAMS

SAMPLE = ROOT / "data" / "sample.yml"


@pytest.fixture(scope="module")
def sample() -> Scenario:
    return dataclasses.replace(load_scenario(SAMPLE), page_size=PageSize.uniform(2))


@pytest.fixture(scope="module")
def out(sample: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pages")
    write_pages(sample, root)
    return root


def _pages(out: Path, folder: str) -> list[dict[str, object]]:
    return [json.loads(path.read_text()) for path in sorted((out / folder).glob("*.json"))]


def test_writes_every_stream_the_connectors_read() -> None:
    assert tuple(stream.folder for stream in CONNECTOR_STREAMS) == STREAMS


def test_counts_records_per_stream(sample: Scenario, tmp_path: Path) -> None:
    counts = write_pages(sample, tmp_path)
    assert counts.keys() == {stream.key for stream in CONNECTOR_STREAMS}
    assert counts["teamwork.time"] == 61
    assert counts["teamwork.rates"] == 14
    assert counts["stripe.events"] == (
        len(sample.payments) + len(sample.refunds) + len(sample.disputes) + len(sample.other_events)
    )
    assert counts["hubspot.pipelines"] == 2


def test_pages_are_numbered_in_name_order(out: Path) -> None:
    names = [path.name for path in sorted((out / "teamwork/time").glob("*.json"))]
    assert names == [f"page_{n:04d}.json" for n in range(1, 32)]


def test_rates_are_one_file_per_project_page(out: Path) -> None:
    names = sorted(path.name for path in (out / "teamwork/rates").glob("*.json"))
    expected = ["project_500.json", "project_500_2.json", "project_502.json", "project_504.json"]
    expected += [f"project_{project}.json" for project in (505, 506, 507, 508, 509, 511, 513)]
    assert names == expected


def test_hubspot_search_pages_carry_total_and_offset_cursor(out: Path) -> None:
    pages = _pages(out, "hubspot/deals")
    assert [page["total"] for page in pages] == [19] * 10
    cursors = [page.get("paging") for page in pages]
    assert cursors == [{"next": {"after": str(after)}} for after in range(2, 19, 2)] + [None]


def test_teamwork_pages_carry_meta_page(out: Path) -> None:
    metas = [page["meta"] for page in _pages(out, "teamwork/tasks")]
    assert [meta["page"] for meta in metas] == [  # type: ignore[index]
        {"pageOffset": n, "pageSize": 2, "count": 15, "hasMore": n < 7} for n in range(8)
    ]


def test_stripe_lists_newest_first(out: Path) -> None:
    pages = _pages(out, "stripe/events")
    created = [event["created"] for page in pages for event in page["data"]]  # type: ignore[attr-defined]
    assert created == sorted(created, reverse=True)
    assert [page["has_more"] for page in pages] == [True] * (len(pages) - 1) + [False]
    assert len(created) == 16  # 12 payments, a refund, 2 dispute events, a charge.succeeded


def test_pipelines_sales_then_change_orders(out: Path) -> None:
    sales, change_orders = _records(out, "hubspot/pipelines", "results").values()
    assert (sales["id"], sales["displayOrder"]) == ("default", 0)
    assert (change_orders["id"], change_orders["label"], change_orders["displayOrder"]) == (
        "change_orders",
        "Change orders",
        1,
    )
    stages = [
        (s["id"], s["displayOrder"], s["metadata"]["probability"], s["metadata"]["isClosed"])
        for s in change_orders["stages"]
    ]
    assert stages == [
        ("co_requested", 0, "0.5", "false"),
        ("co_approved", 1, "1.0", "true"),
        ("co_rejected", 2, "0.0", "true"),
    ]


def _records(out: Path, folder: str, key: str) -> dict[object, dict[str, Any]]:
    """A stream's records by id, across its pages."""
    records: list[dict[str, Any]] = [r for page in _pages(out, folder) for r in page[key]]  # type: ignore[attr-defined]
    return {record["id"]: record for record in records}


def test_deals_carry_their_pipeline_and_every_billing_property(out: Path) -> None:
    deals = _records(out, "hubspot/deals", "results")
    billing = {
        tuple(sorted(k for k in d["properties"] if k.startswith("billing_")))
        for d in deals.values()
    }
    assert len(billing) == 1
    (keys,) = billing
    assert {"billing_cycle", "billing_parent_deal_id", "billing_retainer_fee_changes"} <= set(keys)
    change_order = deals["18414"]["properties"]
    assert change_order["pipeline"] == "change_orders"
    assert change_order["billing_parent_deal_id"] == "18408"
    assert change_order["billing_model"] is None
    assert deals["18401"]["properties"]["pipeline"] == "default"


def test_company_address_properties_are_null_when_absent(out: Path) -> None:
    companies = _records(out, "hubspot/companies", "results")
    address = ("address", "city", "state", "zip", "country")
    northwind, globex, cyberdyne = (companies[i]["properties"] for i in ("9001", "9002", "9009"))
    assert [northwind[k] for k in address] == ["5 Commerce Way", "Seattle", "WA", "98101", "US"]
    assert [globex[k] for k in address] == [None] * 5
    assert [cyberdyne[k] for k in address] == [None, "Sunnyvale", "CA", None, "US"]


def test_teamwork_completion_cost_and_task_tags(out: Path) -> None:
    projects = _records(out, "teamwork/projects", "projects")
    assert projects[507]["completedAt"] == projects[507]["updatedAt"] == "2026-03-31T20:00:00Z"
    assert projects[507]["status"] == "active"
    assert projects[500]["completedAt"] is None
    people = _records(out, "teamwork/people", "people")
    assert people[77]["userCost"] == 6000
    assert "userCost" not in people[81]
    tasks = _records(out, "teamwork/tasks", "tasks")
    assert tasks[3002]["tagIds"] == [35]
    assert tasks[3002]["tags"] == [{"id": 35, "type": "tags"}]
    assert (tasks[3001]["tagIds"], tasks[3001]["tags"]) == ([], [])


def test_time_pages_include_the_users_and_projects_they_name(out: Path) -> None:
    for page in _pages(out, "teamwork/time"):
        logs = page["timelogs"]
        included = page["included"]
        assert isinstance(logs, list) and isinstance(included, dict)
        assert set(included["users"]) == {str(log["userId"]) for log in logs}
        assert set(included["projects"]) == {str(log["projectId"]) for log in logs}


def test_empty_streams_still_get_one_empty_page(tmp_path: Path) -> None:
    counts = write_pages(Scenario(page_size=PageSize.uniform(3)), tmp_path)
    assert counts.pop("hubspot.pipelines") == 2  # the pipelines and their stages always exist
    assert set(counts.values()) == {0}
    assert _pages(tmp_path, "teamwork/time")[0]["timelogs"] == []
    assert not list((tmp_path / "teamwork/rates").glob("*.json"))


def test_stale_pages_are_replaced(sample: Scenario, tmp_path: Path) -> None:
    stale = tmp_path / "teamwork/time/page_0099.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    write_pages(sample, tmp_path)
    assert not stale.exists()


def test_compact_pages_are_canonical_json(sample: Scenario, tmp_path: Path) -> None:
    """Time pages are encoded by hand for speed; they must be exactly what json.dumps writes."""
    entries = list(sample.time_entries)
    entries[0] = dataclasses.replace(entries[0], description='Fix "quoted" \\ path, naïve café')
    write_pages(dataclasses.replace(sample, time_entries=tuple(entries)), tmp_path)
    for path in sorted(tmp_path.rglob("*.json")):
        text = path.read_text(encoding="utf-8").removesuffix("\n")
        assert text == compact(json.loads(text)), path


def test_indent_is_for_reading_only(sample: Scenario, tmp_path: Path) -> None:
    write_pages(sample, tmp_path / "compact")
    write_pages(sample, tmp_path / "indented", indent=2)
    compact = (tmp_path / "compact/hubspot/owners/page_0001.json").read_text()
    indented = (tmp_path / "indented/hubspot/owners/page_0001.json").read_text()
    assert "\n" not in compact.rstrip("\n")
    assert json.loads(compact) == json.loads(indented)
