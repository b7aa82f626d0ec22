"""What every connector hands over: pages on disk, one stream at a time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from connectors.streams import Stream


@dataclass(frozen=True)
class Page:
    """One page exactly as the vendor sent it, stored as a file."""

    stream: Stream
    path: Path


class Connector(Protocol):
    """A source: the recorded one reads a folder, the live one fetches over HTTP into one."""

    @property
    def source(self) -> str:
        """The vendor: hubspot, teamwork, stripe."""
        ...

    def fetch(self, stream: Stream) -> list[Page]:
        """Every page of `stream` this run should land, in the order they were produced."""
        ...


@dataclass(frozen=True)
class Pull:
    """What a live connector fetched for one source: its pages, and for each incremental
    stream the bookmark to keep once those pages are landed (the newest updated time seen).
    A stream absent from `bookmarks` keeps its bookmark."""

    pages: list[Page]
    bookmarks: dict[str, str]
