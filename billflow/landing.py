"""Land pages into `raw.records`: split into records, keyed, versioned, append-only.

Nothing is written until every page has been read and checked, and the insert is one
transaction: a bad page leaves the warehouse exactly as it was.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from billflow.bookmarks import move as move_bookmarks
from billflow.dialects import load_pages_duckdb, load_pages_postgres
from billflow.errors import InvalidPageError, one_line
from billflow.warehouse import Warehouse, sql_list, sql_literal
from connectors.base import Page
from connectors.streams import Stream


@dataclass(frozen=True)
class LandingResult:
    pages: int
    records: Counter[str]
    new_versions: Counter[str]

    @property
    def unchanged(self) -> int:
        return sum(self.records.values()) - sum(self.new_versions.values())


def land_pages(
    wh: Warehouse,
    pages: list[Page],
    run_id: str,
    *,
    dry_run: bool = False,
    bookmarks: Mapping[str, str] | None = None,
) -> LandingResult:
    """Check every page, then add the record versions raw does not hold yet and move the
    live streams' `bookmarks`, in one transaction. A dry run writes nothing to raw and moves
    no bookmark: the run reads raw plus its new versions through a view in the build schema
    instead (`wh.inputs`)."""
    _load(wh, pages)
    wh.execute(
        f"create or replace temp table landing_records (source text, stream text, page text, "
        f"record_id text, updated_at text, payload_hash text, payload {wh.dialect.json})"
        if wh.dialect.name == "duckdb"
        else "create temp table if not exists landing_records (source text, stream text, "
        "page text, record_id text, updated_at text, payload_hash text, payload jsonb)"
    )
    wh.execute("delete from landing_records")
    for stream, stream_pages in _by_stream(pages).items():
        wh.execute(_extract_sql(wh, stream, stream_pages))
    _refuse_records_without_id(wh)
    records = _counts(wh, "landing_records")
    seq = int(wh.scalar(f"select coalesce(max(landed_seq), 0) + 1 from {wh.schemas.raw}.records"))
    wh.replace_table("landing_new", wh.render("landing/new_versions.sql", seq=seq), temp=True)
    new_versions = _counts(wh, "landing_new")
    if dry_run:
        _overlay(wh, run_id, seq)
    else:
        with wh.transaction():
            wh.execute(_insert_sql(wh, f"{wh.schemas.raw}.records", run_id, seq))
            move_bookmarks(wh, bookmarks or {}, run_id)
    return LandingResult(len(pages), records, new_versions)


def _overlay(wh: Warehouse, run_id: str, seq: int) -> None:
    """raw.records as it would be after landing, as a view: raw untouched."""
    build = wh.schemas.build
    wh.replace_table(
        f"{build}.dry_run_landed", f"select * from {wh.schemas.raw}.records where false"
    )
    wh.execute(_insert_sql(wh, f"{build}.dry_run_landed", run_id, seq))
    wh.execute(
        f"create or replace view {build}.dry_run_records as select * from {wh.schemas.raw}.records "
        f"union all select * from {build}.dry_run_landed"
    )
    wh.inputs.records = f"{build}.dry_run_records"


def _load(wh: Warehouse, pages: list[Page]) -> None:
    names = [str(page.path) for page in pages]
    if wh.dialect.name == "duckdb":
        try:
            load_pages_duckdb(wh.execute, names)
        except Exception as exc:
            raise InvalidPageError(f"could not read the pages: {one_line(exc)}") from exc
        invalid = wh.query("select page from landing_pages where not json_valid(content) limit 1")
        if invalid:
            _raise_invalid(Path(invalid[0][0]))
        return
    texts = [(name, _read_json_text(Path(name))) for name in names]
    load_pages_postgres(wh._conn, texts)


def _read_json_text(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        _raise_invalid(path)
    return text


def _raise_invalid(path: Path) -> None:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidPageError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise InvalidPageError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    raise InvalidPageError(f"{path}: not valid JSON")


def _by_stream(pages: list[Page]) -> dict[Stream, list[str]]:
    grouped: dict[Stream, list[str]] = {}
    for page in pages:
        grouped.setdefault(page.stream, []).append(str(page.path))
    return grouped


def _extract_sql(wh: Warehouse, stream: Stream, pages: list[str]) -> str:
    return wh.render(
        "landing/extract_records.sql",
        stream=stream,
        pages=sql_list(pages),
        id_sql=wh.render_string(stream.id_sql),
        updated_sql=stream.updated_sql or "cast(null as text)",
    )


def _refuse_records_without_id(wh: Warehouse) -> None:
    missing = wh.query(
        "select page, source, stream from landing_records where record_id is null "
        "order by page limit 1"
    )
    if missing:
        page, source, stream = missing[0]
        raise InvalidPageError(
            f"{page}: a record has no id; is this a {source} {stream} page? (docs/sources.md)"
        )


def _counts(wh: Warehouse, table: str) -> Counter[str]:
    rows = wh.query(f"select source || '.' || stream, count(*) from {table} group by 1")
    return Counter({key: int(count) for key, count in rows})


def _insert_sql(wh: Warehouse, table: str, run_id: str, seq: int) -> str:
    return (
        f"insert into {table} (source, stream, record_id, version, updated_at, "
        "payload_hash, payload, page, landed_seq, run_id, landed_at) "
        "select source, stream, record_id, version, updated_at, payload_hash, payload, page, "
        f"{seq}, {sql_literal(run_id)}, current_timestamp from landing_new"
    )
