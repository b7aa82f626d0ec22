"""Bad input ends the run with one line naming the file, a non-zero exit, and the warehouse
exactly as it was. The CLI runs as a user runs it, in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from billflow.config import Settings
from billflow.paths import SAMPLE_DIR
from tests.conftest import warehouse_env
from tests.helpers import fingerprint

LAYERS = ("raw", "marts", "quarantine")


@pytest.fixture
def loaded(tmp_path: Path, prefect_server: str) -> Iterator[tuple[Settings, Path, dict[str, str]]]:
    """A warehouse after one good run on a copy of the sample, and that copy."""
    source = tmp_path / "pages"
    shutil.copytree(SAMPLE_DIR, source)
    with warehouse_env("duckdb", tmp_path, source) as settings:
        result = billflow(prefect_server, "nightly", "--as-of", "2026-03-02")
        assert result.returncode == 0, result.stderr
        yield settings, source, env_with(prefect_server)


def env_with(api_url: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def billflow(api_url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "billflow.cli", *args]
    return subprocess.run(
        command, capture_output=True, text=True, env=env_with(api_url), timeout=600, check=False
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def remove_time_folder(source: Path) -> str:
    shutil.rmtree(source / "teamwork" / "time")
    return f"{source / 'teamwork' / 'time'}: no pages found"


def truncate_a_page(source: Path) -> str:
    broken = source / "stripe" / "events" / "page_0002.json"
    broken.write_text(broken.read_text()[:-40])
    return f"billflow: {broken}: not valid JSON ("


def add_a_foreign_page(source: Path) -> str:
    stray = source / "hubspot" / "deals" / "page_0003.json"
    stray.write_text('{"unexpected": "shape"}')
    return f"{stray}: a record has no id"


@pytest.mark.parametrize("damage", [remove_time_folder, truncate_a_page, add_a_foreign_page])
def test_bad_input_stops_the_run_and_changes_nothing(
    loaded: tuple[Settings, Path, dict[str, str]],
    prefect_server: str,
    damage: Callable[[Path], str],
) -> None:
    settings, source, _ = loaded
    before = fingerprint(settings, LAYERS)
    expected = damage(source)
    line = one_line_error(billflow(prefect_server, "nightly", "--as-of", "2026-04-01"))
    assert expected in line
    assert fingerprint(settings, LAYERS) == before


def test_unreachable_warehouse_is_one_line(tmp_path: Path, prefect_server: str) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/test"
    result = billflow(prefect_server, "nightly", "--as-of", "2026-02-02", "--warehouse", url)
    line = one_line_error(result)
    assert line.startswith(f"billflow: cannot open the warehouse {url}: ")


def test_without_a_prefect_server_output_is_clean(tmp_path: Path) -> None:
    """No PREFECT_API_URL: a temporary server starts and stops without a word."""
    with warehouse_env("duckdb", tmp_path):
        result = billflow(None, "nightly", "--as-of", "2026-02-02")
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert "temporary server" not in output.lower()
    assert "invoices      2 issued, EUR 1,145.38, USD 4,410.00" in result.stdout


def test_the_live_source_without_credentials_is_one_line(
    tmp_path: Path, prefect_server: str
) -> None:
    with warehouse_env("duckdb", tmp_path):
        result = billflow(prefect_server, "nightly", "--source", "live", "--as-of", "2026-03-02")
    assert one_line_error(result) == (
        "billflow: the live source needs a HubSpot credential: set BILLFLOW_HUBSPOT_TOKEN or a "
        "Prefect Secret block named billflow-hubspot-token (docs/connectors.md)"
    )


def test_serve_without_a_prefect_server_is_one_line() -> None:
    assert one_line_error(billflow(None, "serve")) == (
        "billflow: billflow serve needs a Prefect server: start one (prefect server start) and "
        "set PREFECT_API_URL, e.g. http://127.0.0.1:4200/api (docs/operations.md)"
    )


def test_status_of_a_warehouse_never_run_is_one_line(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    line = one_line_error(billflow(None, "status", "--warehouse", url))
    assert line.startswith("billflow: no runs to show: ")
