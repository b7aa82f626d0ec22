"""Random time entries as a lazy sequence: counted up front, regenerated on each iteration.

Ten million entries would take gigabytes as objects; this holds only the seed and the staffing
plan, and every iteration replays the same `random.Random(seed)` stream, so the entries are
identical each time and the pages stream out one at a time.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from billflow.generator.model import TimeEntry
from billflow.generator.names import DESCRIPTIONS

FIRST_ENTRY_ID = 1_000_001
BILLABLE_SHARE = 0.85
BAD_SHARE = 0.001
"""Share of zero-minute entries: docs/sources.md quarantines them (`minutes_not_positive`)."""
TIMED_SHARE = 0.2
"""Share of entries logged with a start time (`hasStartTime` true) instead of a day."""
TASK_SHARE = 0.9
MAX_QUARTERS = 40
"""Entries last 15 to 600 minutes, in quarter hours."""


@dataclass(frozen=True)
class Staffing:
    """Who works on a project and on which tasks: all an entry needs to be drawn."""

    project_id: int
    person_ids: tuple[int, ...]
    task_ids: tuple[int, ...]


@dataclass(frozen=True)
class RandomTimeEntries:
    """`count` entries over `days` days from `start`, in date order, ids from FIRST_ENTRY_ID.

    `bad_index` is always a zero-minute entry, so even a small scenario has one to quarantine.
    """

    seed: int
    count: int
    start: dt.date
    days: int
    staffing: tuple[Staffing, ...]
    bad_index: int

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[TimeEntry]:
        rng = random.Random(self.seed)
        days = [self.start + dt.timedelta(days=offset) for offset in range(self.days)]
        for index in range(self.count):
            yield self._entry(rng, index, days[index * self.days // self.count])

    def _entry(self, rng: random.Random, index: int, day: dt.date) -> TimeEntry:
        draw = rng.random
        plan = self.staffing[int(draw() * len(self.staffing))]
        minutes = 15 * (1 + int(draw() * MAX_QUARTERS))
        if draw() < BAD_SHARE or index == self.bad_index:
            minutes = 0
        task_id = None
        if plan.task_ids and draw() < TASK_SHARE:
            task_id = plan.task_ids[int(draw() * len(plan.task_ids))]
        timed = draw() < TIMED_SHARE
        return TimeEntry(
            id=FIRST_ENTRY_ID + index,
            project_id=plan.project_id,
            person_id=plan.person_ids[int(draw() * len(plan.person_ids))],
            task_id=task_id,
            date=None if timed else day,
            at=_start_time(draw, day) if timed else None,
            minutes=minutes,
            billable=draw() < BILLABLE_SHARE,
            description=DESCRIPTIONS[int(draw() * len(DESCRIPTIONS))],
        )


def _start_time(draw: Callable[[], float], day: dt.date) -> dt.datetime:
    """A start on a quarter hour of `day`, any hour UTC (some cross midnight in New York)."""
    quarter = int(draw() * 96)
    return dt.datetime(day.year, day.month, day.day, quarter // 4, quarter % 4 * 15, tzinfo=dt.UTC)
