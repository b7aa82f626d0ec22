"""The recorded source: vendor pages read from a folder (the demo, the tests, replays).

Layout: `<source_dir>/<source>/<stream>/*.json`, read in file-name order. docs/sources.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from billflow.errors import MissingSourceError
from connectors.base import Page
from connectors.streams import Stream


@dataclass(frozen=True)
class FileConnector:
    source: str
    source_dir: Path

    def fetch(self, stream: Stream) -> list[Page]:
        folder = self.source_dir / stream.folder
        files = sorted(folder.glob("*.json")) if folder.is_dir() else []
        if not files and stream.required:
            raise MissingSourceError(
                f"{folder}: no pages found; {stream.key} is required "
                f"(JSON pages of {stream.endpoint}, see docs/sources.md)"
            )
        return [Page(stream, path) for path in files]
