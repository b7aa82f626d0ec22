"""Timestamps as each vendor writes them, and parsing of the scenario's own."""

from __future__ import annotations

import datetime as dt
import functools

UTC = dt.UTC


def parse_timestamp(value: object) -> dt.datetime:
    """An aware UTC datetime from ISO text (`...Z`, an offset, or naive UTC) or a datetime."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError(f"expected an ISO timestamp, got {value!r}")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_day(value: object) -> dt.date:
    """A calendar date from `YYYY-MM-DD` text or a YAML date."""
    if isinstance(value, dt.datetime):
        raise ValueError(f"expected a date without a time, got {value!r}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}")


def iso_z(moment: dt.datetime) -> str:
    """Teamwork's form: `2026-03-31T22:30:00Z` (whole seconds)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def hubspot_ts(moment: dt.datetime) -> str:
    """HubSpot's form, always with milliseconds: `2026-03-31T22:30:00.000Z`."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def unix_seconds(moment: dt.datetime) -> int:
    """Stripe's form: integer Unix seconds."""
    return int(moment.timestamp())


@functools.lru_cache(maxsize=4096)
def day_at(day: dt.date, hour: int) -> str:
    """`day` at `hour`:00 UTC in Teamwork's form; cached because every timelog needs two."""
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day-of-month `months` later, clamped to 28 (enough for window arithmetic)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, min(day.day, 28))
