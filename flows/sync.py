"""source_sync: land what changed at the sources since the last pull, and nothing else.

Served hourly, it keeps raw (and the live streams' bookmarks) close to the sources, so the
nightly run fetches an hour of changes instead of a day's. It bills nothing and publishes
nothing; audit.runs records it with its counts of pages and records.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime

from prefect import flow
from prefect.runtime import flow_run

from billflow import audit
from billflow.alerts import on_failure
from billflow.errors import masked, one_line
from billflow.landing import LandingResult
from billflow.lock import holder_description, warehouse_lock
from billflow.pipeline import Run
from billflow.queueing import writing_slot
from billflow.warehouse import Warehouse
from flows.nightly import fetch_all, run_settings
from tasks.land import land_raw

FLOW_NAME = "source_sync"


@flow(name=FLOW_NAME, log_prints=False, on_failure=[on_failure], on_crashed=[on_failure])
def source_sync(
    source_dir: str | None = None, warehouse_url: str | None = None, source: str | None = None
) -> dict[str, int]:
    """Fetch every source from its bookmarks and land the pages in raw."""
    settings = run_settings(source_dir, warehouse_url, source)
    run_id = str(flow_run.id or uuid.uuid4())
    started = time.monotonic()
    with writing_slot(settings), warehouse_lock(settings, holder_description(FLOW_NAME, run_id)):
        wh = Warehouse(settings)
        try:
            wh.init()
            run = Run(wh, datetime.now(settings.tz).date(), run_id, FLOW_NAME)
            parameters = {"source": settings.source, "warehouse": masked(settings.warehouse_url)}
            audit.record_start(wh, run_id, FLOW_NAME, run.as_of, parameters)
            try:
                pages, moved = fetch_all(run, settings)
                landed: LandingResult = land_raw(run, pages, False, moved)
            except BaseException as exc:
                audit.record_end(wh, run_id, "FAILED", error=one_line(exc))
                raise
            audit.record_end(wh, run_id, "COMPLETED")
        finally:
            wh.close()
    return {
        "pages": landed.pages,
        "pages_skipped": landed.skipped,
        "records": sum(landed.records.values()),
        "new_versions": sum(landed.new_versions.values()),
        "seconds": round(time.monotonic() - started),
    }
