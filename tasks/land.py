"""Fetch each source's pages (sources concurrently) and land them in raw."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from prefect import get_run_logger, task

from billflow.config import Settings
from billflow.landing import LandingResult, land_pages
from billflow.pipeline import Run
from connectors.base import Page, Pull
from connectors.registry import pull_source
from tasks.common import TASK_OPTIONS


@task(name="fetch source pages", task_run_name="fetch {source}", **TASK_OPTIONS)
def fetch_source(
    source: str, settings: Settings, bookmarks: Mapping[str, str], pull: str, started: datetime
) -> Pull:
    """Read or download one source's pages; a retry downloads into a fresh folder."""
    fetched = pull_source(source, settings, bookmarks, pull, started)
    where = settings.source_dir if settings.source == "files" else settings.landing_dir
    get_run_logger().info(
        "%s: %d pages (%s, %s)", source, len(fetched.pages), settings.source, where
    )
    return fetched


@task(name="land raw", **TASK_OPTIONS)
def land_raw(
    run: Run, pages: list[Page], dry_run: bool = False, bookmarks: Mapping[str, str] | None = None
) -> LandingResult:
    result = land_pages(run.wh, pages, run.run_id, dry_run=dry_run, bookmarks=bookmarks)
    get_run_logger().info(
        "landed %d pages (%d already landed, not read again): %d records, %d new versions, "
        "%d unchanged",
        result.pages,
        result.skipped,
        sum(result.records.values()),
        sum(result.new_versions.values()),
        result.unchanged,
    )
    return result
