"""How runs behave around the numbers: dry runs, the artifact, the quality gate, retries and
the warehouse lock."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from billflow.config import Settings
from billflow.errors import BillflowError, TransientError, ValidationFailedError
from billflow.lock import warehouse_lock
from billflow.paths import SAMPLE_DIR
from tests.cli.test_bad_input import env_with
from tests.conftest import warehouse_env
from tests.helpers import fingerprint, rows, run_nightly

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_dry_run_publishes_nothing(any_settings: Settings) -> None:
    run_nightly(date(2026, 2, 2))
    before = fingerprint(any_settings, ("marts", "quarantine", "audit"))
    summary = run_nightly(date(2026, 3, 2), dry_run=True)
    assert summary.dry_run
    assert summary.issued_count == 4  # Northwind and Initech February, Globex M1, Westbrook 1
    assert fingerprint(any_settings, ("marts", "quarantine", "audit")) == before


def test_a_writing_run_cannot_go_back_in_time(duckdb_settings: Settings) -> None:
    run_nightly(date(2026, 3, 2))
    with pytest.raises(BillflowError, match="as_of 2026-02-02 is before 2026-03-02"):
        run_nightly(date(2026, 2, 2))
    assert run_nightly(date(2026, 2, 2), dry_run=True).issued_count == 0


def test_each_run_leaves_a_summary_artifact(duckdb_settings: Settings) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    summary = run_nightly(date(2026, 2, 2))
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["nightly-billing-summary"]))
        )
    ours = [a for a in artifacts if str(a.flow_run_id) == summary.run_id]
    assert len(ours) == 1
    assert "| invoices issued | 2 |" in str(ours[0].data)
    audit = rows(duckdb_settings, "select status, summary from {audit}.runs")
    assert audit[0][0] == "COMPLETED"
    assert json.loads(audit[0][1])["issued_count"] == 2


def test_quality_gate_stops_a_batch_in_hours(tmp_path: Path) -> None:
    """Minutes sent as hours: every entry is valid alone, the batch is not."""
    source = tmp_path / "pages"
    shutil.copytree(SAMPLE_DIR, source)
    with warehouse_env("duckdb", tmp_path, source) as settings:
        run_nightly(date(2026, 3, 2))
        before = fingerprint(settings)
        for page in (source / "teamwork" / "time").glob("*.json"):
            document = json.loads(page.read_text())
            for timelog in document["timelogs"]:
                timelog["minutes"] = max(1, timelog["minutes"] // 60)
                timelog["updatedAt"] = "2026-04-30T00:00:00Z"
            page.write_text(json.dumps(document))
        with pytest.raises(ValidationFailedError, match="expect_column_mean_to_be_between"):
            run_nightly(date(2026, 4, 1))
        assert fingerprint(settings) == before
        statuses = rows(settings, "select as_of, status from {audit}.runs order by as_of")
        assert statuses == [(date(2026, 3, 2), "COMPLETED"), (date(2026, 4, 1), "FAILED")]


def test_tasks_retry_transient_faults_only() -> None:
    from prefect import flow, task

    from tasks.common import TASK_OPTIONS

    attempts: list[str] = []

    @task(**{**TASK_OPTIONS, "retry_delay_seconds": 0})
    def flaky(kind: str) -> str:
        attempts.append(kind)
        if kind == "transient" and attempts.count(kind) < 3:
            raise TransientError("HTTP 503")
        if kind == "permanent":
            raise ValueError("a bad page")
        return "ok"

    @flow
    def both() -> tuple[str, bool]:
        recovered = flaky("transient")
        failed = flaky("permanent", return_state=True).is_failed()
        return recovered, failed

    assert both() == ("ok", True)
    assert attempts.count("transient") == 3
    assert attempts.count("permanent") == 1


@pytest.mark.parametrize("kind", ["duckdb", "postgres"])
def test_second_writer_waits_then_names_the_holder(
    kind: str, tmp_path: Path, prefect_server: str
) -> None:
    with warehouse_env(kind, tmp_path) as settings:
        env = env_with(prefect_server)
        env["BILLFLOW_LOCK_TIMEOUT_SECONDS"] = "1"
        with warehouse_lock(settings, "nightly_billing run held-by-test (pid 1 on ci)"):
            result = subprocess.run(
                [sys.executable, "-m", "billflow.cli", "nightly", "--as-of", "2026-02-02"],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
                check=False,
            )
        assert result.returncode == 1
        assert "is locked by nightly_billing run held-by-test (pid 1 on ci)" in result.stderr
        assert "waited 1 s" in result.stderr
