"""`billflow serve`: the deployments of deployments/prefect.yaml, served by this process.

One machine, one process: it registers the deployments with the Prefect API (PREFECT_API_URL,
a `prefect server start` or Prefect Cloud) and runs their flow runs as they come due or are
triggered. docs/operations.md shows the same deployments on a work pool across machines.
"""

from __future__ import annotations

from typing import Any

from billflow.config import Settings
from billflow.queueing import ensure_limit


def deployments(settings: Settings) -> list[Any]:
    """nightly (cron, company time zone), reconciliation-rerun (on demand), source-sync
    (hourly by default)."""
    from prefect.schedules import Cron

    from flows.nightly import nightly_billing
    from flows.rerun import reconciliation_rerun
    from flows.sync import source_sync

    zone = settings.company_timezone
    return [
        nightly_billing.to_deployment(
            "nightly",
            schedules=[Cron(settings.nightly_cron, timezone=zone)],
            description="Land sources, draft, reconcile, issue, apply payments, age, "
            "forecast, publish.",
        ),
        reconciliation_rerun.to_deployment(
            "reconciliation-rerun",
            parameters={"dry_run": True},
            description="Rebuild one period (and optionally one client); a dry run unless "
            "dry_run is false.",
        ),
        source_sync.to_deployment(
            "source-sync",
            schedules=[Cron(settings.sync_cron, timezone=zone)],
            description="Land what changed at the sources since the last pull.",
        ),
    ]


def serve_all(settings: Settings) -> None:
    from prefect import serve

    ensure_limit(settings.concurrency_limit)
    serve(*deployments(settings), print_starting_message=True)
