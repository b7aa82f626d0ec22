"""Source data for billflow: scenarios rendered as the vendor pages docs/sources.md specifies.

A scenario is either written by hand (data/sample.yml, read by `load_scenario`) or drawn at
random for a seed (`random_scenario`, up to millions of time entries). `write_pages` renders
either into `<out>/<source>/<stream>/*.json`, the folder `billflow nightly --source-dir`
reads. `render` and `generate` are the two CLI entry points.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from billflow.generator.builder import random_scenario
from billflow.generator.loader import load_scenario
from billflow.generator.model import Scenario, ScenarioError
from billflow.generator.writer import STREAMS, write_pages

SAMPLE_INDENT = 2
"""Hand-written scenarios are rendered indented, to be read and reviewed in git."""

__all__ = [
    "STREAMS",
    "Scenario",
    "ScenarioError",
    "generate",
    "load_scenario",
    "random_scenario",
    "render",
    "write_pages",
]


def render(scenario_path: Path, out: Path, *, indent: int | None = SAMPLE_INDENT) -> dict[str, int]:
    """Render the scenario file `scenario_path` into `out`; records written per stream."""
    return write_pages(load_scenario(scenario_path), out, indent=indent)


def generate(  # noqa: PLR0917 - the CLI's agreed positional signature
    out: Path,
    seed: int,
    clients: int,
    projects: int,
    people: int,
    entries: int,
    months: int,
    start: dt.date = dt.date(2026, 1, 1),
) -> dict[str, int]:
    """Render a random scenario into `out` as compact JSON; records written per stream."""
    scenario = random_scenario(seed, clients, projects, people, entries, months, start)
    return write_pages(scenario, out)
