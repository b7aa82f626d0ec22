"""Bookmarks of the live streams (`raw.bookmarks`): read before a pull, moved by the landing in
the transaction that stores the records they cover, so a crash between the two leaves both as
they were and the next run fetches the same window again."""

from __future__ import annotations

from collections.abc import Mapping

from billflow.warehouse import Warehouse, sql_literal


def read(wh: Warehouse) -> dict[str, str]:
    rows = wh.query(f"select source, stream, bookmark from {wh.schemas.raw}.bookmarks")
    return {f"{source}.{stream}": str(bookmark) for source, stream, bookmark in rows}


def move(wh: Warehouse, bookmarks: Mapping[str, str], run_id: str) -> None:
    """Set each stream's bookmark; call inside the landing's transaction."""
    table = f"{wh.schemas.raw}.bookmarks"
    for key, bookmark in sorted(bookmarks.items()):
        source, stream = key.split(".", 1)
        where = f"source = {sql_literal(source)} and stream = {sql_literal(stream)}"
        wh.execute(f"delete from {table} where {where}")
        wh.execute(
            f"insert into {table} (source, stream, bookmark, run_id, moved_at) values ("
            f"{sql_literal(source)}, {sql_literal(stream)}, {sql_literal(bookmark)}, "
            f"{sql_literal(run_id)}, current_timestamp)"
        )
