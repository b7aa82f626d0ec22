"""`make bench`: the nightly run against the DuckDB floor, at sizes a large IT services company
reaches (issue 10; results in benchmarks/RESULTS.md).

For each size it generates the vendor pages once (cached under benchmarks/.cache, not timed),
then measures, each in a process of its own (wall time, peak RSS from wait4):
  floor        one DuckDB statement: read the time pages, aggregate billable minutes per
               project, person and month, join the rates, write DECIMAL amounts to a table;
  fixed        import what the nightly imports, start Prefect, one no-op task per step;
  nightly      `billflow nightly` on the pages into a fresh warehouse, per-task times from
               its log;
  incremental  the same warehouse after 1% of the entries changed, arriving as one new page
               in the same folder.
and prints one table with the ratios (nightly - fixed) / floor and
(incremental - fixed) / (nightly - fixed).

    .venv/bin/python benchmarks/bench.py [--sizes 100k,1m,10m]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"
BIN = Path(sys.executable).parent
AS_OF = "2026-04-01"
SIZES = {
    "100k": {"entries": 100_000, "projects": 1_000, "clients": 200, "people": 500},
    "1m": {"entries": 1_000_000, "projects": 10_000, "clients": 2_000, "people": 5_000},
    "10m": {"entries": 10_000_000, "projects": 10_000, "clients": 2_000, "people": 5_000},
}
FINISHED = re.compile(r"^(\d\d):(\d\d):(\d\d\.\d+) .*Task run '(.+?)(?:-[0-9a-f]{3})?' - Finished")
BEGUN = re.compile(r"^(\d\d):(\d\d):(\d\d\.\d+) .*Beginning flow run")


@dataclass
class Measure:
    seconds: float
    peak_rss_mb: float
    tasks: dict[str, float] = field(default_factory=dict)


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[Measure, str]:
    """Run one process; its wall time, its own peak RSS (wait4) and its output."""
    with tempfile.TemporaryFile("w+") as output:
        started = time.monotonic()
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        output.seek(0)
        text = output.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{text[-3000:]}")
    return Measure(seconds, usage.ru_maxrss / 1024), text


def pages(size: str) -> Path:
    """The size's pages, generated once."""
    folder = CACHE / size / "pages"
    if not (folder / "teamwork" / "time").is_dir():
        shutil.rmtree(folder, ignore_errors=True)
        shape = SIZES[size]
        print(f"generating {size} (cached in {folder}) ...", flush=True)
        subprocess.run(
            [str(BIN / "billflow"), "generate", "--out", str(folder), "--seed", "10",
             "--months", "3", *[f"--{k}={v}" for k, v in shape.items()]],
            check=True, cwd=ROOT,
        )  # fmt: skip
    return folder


FLOOR_SQL = """
create or replace table floor_amounts as
with logs as (
    select unnest(timelogs) as t
    from read_json('{time}/*.json', columns = {{timelogs: 'STRUCT(
        id BIGINT, projectId BIGINT, userId BIGINT, minutes INTEGER, isBillable BOOLEAN,
        timeLogged VARCHAR)[]'}})
),
minutes as (
    select t.projectId as project_id, t.userId as person_id,
           date_trunc('month', cast(t.timeLogged as timestamp)) as month,
           sum(t.minutes) as minutes
    from logs where t.isBillable group by all
),
rates as (
    select cast(regexp_extract(filename, 'project_([0-9]+)', 1) as bigint) as project_id,
           r.user.id as person_id, r.effectiveRate as rate_minor
    from (
        select filename, unnest(userRates) as r
        from read_json('{rates}/*.json', filename = true, columns = {{userRates: 'STRUCT(
            "user" STRUCT(id BIGINT), effectiveRate BIGINT)[]'}})
    )
)
select m.project_id, m.person_id, m.month, m.minutes,
       cast(round(cast(m.minutes as decimal(18, 3)) * r.rate_minor / 6000, 2) as decimal(18, 2))
           as amount
from minutes as m join rates as r using (project_id, person_id)
"""


def floor(folder: Path, workdir: Path) -> Measure:
    sql = FLOOR_SQL.format(time=folder / "teamwork" / "time", rates=folder / "teamwork" / "rates")
    script = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]); c.execute(sys.argv[2]); "
        "print(c.execute('select count(*), sum(amount) from floor_amounts').fetchone())"
    )
    measure, _ = run([sys.executable, "-c", script, str(workdir / "floor.duckdb"), sql])
    return measure


FIXED = """
import sys
from billflow import prefect_env
prefect_env.configure()
from prefect import flow, task
import flows.nightly  # what the nightly imports

@task
def step(name: str) -> str:
    return name

@flow
def fixed_cost() -> None:
    for name in sys.argv[1:]:
        step(name)

with prefect_env.without_heartbeats():
    fixed_cost()
"""
STEPS = [
    "fetch", "land", "stage", "validate", "draft", "reconcile", "issue", "pay", "age",
    "forecast", "queue", "conserve", "publish", "documents", "deliver", "report",
]  # fmt: skip


def fixed() -> Measure:
    return run([sys.executable, "-c", FIXED, *STEPS])[0]


def nightly(folder: Path, workdir: Path, as_of: str) -> Measure:
    env = dict(os.environ)
    env |= {
        "BILLFLOW_WAREHOUSE_URL": f"duckdb:///{workdir / 'warehouse.duckdb'}",
        "BILLFLOW_DOCUMENTS_DIR": str(workdir / "documents"),
        "BILLFLOW_SOURCE_DIR": str(folder),
    }
    command = [str(BIN / "billflow"), "nightly", "--as-of", as_of, "--verbose"]
    measure, text = run(command, env)
    measure.tasks = task_seconds(text)
    return measure


def task_seconds(log: str) -> dict[str, float]:
    """Each task's time: from the previous task's end (or the flow's start) to its own."""
    seconds: dict[str, float] = {}
    previous: float | None = None
    for line in log.splitlines():
        begun = BEGUN.match(line)
        if begun:
            previous = _clock(begun.groups()[:3])
            continue
        finished = FINISHED.match(line)
        if finished and previous is not None:
            now = _clock(finished.groups()[:3])
            name = finished.group(4)
            seconds[name] = seconds.get(name, 0.0) + max(now - previous, 0.0)
            previous = max(previous, now)
    return seconds


def _clock(parts: tuple[str | None, ...]) -> float:
    hours, minutes, secs = parts
    return int(str(hours)) * 3600 + int(str(minutes)) * 60 + float(str(secs))


def change_one_percent(folder: Path, entries: int) -> int:
    """Add to `folder` one page holding 1% of the entries, changed (minutes + 15, updatedAt
    later), as an updatedAfter sync would deliver them."""
    wanted = max(1, entries // 100)
    changed: list[dict[str, object]] = []
    for page in sorted((folder / "teamwork" / "time").glob("*.json")):
        picked = [e for e in json.loads(page.read_text())["timelogs"] if e["id"] % 97 == 7]
        changed += [
            entry | {"minutes": entry["minutes"] + 15, "updatedAt": "2026-04-01T01:00:00Z"}
            for entry in picked[: wanted - len(changed)]
        ]
        if len(changed) >= wanted:
            break
    (folder / "teamwork" / "time" / "page_zz_changes.json").write_text(
        json.dumps({"timelogs": changed})
    )
    return len(changed)


def bench(size: str) -> dict[str, object]:
    cached = pages(size)
    with tempfile.TemporaryDirectory(prefix="run-", dir=cached.parent) as scratch:
        workdir = Path(scratch)
        folder = workdir / "pages"  # the source folder: hard links to the cached pages
        shutil.copytree(cached, folder, copy_function=os.link)
        results: dict[str, object] = {"size": size, "entries": SIZES[size]["entries"]}
        results["floor"] = floor(folder, workdir)
        results["fixed"] = fixed()
        results["nightly"] = nightly(folder, workdir, AS_OF)
        results["changed"] = change_one_percent(folder, SIZES[size]["entries"])
        results["incremental"] = nightly(folder, workdir, "2026-04-02")
    return results


def table(all_results: list[dict[str, object]]) -> str:
    lines = [
        "| size | entries | floor s | fixed s | nightly s | incremental s | peak RSS MB "
        "| entries/s | (nightly-fixed)/floor | (incr-fixed)/(nightly-fixed) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    task_lines = []
    for r in all_results:
        fl, fx, ni, inc = (r[k] for k in ("floor", "fixed", "nightly", "incremental"))
        assert isinstance(fl, Measure) and isinstance(fx, Measure)
        assert isinstance(ni, Measure) and isinstance(inc, Measure)
        entries = int(str(r["entries"]))
        peak = max(ni.peak_rss_mb, inc.peak_rss_mb)
        lines.append(
            f"| {r['size']} | {entries:,} | {fl.seconds:.2f} | {fx.seconds:.2f} | "
            f"{ni.seconds:.2f} | {inc.seconds:.2f} | {peak:,.0f} | "
            f"{entries / ni.seconds:,.0f} | {(ni.seconds - fx.seconds) / fl.seconds:.1f} | "
            f"{(inc.seconds - fx.seconds) / (ni.seconds - fx.seconds):.2f} |"
        )
        for name, seconds in sorted(ni.tasks.items(), key=lambda item: -item[1]):
            task_lines.append(
                f"| {r['size']} | {name} | {seconds:.2f} | {inc.tasks.get(name, 0.0):.2f} |"
            )
    return "\n".join(
        [*lines, "", "| size | task | nightly s | incremental s |", "|---|---|---:|---:|",
         *task_lines]
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1m,10m", help="comma-separated: 100k, 1m, 10m")
    sizes = parser.parse_args().sizes.split(",")
    started = time.monotonic()
    results = []
    for size in sizes:
        print(f"benchmarking {size} ...", flush=True)
        results.append(bench(size))
    print(table(results))
    timed = sum(
        measure.seconds
        for result in results
        for measure in result.values()
        if isinstance(measure, Measure)
    )
    total = time.monotonic() - started
    print(f"\ntimed part: {timed:.0f} s; with generation and copies: {total:.0f} s")


if __name__ == "__main__":
    main()
