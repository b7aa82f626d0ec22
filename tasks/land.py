"""Fetch each source's pages (sources concurrently) and land them in raw."""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task

from billflow.landing import LandingResult, land_pages
from billflow.pipeline import Run
from connectors.base import Connector, Page
from connectors.files import FileConnector
from connectors.streams import streams_of
from tasks.common import TASK_OPTIONS


@task(name="fetch source pages", task_run_name="fetch {source}", **TASK_OPTIONS)
def fetch_source(source: str, source_dir: Path) -> list[Page]:
    connector: Connector = FileConnector(source, source_dir)
    pages = [page for stream in streams_of(source) for page in connector.fetch(stream)]
    get_run_logger().info("%s: %d pages from %s", source, len(pages), source_dir)
    return pages


@task(name="land raw", **TASK_OPTIONS)
def land_raw(run: Run, pages: list[Page], dry_run: bool = False) -> LandingResult:
    result = land_pages(run.wh, pages, run.run_id, dry_run=dry_run)
    get_run_logger().info(
        "landed %d pages: %d records, %d new versions, %d unchanged",
        result.pages,
        sum(result.records.values()),
        sum(result.new_versions.values()),
        result.unchanged,
    )
    return result
