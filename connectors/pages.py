"""Where a live connector keeps what it fetched: each response body as a JSON page file, which
the landing reads like any recorded page.

Layout: `<landing_dir>/<source>/<stream>/<pull>/page_0001.json`, one folder per pull (the
run's start time and id), so a failed run's pages never mix with the next run's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from billflow.documents import write_atomically
from connectors.base import Page
from connectors.streams import Stream


@dataclass
class PageSink:
    """Writes the pages of one pull; `pages` lists them in the order fetched."""

    landing_dir: Path
    pull: str
    pages: list[Page] = field(default_factory=list)
    _numbers: dict[str, int] = field(default_factory=dict)

    def folder(self, stream: Stream) -> Path:
        return self.landing_dir / stream.folder / self.pull

    def write(self, stream: Stream, body: Any, name: str | None = None) -> Page:
        """Store one response body; `name` (without .json) when the file name carries data,
        as the Teamwork rates pages carry their project id."""
        number = self._numbers.get(stream.key, 0) + 1
        self._numbers[stream.key] = number
        path = self.folder(stream) / f"{name or f'page_{number:04d}'}.json"
        write_atomically(path, json.dumps(body, ensure_ascii=False))
        page = Page(stream, path)
        self.pages.append(page)
        return page
