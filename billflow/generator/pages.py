"""What a renderer produces: pages, each one file under `<source>/<stream>/`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Protocol, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

Json = dict[str, object]


class Records(Protocol[T_co]):
    """Records that can be counted before they are iterated (a tuple, or a lazy sequence)."""

    def __iter__(self) -> Iterator[T_co]: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class Page:
    """One API response as the vendor sent it, and how many records its array holds.

    `body` is the response object, or its compact JSON text when the renderer encodes it
    itself (time pages: the hot path at millions of entries).
    """

    source: str
    stream: str
    name: str
    body: Json | str
    records: int

    @property
    def folder(self) -> str:
        return f"{self.source}/{self.stream}"


def compact(value: object) -> str:
    """JSON as the APIs send it: no whitespace, UTF-8 text left as is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def page_name(number: int) -> str:
    """`page_0001.json`: zero-padded so name order is page order (docs/sources.md)."""
    return f"page_{number:04d}.json"


def chunked(records: Iterable[T], size: int) -> Iterator[list[T]]:
    """`records` in lists of `size`, lazily; one empty list when there are none.

    An empty stream still gets one page, as the API answers an empty list: a required folder
    is then never missing.
    """
    iterator = iter(records)
    chunk = list(islice(iterator, size))
    yield chunk
    while len(chunk) == size:
        chunk = list(islice(iterator, size))
        if not chunk:
            return
        yield chunk
