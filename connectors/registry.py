"""Which connector reads a source: the recorded pages in `source_dir` (setting `source`
= files), or the vendor's API over HTTP into `landing_dir` (live)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime

from billflow.config import Settings
from billflow.errors import ConfigError
from connectors.base import Pull
from connectors.files import FileConnector
from connectors.harvest import HarvestSource
from connectors.hubspot import HubSpotSource
from connectors.live import LiveSource, http_client, required_secret, secret
from connectors.pages import PageSink
from connectors.streams import streams_of
from connectors.stripe_events import StripeSource
from connectors.teamwork import TeamworkSource


def pull_source(
    source: str, settings: Settings, bookmarks: Mapping[str, str], pull: str, started: datetime
) -> Pull:
    """The pages of `source` this run lands, and the bookmarks to move with them."""
    if settings.source == "files":
        connector = FileConnector(source, settings.source_dir)
        return Pull([page for stream in streams_of(source) for page in connector.fetch(stream)], {})
    sink = PageSink(settings.landing_dir, pull)
    live = live_source(source, settings, started)
    if live is None:
        return Pull([], {})
    try:
        moved = live.pull(bookmarks, sink)
    finally:
        client = getattr(live, "client", None)
        if client is not None:
            client.close()
    return Pull(sink.pages, moved)


def live_source(source: str, settings: Settings, started: datetime) -> LiveSource | None:
    """The live connector of `source`; None for an optional source without credentials."""
    overlap = settings.sync_overlap_minutes
    if source == "hubspot":
        token = required_secret(
            settings.hubspot_token, "billflow-hubspot-token", "hubspot_token", "HubSpot"
        )
        headers = {"Authorization": f"Bearer {token}"}
        client = http_client(settings, "hubspot", settings.hubspot_base_url, headers, token)
        return HubSpotSource(client, overlap, started)
    if source == "teamwork":
        return _teamwork(settings)
    if source == "harvest":
        return _harvest(settings)
    if source == "stripe":
        key = secret(settings.stripe_api_key, "billflow-stripe-api-key")
        headers = {"Authorization": f"Bearer {key}"}
        events = (
            http_client(settings, "stripe", settings.stripe_base_url, headers, key) if key else None
        )
        return StripeSource(events, overlap, settings.landing_dir)
    raise ValueError(f"no live connector for {source}")


def _teamwork(settings: Settings) -> TeamworkSource:
    token = required_secret(
        settings.teamwork_token, "billflow-teamwork-token", "teamwork_token", "Teamwork.com"
    )
    if not settings.teamwork_base_url:
        raise ConfigError(
            "the live source needs the Teamwork.com site: set BILLFLOW_TEAMWORK_BASE_URL, "
            "e.g. https://yourcompany.teamwork.com"
        )
    basic = base64.b64encode(f"{token}:x".encode()).decode()
    headers = {"Authorization": f"Basic {basic}"}
    client = http_client(settings, "teamwork", settings.teamwork_base_url, headers, token)
    client.secrets = (token, basic)
    return TeamworkSource(client, settings.sync_overlap_minutes)


def _harvest(settings: Settings) -> HarvestSource | None:
    token = secret(settings.harvest_token, "billflow-harvest-token")
    if not token:
        return None
    if not settings.harvest_account_id:
        raise ConfigError("a Harvest token is set but no BILLFLOW_HARVEST_ACCOUNT_ID")
    headers = {
        "Authorization": f"Bearer {token}",
        "Harvest-Account-Id": settings.harvest_account_id,
        "User-Agent": f"billflow ({settings.seller_email})",
    }
    client = http_client(settings, "harvest", settings.harvest_base_url, headers, token)
    return HarvestSource(client, settings.sync_overlap_minutes)
