"""What the live connectors share: credentials, bookmarks and the pull of one source.

A bookmark is the newest updated time a stream has landed, written as the vendor writes it.
Each incremental pull asks for what changed since the bookmark less an overlap window
(setting `sync_overlap_minutes`), so an update the vendor indexed late is still caught; what
the overlap fetches again lands as nothing new (raw keeps one copy of each version).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
from pydantic import SecretStr

from billflow.config import Settings
from billflow.errors import ConfigError
from connectors.http import HttpClient
from connectors.pages import PageSink


class LiveSource(Protocol):
    """One vendor over HTTP: pull every stream into the sink, return the new bookmarks."""

    def pull(self, bookmarks: Mapping[str, str], sink: PageSink) -> dict[str, str]: ...


def parse_time(text: str) -> datetime:
    """An ISO-8601 time (Z or offset; naive taken as UTC) or Unix seconds / milliseconds."""
    value = text.strip()
    if value.isdigit():
        number = int(value)
        return datetime.fromtimestamp(number / 1000 if number > 10**11 else number, UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def newest(values: Iterable[object], current: str | None = None) -> str | None:
    """The latest of `values` and the current bookmark, kept in its own spelling."""
    best = current
    best_time = parse_time(current) if current else None
    for value in values:
        if value is None or value == "":
            continue
        text = str(value)
        when = parse_time(text)
        if best_time is None or when > best_time:
            best, best_time = text, when
    return best


def window_start(bookmark: str | None, overlap_minutes: int) -> datetime | None:
    """Where an incremental pull starts: the bookmark less the overlap; None: from the start."""
    if not bookmark:
        return None
    return parse_time(bookmark) - timedelta(minutes=overlap_minutes)


def iso_z(moment: datetime) -> str:
    """`2026-04-01T08:00:00Z`: the UTC form every vendor accepts in a filter."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def secret(value: SecretStr | None, block: str) -> str | None:
    """A credential from the settings (environment), else from the Prefect Secret block
    `block`; None when neither holds one."""
    if value is not None and value.get_secret_value():
        return value.get_secret_value()
    return _secret_block(block)


def _secret_block(block: str) -> str | None:
    from prefect.blocks.system import Secret

    try:
        loaded: Any = Secret.load(block)
    except (ValueError, RuntimeError, OSError, httpx.HTTPError):
        return None  # no such block, or no Prefect API to ask: the credential is missing
    value = loaded.get()
    return str(value) if value else None


CREDENTIAL_BLOCKS = {
    "hubspot_token": "billflow-hubspot-token",
    "teamwork_token": "billflow-teamwork-token",
    "harvest_token": "billflow-harvest-token",
    "stripe_api_key": "billflow-stripe-api-key",
}


def with_credentials(settings: Settings) -> Settings:
    """The live source's settings with each credential the environment lacks taken from its
    Prefect Secret block, looked up once per run (the write-back reads the same token)."""
    found = {
        name: SecretStr(value)
        for name, block in CREDENTIAL_BLOCKS.items()
        if getattr(settings, name) is None and (value := _secret_block(block))
    }
    return settings.model_copy(update=found) if found else settings


def required_secret(value: SecretStr | None, block: str, setting: str, vendor: str) -> str:
    found = secret(value, block)
    if not found:
        raise ConfigError(
            f"the live source needs a {vendor} credential: set BILLFLOW_{setting.upper()} "
            f"or a Prefect Secret block named {block} (docs/connectors.md)"
        )
    return found


def http_client(
    settings: Settings, vendor: str, base_url: str, headers: dict[str, str], token: str
) -> HttpClient:
    return HttpClient(
        vendor,
        base_url,
        headers=headers,
        secrets=(token,),
        attempts=settings.http_attempts,
        timeout_seconds=settings.http_timeout_seconds,
    )
