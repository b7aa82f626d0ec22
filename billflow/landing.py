"""Land pages into `raw.records`: split into records, keyed, versioned, append-only.

Pages are read in batches of about `landing_batch_mb` of files, so memory stays bounded
whatever the size of a landing. Each batch commits with the record of its pages, the last one
with the live streams' bookmarks too: a landing of one batch (any ordinary night) is one
transaction, and a bad page leaves the warehouse exactly as it was; in a landing of many,
the batches before the bad one stay landed (raw is append-only and every version in it is
true), the bookmarks do not move, and the rerun reads only the pages not landed yet. A page
file already landed (`raw.landed_pages`: same path, size, modification and change time) is
not read again.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from billflow.bookmarks import move as move_bookmarks
from billflow.dialects import load_pages_duckdb, load_pages_postgres
from billflow.errors import InvalidPageError, one_line
from billflow.warehouse import Warehouse, sql_list, sql_literal
from connectors.base import Page
from connectors.streams import Stream

_MB = 1024 * 1024
_RECORD_BATCH = 5000


@dataclass(frozen=True)
class LandingResult:
    pages: int
    records: Counter[str]
    new_versions: Counter[str]
    skipped: int = 0
    """Pages not read again: landed before and unchanged on disk."""

    @property
    def unchanged(self) -> int:
        return sum(self.records.values()) - sum(self.new_versions.values())


@dataclass(frozen=True)
class _File:
    page: Page
    size: int
    modified_ns: int
    changed_ns: int

    @property
    def name(self) -> str:
        return str(self.page.path)


def land_pages(
    wh: Warehouse,
    pages: list[Page],
    run_id: str,
    *,
    dry_run: bool = False,
    bookmarks: Mapping[str, str] | None = None,
) -> LandingResult:
    """Check every page not landed yet, add the record versions raw does not hold yet,
    record the pages and move the live streams' `bookmarks` (transactions: see above). A
    dry run writes nothing to raw and moves no bookmark: the run reads raw plus its new
    versions through a view in the build schema instead (`wh.inputs`)."""
    files = _unlanded(wh, [_stat(page) for page in pages])
    seq = int(wh.scalar(f"select coalesce(max(landed_seq), 0) + 1 from {wh.schemas.raw}.records"))
    target, stored = _prepare(wh, dry_run)
    batches = list(_batches(files, wh.settings.landing_batch_mb * _MB)) or [[]]
    records: Counter[str] = Counter()
    new_versions: Counter[str] = Counter()
    for number, batch in enumerate(batches):
        with nullcontext() if dry_run else wh.transaction():
            read, added = _land_batch(wh, batch, run_id, seq + number, target=target, stored=stored)
            if not dry_run:
                _record_pages(wh, batch, run_id)
                if number == len(batches) - 1:
                    move_bookmarks(wh, bookmarks or {}, run_id)
        records += read
        new_versions += added
    return LandingResult(len(files), records, new_versions, len(pages) - len(files))


def _stat(page: Page) -> _File:
    try:
        status = page.path.stat()
    except OSError as exc:
        raise InvalidPageError(f"{page.path}: cannot be read ({exc.strerror})") from None
    return _File(page, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def _unlanded(wh: Warehouse, files: list[_File]) -> list[_File]:
    """The files raw.landed_pages does not hold with the same size and times."""
    if not files:
        return []
    names = sorted({file.name for file in files})
    landed = {
        (str(page), int(size), int(modified), int(changed))
        for page, size, modified, changed in wh.query(
            f"select page, size_bytes, modified_ns, changed_ns from {wh.schemas.raw}.landed_pages "
            f"where page in ({sql_list(names)})"
        )
    }
    return [
        file
        for file in files
        if (file.name, file.size, file.modified_ns, file.changed_ns) not in landed
    ]


def _batches(files: list[_File], limit: int) -> Iterator[list[_File]]:
    """Consecutive pages (their order kept) adding up to about `limit` bytes each."""
    batch: list[_File] = []
    size = 0
    for file in files:
        if batch and size + file.size > limit:
            yield batch
            batch, size = [], 0
        batch.append(file)
        size += file.size
    if batch:
        yield batch


def _prepare(wh: Warehouse, dry_run: bool) -> tuple[str, str]:
    """Where new versions go and what they are compared with: raw.records itself, or for a
    dry run a build table and the view of raw plus it (read by the run as `wh.inputs`)."""
    wh.execute(
        f"create or replace temp table landing_records (source text, stream text, page text, "
        f"record_id text, updated_at text, payload_hash text, payload {wh.dialect.json})"
        if wh.dialect.name == "duckdb"
        else "create temp table if not exists landing_records (source text, stream text, "
        "page text, record_id text, updated_at text, payload_hash text, payload jsonb)"
    )
    raw = f"{wh.schemas.raw}.records"
    if not dry_run:
        return raw, raw
    build = wh.schemas.build
    wh.replace_table(f"{build}.dry_run_landed", f"select * from {raw} where false")
    wh.execute(
        f"create or replace view {build}.dry_run_records as select * from {raw} "
        f"union all select * from {build}.dry_run_landed"
    )
    wh.inputs.records = f"{build}.dry_run_records"
    return f"{build}.dry_run_landed", f"{build}.dry_run_records"


def _land_batch(
    wh: Warehouse,
    files: list[_File],
    run_id: str,
    seq: int,
    *,
    target: str,
    stored: str,
) -> tuple[Counter[str], Counter[str]]:
    """Read one batch of pages and insert its new versions into `target` as landing `seq`;
    the batch's records read and versions added, by stream."""
    _load(wh, files)
    wh.execute("delete from landing_records")
    try:
        for stream, names in _by_stream(files).items():
            wh.execute(_extract_sql(wh, stream, names))
    except Exception:
        _refuse_invalid_json(files)
        raise
    wh.execute("drop table if exists landing_pages")
    _refuse_records_without_id(wh)
    records = _counts(wh, "landing_records")
    wh.replace_table(
        "landing_new", wh.render("landing/new_versions.sql", seq=seq, stored=stored), temp=True
    )
    new_versions = _counts(wh, "landing_new")
    wh.execute(_insert_sql(target, run_id, seq))
    return records, new_versions


def _record_pages(wh: Warehouse, files: list[_File], run_id: str) -> None:
    table = f"{wh.schemas.raw}.landed_pages"
    for start in range(0, len(files), _RECORD_BATCH):
        chunk = files[start : start + _RECORD_BATCH]
        wh.execute(f"delete from {table} where page in ({sql_list([f.name for f in chunk])})")
    landed_at = wh.scalar("select cast(current_timestamp as timestamp)")  # as raw.records
    wh.insert_rows(
        table,
        ("page", "size_bytes", "modified_ns", "changed_ns", "run_id", "landed_at"),
        [(f.name, f.size, f.modified_ns, f.changed_ns, run_id, landed_at) for f in files],
    )


def _load(wh: Warehouse, files: list[_File]) -> None:
    """The batch's page texts into the temp table `landing_pages`. DuckDB reads the files
    itself, and finds invalid JSON when the records are extracted (`_refuse_invalid_json`)."""
    names = [file.name for file in files]
    if wh.dialect.name == "duckdb":
        try:
            load_pages_duckdb(wh.execute, names)
        except Exception as exc:
            raise InvalidPageError(f"could not read the pages: {one_line(exc)}") from exc
        return
    texts = [(name, _read_json_text(Path(name))) for name in names]
    load_pages_postgres(wh._conn, texts)


def _refuse_invalid_json(files: list[_File]) -> None:
    """Raise InvalidPageError naming the first page that is not valid JSON, if any."""
    for file in files:
        _read_json_text(file.page.path)


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


def _by_stream(files: list[_File]) -> dict[Stream, list[str]]:
    grouped: dict[Stream, list[str]] = {}
    for file in files:
        grouped.setdefault(file.page.stream, []).append(file.name)
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


def _insert_sql(table: str, run_id: str, seq: int) -> str:
    return (
        f"insert into {table} (source, stream, record_id, version, updated_at, "
        "payload_hash, payload, page, landed_seq, run_id, landed_at) "
        "select source, stream, record_id, version, updated_at, payload_hash, payload, page, "
        f"{seq}, {sql_literal(run_id)}, current_timestamp from landing_new"
    )
