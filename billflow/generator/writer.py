"""Write a scenario's pages as files: `<out_dir>/<source>/<stream>/*.json` (docs/sources.md)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path

from billflow.generator import hubspot, stripe, teamwork
from billflow.generator.model import Scenario
from billflow.generator.pages import Page, compact

RENDERERS: tuple[Callable[[Scenario], Iterator[Page]], ...] = (
    hubspot.pages,
    teamwork.pages,
    stripe.pages,
)

STREAMS: tuple[str, ...] = (
    "hubspot/deals",
    "hubspot/pipelines",
    "hubspot/companies",
    "hubspot/owners",
    "hubspot/deal_companies",
    "teamwork/projects",
    "teamwork/people",
    "teamwork/tasks",
    "teamwork/milestones",
    "teamwork/tags",
    "teamwork/time",
    "teamwork/rates",
    "harvest/time_entries",
    "stripe/events",
)
"""Every folder written, in the order of connectors/streams.py. Scenarios have no Harvest time
yet: its folder is left empty (the stream is optional)."""


def write_pages(scenario: Scenario, out_dir: Path, *, indent: int | None = None) -> dict[str, int]:
    """Render every stream of `scenario` into `out_dir`; records written per `source.stream`.

    Pages are rendered and written one at a time, so a lazy scenario's time entries are never
    all in memory. The `*.json` files already in a stream folder are removed first: a folder
    holds exactly one scenario's pages, since the pipeline reads every file in it.
    `indent=None` writes compact JSON, as the APIs send it; `indent=2` is for reading.
    """
    for folder in STREAMS:
        _clear(out_dir / folder)
    counts = {folder.replace("/", "."): 0 for folder in STREAMS}
    for page in chain.from_iterable(render(scenario) for render in RENDERERS):
        path = out_dir / page.folder / page.name
        path.write_text(_dump(page, indent), encoding="utf-8", newline="\n")
        counts[f"{page.source}.{page.stream}"] += page.records
    return counts


def _clear(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.json"):
        stale.unlink()


def _dump(page: Page, indent: int | None) -> str:
    if indent is None:
        text = page.body if isinstance(page.body, str) else compact(page.body)
    else:
        body = json.loads(page.body) if isinstance(page.body, str) else page.body
        text = json.dumps(body, indent=indent, ensure_ascii=False)
    return text + "\n"
