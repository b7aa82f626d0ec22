"""Settings: every mistake is one line naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from billflow.config import load_settings
from billflow.errors import ConfigError


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BILLFLOW_CONFIG", "BILLFLOW_AGING_BUCKET_DAYS", "BILLFLOW_COMPANY_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    load_settings.cache_clear()


def test_toml_then_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "billflow.toml").write_text(
        'company_timezone = "Europe/Berlin"\naging_bucket_days = [30, 60, 90, 120]\n'
    )
    settings = load_settings()
    assert (settings.company_timezone, settings.aging_bucket_days) == (
        "Europe/Berlin",
        (30, 60, 90, 120),
    )
    monkeypatch.setenv("BILLFLOW_COMPANY_TIMEZONE", "Asia/Tokyo")
    load_settings.cache_clear()
    assert load_settings().company_timezone == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        (
            'company_timezon = "Europe/Berlin"\n',
            {},
            "company_timezon: Extra inputs are not permitted",
        ),
        ('company_timezone = "Mars/Olympus"\n', {}, "unknown time zone 'Mars/Olympus'"),
        ("aging_bucket_days = [60, 30]\n", {}, "aging_bucket_days must be ascending"),
        ("", {"BILLFLOW_AGING_BUCKET_DAYS": "30,60"}, "a list in an environment variable is JSON"),
        ("", {"BILLFLOW_CONFIG": "/nonexistent/billflow.toml"}, "which is not a file"),
    ],
)
def test_mistakes_are_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, toml: str, env: dict[str, str], message: str
) -> None:
    if toml:
        (tmp_path / "billflow.toml").write_text(toml)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_settings()
