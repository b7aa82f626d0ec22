"""deployments/prefect.yaml: every deployment names a flow that exists, with parameters it takes."""

from __future__ import annotations

import importlib
import inspect

import pytest
import yaml
from prefect import Flow

from billflow.paths import ROOT

DEPLOYMENTS = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text())["deployments"]


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=lambda d: d["name"])
def test_the_entrypoint_is_a_flow_taking_the_parameters(deployment: dict) -> None:
    path, name = deployment["entrypoint"].split(":")
    flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
    assert isinstance(flow, Flow)
    accepted = inspect.signature(flow.fn).parameters
    assert set(deployment["parameters"]) <= set(accepted)


def test_the_nightly_run_is_scheduled_and_the_rerun_is_on_demand() -> None:
    by_name = {deployment["name"]: deployment for deployment in DEPLOYMENTS}
    assert by_name["nightly"]["schedules"] == [
        {"cron": "30 3 * * *", "timezone": "America/New_York"}
    ]
    rerun = by_name["reconciliation-rerun"]
    assert "schedules" not in rerun
    assert rerun["parameters"] == {"dry_run": True}  # applying is always asked for by name


def test_billflow_serve_serves_the_same_deployments() -> None:
    from billflow.config import Settings
    from billflow.serving import deployments

    served = {d.name: d for d in deployments(Settings())}
    assert set(served) == {d["name"] for d in DEPLOYMENTS}
    for deployment in DEPLOYMENTS:
        runner = served[deployment["name"]]
        assert runner.entrypoint is not None
        assert runner.entrypoint.endswith(deployment["entrypoint"])
        crons = [
            {"cron": s.schedule.cron, "timezone": s.schedule.timezone}
            for s in runner.schedules or []
        ]
        assert crons == deployment.get("schedules", [])
        assert (runner.parameters or {}) == deployment["parameters"]


def test_the_source_sync_runs_hourly() -> None:
    by_name = {deployment["name"]: deployment for deployment in DEPLOYMENTS}
    assert by_name["source-sync"]["schedules"] == [
        {"cron": "0 * * * *", "timezone": "America/New_York"}
    ]
