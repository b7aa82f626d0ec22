"""Running billflow as a service: failure alerts, the Prefect concurrency limit, `billflow
status`, and the deployments served by `billflow serve` against a real `prefect server`."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from billflow import status
from billflow.config import load_settings
from billflow.errors import MissingSourceError, WarehouseLockedError
from billflow.paths import ROOT, SAMPLE_DIR
from tests.conftest import warehouse_env
from tests.helpers import rows, run_nightly


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local HTTP endpoint that keeps every JSON body POSTed to it."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerts", received
    finally:
        server.shutdown()


def test_a_failed_run_sends_one_alert_naming_the_task_and_the_error(
    tmp_path: Path, prefect_server: str, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    pages = tmp_path / "pages"
    shutil.copytree(SAMPLE_DIR, pages)
    shutil.rmtree(pages / "teamwork" / "time")
    with warehouse_env("duckdb", tmp_path, pages), pytest.MonkeyPatch.context() as patch:
        patch.setenv("BILLFLOW_ALERT_WEBHOOK_URL", url)
        load_settings.cache_clear()
        with pytest.raises(MissingSourceError):
            run_nightly(date(2026, 2, 2))
        load_settings.cache_clear()
    assert len(received) == 1
    alert = received[0]
    assert alert["alert"] == "billflow flow run failed"
    assert alert["flow"] == "nightly_billing"
    assert alert["state"] == "FAILED"
    assert alert["failed_task"] == "fetch teamwork"
    assert alert["parameters"]["as_of"] == "2026-02-02"
    assert "no pages found; teamwork.time is required" in alert["error"]
    assert "no pages found" in alert["failed_tasks"][0]["message"]


def test_a_completed_run_sends_no_alert(
    tmp_path: Path, prefect_server: str, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    with warehouse_env("duckdb", tmp_path), pytest.MonkeyPatch.context() as patch:
        patch.setenv("BILLFLOW_ALERT_WEBHOOK_URL", url)
        load_settings.cache_clear()
        run_nightly(date(2026, 2, 2))
        load_settings.cache_clear()
    assert received == []


def test_a_run_waits_in_prefect_for_the_concurrency_slot(
    tmp_path: Path, prefect_server: str
) -> None:
    """While another run holds the limit's one slot, a run waits, then gives up with a clear
    message after queue_timeout_seconds, having written nothing; once free, it runs.

    Only the blocked run gets the short timeout: on a loaded machine even a free slot can take
    the test server more than 2 s to grant (seen in CI)."""
    from prefect.client.orchestration import get_client
    from prefect.concurrency.sync import concurrency

    name = f"billflow-test-{os.getpid()}"
    with warehouse_env("duckdb", tmp_path) as settings, pytest.MonkeyPatch.context() as patch:
        patch.setenv("BILLFLOW_CONCURRENCY_LIMIT", name)
        load_settings.cache_clear()
        run_nightly(date(2026, 2, 2))  # creates the limit, one slot
        with get_client(sync_client=True) as client:
            assert client.read_global_concurrency_limit_by_name(name).limit == 1
        with concurrency(name, occupy=1, strict=True):
            patch.setenv("BILLFLOW_QUEUE_TIMEOUT_SECONDS", "2")
            load_settings.cache_clear()
            started = time.monotonic()
            with pytest.raises(WarehouseLockedError, match=f"concurrency limit '{name}'"):
                run_nightly(date(2026, 2, 9))
            assert time.monotonic() - started >= 2
            patch.delenv("BILLFLOW_QUEUE_TIMEOUT_SECONDS")
            load_settings.cache_clear()
        assert rows(settings, "select count(*) from {audit}.runs where as_of = '2026-02-09'") == [
            (0,)
        ]
        run_nightly(date(2026, 2, 9))
        load_settings.cache_clear()


def test_status_lists_the_last_runs_with_their_figures(tmp_path: Path, prefect_server: str) -> None:
    with warehouse_env("duckdb", tmp_path) as settings:
        run_nightly(date(2026, 2, 2))
        run_nightly(date(2026, 3, 2))
        text = status.render(settings, 5)
        issued = rows(
            settings, "select count(*) from {marts}.invoices where issue_date = '2026-03-02'"
        )[0][0]
    header, rule, first, second = text.splitlines()[:4]
    assert set(rule) == {"-", " "}
    assert header.split()[:3] == ["started", "(UTC)", "flow"]
    assert "2026-03-02" in first and "COMPLETED" in first  # newest first
    assert "2026-02-02" in second
    assert f" {issued} " in first


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            found = check()
            if found:
                return found
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def test_served_deployments_run_on_a_real_prefect_server(tmp_path: Path) -> None:
    """`prefect server start` (not the test harness), `billflow serve`, a run triggered
    through the API completes and leaves its summary artifact."""
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("BILLFLOW_", "PREFECT_"))
    }
    env |= {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_API_PORT": str(port),
        "BILLFLOW_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
        "BILLFLOW_SOURCE_DIR": str(SAMPLE_DIR),
        "BILLFLOW_DOCUMENTS_DIR": str(tmp_path / "documents"),
    }
    prefect = str(Path(sys.executable).with_name("prefect"))
    server = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    served = None
    try:
        _wait_for(lambda: httpx.get(f"{api}/health").status_code == 200, 180, "the server")
        env["PREFECT_API_URL"] = api
        served = subprocess.Popen(
            [sys.executable, "-m", "billflow.cli", "serve"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        flow_run = _trigger_nightly(api, env)
    finally:
        if served is not None:
            served.terminate()
            served.wait(timeout=60)
        server.terminate()
        server.wait(timeout=60)
    assert flow_run["state"] == "COMPLETED", flow_run
    assert flow_run["deployments"] == {
        "nightly_billing/nightly": [{"cron": "30 3 * * *", "timezone": "America/New_York"}],
        "reconciliation_rerun/reconciliation-rerun": [],
        "source_sync/source-sync": [{"cron": "0 * * * *", "timezone": "America/New_York"}],
    }
    assert "issued" in flow_run["artifact"]
    assert flow_run["limit"] == 1


def _trigger_nightly(api: str, env: dict[str, str]) -> dict[str, Any]:
    """Ask the server (over its API, from a separate process) to run the nightly deployment
    for 2 February, wait for the run, and report its state, the deployments and artifact."""
    script = """
import json, sys, time
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment

with get_client(sync_client=True) as client:
    for _ in range(120):
        found = client.read_deployments()
        if len(found) == 3:
            break
        time.sleep(1)
    flows = {f.id: f.name for f in client.read_flows()}
    deployments = {
        f"{flows[d.flow_id]}/{d.name}": [
            {"cron": s.schedule.cron, "timezone": s.schedule.timezone} for s in d.schedules
        ]
        for d in found
    }
run = run_deployment("nightly_billing/nightly", parameters={"as_of": "2026-02-02"}, timeout=600)
with get_client(sync_client=True) as client:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    artifacts = client.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
    )
    limit = client.read_global_concurrency_limit_by_name("billflow-warehouse").limit
print(json.dumps({"state": run.state.type.value, "deployments": deployments,
                  "artifact": " ".join(a.data or "" for a in artifacts), "limit": limit}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_the_source_sync_lands_and_bills_nothing(tmp_path: Path, prefect_server: str) -> None:
    from flows.sync import source_sync

    with warehouse_env("duckdb", tmp_path) as settings:
        counts = source_sync()
        again = source_sync()
        runs = rows(settings, "select flow, status from {audit}.runs")
        invoices = rows(settings, "select count(*) from {marts}.invoices")
        records = rows(settings, "select count(*) from {raw}.records")
    assert counts["new_versions"] == records[0][0] > 200
    assert again["new_versions"] == 0 and again["records"] == 0  # no page read twice
    assert again["pages_skipped"] == counts["pages"] > 20 and again["pages"] == 0
    assert runs == [("source_sync", "COMPLETED")] * 2
    assert invoices == [(0,)]
