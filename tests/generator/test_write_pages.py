"""write_pages: file names, pagination envelopes and counts, on the sample at page size 2."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

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
    assert counts["teamwork.time"] == 31
    assert counts["teamwork.rates"] == 6
    assert counts["stripe.events"] == 7


def test_pages_are_numbered_in_name_order(out: Path) -> None:
    names = [path.name for path in sorted((out / "teamwork/time").glob("*.json"))]
    assert names == [f"page_{n:04d}.json" for n in range(1, 17)]


def test_rates_are_one_file_per_project_page(out: Path) -> None:
    names = sorted(path.name for path in (out / "teamwork/rates").glob("*.json"))
    expected = ["project_500.json", "project_500_2.json", "project_502.json", "project_504.json"]
    assert names == expected


def test_hubspot_search_pages_carry_total_and_offset_cursor(out: Path) -> None:
    pages = _pages(out, "hubspot/deals")
    assert [page["total"] for page in pages] == [7] * 4
    cursors = [page.get("paging") for page in pages]
    assert cursors == [{"next": {"after": after}} for after in ("2", "4", "6")] + [None]


def test_teamwork_pages_carry_meta_page(out: Path) -> None:
    metas = [page["meta"] for page in _pages(out, "teamwork/tasks")]
    assert [meta["page"] for meta in metas] == [  # type: ignore[index]
        {"pageOffset": n, "pageSize": 2, "count": 5, "hasMore": n < 2} for n in range(3)
    ]


def test_stripe_lists_newest_first(out: Path) -> None:
    pages = _pages(out, "stripe/events")
    created = [event["created"] for page in pages for event in page["data"]]  # type: ignore[attr-defined]
    assert created == sorted(created, reverse=True)
    assert [page["has_more"] for page in pages] == [True, True, True, False]


def test_time_pages_include_the_users_and_projects_they_name(out: Path) -> None:
    for page in _pages(out, "teamwork/time"):
        logs = page["timelogs"]
        included = page["included"]
        assert isinstance(logs, list) and isinstance(included, dict)
        assert set(included["users"]) == {str(log["userId"]) for log in logs}
        assert set(included["projects"]) == {str(log["projectId"]) for log in logs}


def test_empty_streams_still_get_one_empty_page(tmp_path: Path) -> None:
    counts = write_pages(Scenario(page_size=PageSize.uniform(3)), tmp_path)
    assert set(counts.values()) == {0, 1}  # the pipeline stages always exist
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
