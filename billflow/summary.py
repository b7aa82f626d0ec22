"""What a run did, in figures: for the console, the Prefect artifact and audit.runs.

Figures are read from the build schema after the steps ran, so they are exactly what publish
wrote (or, in a dry run, what it would have written).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from billflow.money import format_money, half_up
from billflow.warehouse import Warehouse

Totals = dict[str, Decimal]


@dataclass
class RunSummary:
    as_of: date
    run_id: str
    dry_run: bool
    warehouse: str = ""
    pages: int = 0
    pages_skipped: int = 0
    """Pages already landed, unchanged on disk, so not read again."""
    records_new: int = 0
    records_unchanged: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    issued_count: int = 0
    issued_total: Totals = field(default_factory=dict)
    held: dict[str, str] = field(default_factory=dict)
    held_codes: list[str] = field(default_factory=list)
    open_receivables: Totals = field(default_factory=dict)
    overdue: Totals = field(default_factory=dict)
    overdue_count: int = 0
    unapplied_cash: Totals = field(default_factory=dict)
    unbilled_hours: dict[str, Decimal] = field(default_factory=dict)
    messages: dict[str, int] = field(default_factory=dict)
    forecast_13_weeks: Totals = field(default_factory=dict)
    dso_days: dict[str, Decimal | None] = field(default_factory=dict)
    ledger_invoices: int = 0
    ledger_credit_notes: int = 0
    ledger_total: Totals = field(default_factory=dict)
    duration_seconds: float = 0.0
    runs: int = 1

    def lines(self) -> list[str]:
        """The short console summary."""
        mode = " (dry run: nothing published)" if self.dry_run else ""
        runs = (
            f" ({self.runs} runs; figures landed and issued are their sum)" if self.runs > 1 else ""
        )
        return [
            f"as_of {self.as_of.isoformat()}{mode}{runs}",
            f"  landed        {self.pages} pages{_skipped(self.pages_skipped)}, "
            f"{self.records_new} new record versions, {self.records_unchanged} unchanged",
            f"  invoices      {self.issued_count} issued, {_money(self.issued_total)}",
            f"  in all        {_count(self.ledger_invoices, 'invoice')} and "
            f"{_count(self.ledger_credit_notes, 'credit note')}: "
            f"{_money(self.ledger_total)} net of credits",
            f"  drafts held   {len(self.held)}{_held(self.held, self.held_codes)}",
            f"  quarantined   {sum(self.quarantined.values())} records{_rules(self.quarantined)}",
            f"  receivables   {_money(self.open_receivables)} open; "
            f"{_money(self.overdue)} overdue ({self.overdue_count} invoices)",
            f"  unapplied     {_money(self.unapplied_cash)}",
            f"  unbilled      {_hours(self.unbilled_hours)}",
            f"  DSO           {_days(self.dso_days)}",
            f"  forecast      {_money(self.forecast_13_weeks)} expected in 13 weeks "
            "(marts.cash_forecast)",
            f"  messages      {_messages(self.messages)}",
            f"  duration      {self.duration_seconds:.1f} s",
            f"  warehouse     {self.warehouse}",
        ]

    def one_line(self) -> str:
        """One line per run, for a backfill's progress."""
        return (
            f"{self.as_of.isoformat()}  issued {self.issued_count} ({_money(self.issued_total)}), "
            f"held {len(self.held)}, open {_money(self.open_receivables)}, "
            f"{self.duration_seconds:.1f} s"
        )

    def markdown(self) -> str:
        """The flow run's artifact."""
        held_rows = "\n".join(f"| `{key}` | {reason} |" for key, reason in self.held.items())
        rules = "\n".join(f"| {rule} | {count} |" for rule, count in self.quarantined.items())
        return "\n".join(
            [
                f"# Nightly billing, as_of {self.as_of.isoformat()}"
                + (" (dry run)" if self.dry_run else ""),
                "",
                "| figure | value |",
                "|---|---|",
                f"| pages landed | {self.pages} |",
                f"| new record versions | {self.records_new} |",
                f"| invoices issued | {self.issued_count} |",
                f"| issued total | {_money(self.issued_total)} |",
                f"| drafts held | {len(self.held)} |",
                f"| records quarantined | {sum(self.quarantined.values())} |",
                f"| open receivables | {_money(self.open_receivables)} |",
                f"| overdue | {_money(self.overdue)} ({self.overdue_count} invoices) |",
                f"| unapplied cash | {_money(self.unapplied_cash)} |",
                f"| unbilled work | {_hours(self.unbilled_hours)} |",
                f"| DSO | {_days(self.dso_days)} |",
                f"| forecast, 13 weeks | {_money(self.forecast_13_weeks)} |",
                f"| messages queued | {_messages(self.messages)} |",
                f"| documents in all | {self.ledger_invoices} invoices, "
                f"{self.ledger_credit_notes} credit notes, {_money(self.ledger_total)} |",
                f"| duration | {self.duration_seconds:.1f} s |",
                "",
                "## Held drafts",
                "",
                "| draft | reasons |\n|---|---|\n" + held_rows if held_rows else "none",
                "",
                "## Quarantine",
                "",
                "| rule | records |\n|---|---|\n" + rules if rules else "none",
            ]
        )

    def as_json(self) -> dict[str, Any]:
        """JSON-safe figures (money as strings, never floats)."""
        figures: dict[str, Any] = _jsonable(asdict(self))
        return figures

    def counts(self) -> dict[str, int]:
        """The run's counts, for audit.runs.counts."""
        return {
            "pages": self.pages,
            "pages_skipped": self.pages_skipped,
            "records_new": self.records_new,
            "records_unchanged": self.records_unchanged,
            "issued": self.issued_count,
            "held": len(self.held),
            "quarantined": sum(self.quarantined.values()),
            "overdue": self.overdue_count,
            "invoices": self.ledger_invoices,
            "credit_notes": self.ledger_credit_notes,
        }

    def totals(self) -> dict[str, dict[str, str]]:
        """The run's totals per currency, amounts as strings at the currency's minor unit."""
        figures = {
            "issued": self.issued_total,
            "ledger": self.ledger_total,
            "open_receivables": self.open_receivables,
            "overdue": self.overdue,
            "unapplied_cash": self.unapplied_cash,
        }
        return {
            name: {currency: str(half_up(amount, currency)) for currency, amount in totals.items()}
            for name, totals in figures.items()
        }


def over_runs(summaries: list[RunSummary], duration_seconds: float) -> RunSummary:
    """One summary for a series of runs: what they landed and issued together, and the state
    (held drafts, quarantine, receivables) after the last."""
    last = summaries[-1]
    issued: Totals = {}
    for run in summaries:
        for currency, amount in run.issued_total.items():
            issued[currency] = issued.get(currency, Decimal(0)) + amount
    return replace(
        last,
        pages=sum(run.pages for run in summaries),
        pages_skipped=sum(run.pages_skipped for run in summaries),
        records_new=sum(run.records_new for run in summaries),
        records_unchanged=sum(run.records_unchanged for run in summaries),
        issued_count=sum(run.issued_count for run in summaries),
        issued_total=dict(sorted(issued.items())),
        duration_seconds=duration_seconds,
        runs=len(summaries),
    )


def collect(wh: Warehouse, summary: RunSummary) -> RunSummary:
    """Fill the figures from the build schema."""
    build = wh.schemas.build
    summary.issued_count = int(
        wh.scalar(f"select count(*) from {build}.int_issued_invoices where is_new")
    )
    summary.issued_total = _totals(
        wh, f"select currency, sum(total) from {build}.int_issued_invoices where is_new group by 1"
    )
    summary.held = {
        key: reason
        for key, reason in wh.query(
            f"select draft_key, hold_reasons from {build}.invoice_drafts "
            "where status = 'HELD' order by draft_key"
        )
    }
    summary.held_codes = sorted(
        {
            code
            for (codes,) in wh.query(
                f"select hold_codes from {build}.invoice_drafts where status = 'HELD'"
            )
            for code in str(codes).split(",")
        }
    )
    summary.quarantined = {
        f"{stream}: {rule}": int(count)
        for stream, rule, count in wh.query(
            f"select source || '.' || stream, rule, count(*) from {build}.quarantine_records "
            "group by 1, 2 order by 1, 2"
        )
    }
    summary.open_receivables = _totals(
        wh, f"select currency, sum(balance_due) from {build}.ar_aging group by 1"
    )
    summary.overdue = _totals(
        wh,
        f"select currency, sum(balance_due) from {build}.ar_aging "
        "where days_past_due > 0 group by 1",
    )
    summary.overdue_count = int(
        wh.scalar(f"select count(*) from {build}.ar_aging where days_past_due > 0")
    )
    summary.ledger_invoices = int(
        wh.scalar(f"select count(*) from {build}.invoices where kind = 'invoice'")
    )
    summary.ledger_credit_notes = int(
        wh.scalar(f"select count(*) from {build}.invoices where kind = 'credit_note'")
    )
    summary.ledger_total = _totals(
        wh, f"select currency, sum(total) from {build}.invoices group by 1"
    )
    summary.unapplied_cash = _totals(
        wh,
        f"select currency, sum(unapplied_amount) from {build}.payments "
        "where unapplied_amount > 0 group by 1",
    )
    summary.unbilled_hours = {
        reason: Decimal(hours)
        for reason, hours in wh.query(
            f"select reason, sum(hours) from {build}.unbilled_work group by 1 order by 2 desc, 1"
        )
    }
    summary.dso_days = {
        currency: None if dso is None else Decimal(dso)
        for currency, dso in wh.query(f"select currency, dso from {build}.kpis order by 1")
    }
    summary.forecast_13_weeks = _totals(
        wh,
        f"select currency, sum(expected_amount) from {build}.cash_forecast group by 1 "
        "having sum(expected_amount) <> 0",
    )
    summary.messages = {
        kind: int(count)
        for kind, count in wh.query(
            f"select kind, count(*) from {build}.outbox "
            f"where created_on = date '{summary.as_of.isoformat()}' group by 1 order by 1"
        )
    }
    return summary


def _totals(wh: Warehouse, sql: str) -> Totals:
    return {currency: Decimal(amount) for currency, amount in sorted(wh.query(sql))}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _skipped(pages: int) -> str:
    return f" ({pages} already landed, not read again)" if pages else ""


def _money(totals: Totals) -> str:
    if not totals:
        return "0.00"
    return ", ".join(format_money(amount, currency) for currency, amount in totals.items())


def _hours(by_reason: dict[str, Decimal]) -> str:
    if not by_reason:
        return "none"
    total = sum(by_reason.values(), Decimal(0))
    parts = ", ".join(f"{reason} {hours}" for reason, hours in by_reason.items())
    return f"{total} h billable, not on a draft or invoice ({parts}; marts.unbilled_work)"


def _days(by_currency: dict[str, Decimal | None]) -> str:
    if not by_currency:
        return "none"
    return ", ".join(
        f"{currency} {'n/a' if days is None else f'{days} days'}"
        for currency, days in by_currency.items()
    )


def _messages(by_kind: dict[str, int]) -> str:
    if not by_kind:
        return "none new (marts.outbox)"
    parts = ", ".join(f"{kind} {count}" for kind, count in by_kind.items())
    return f"{sum(by_kind.values())} new ({parts}; marts.outbox, marts.reminders)"


def _held(held: dict[str, str], codes: list[str]) -> str:
    if not held:
        return ""
    return f" ({', '.join(codes)}): {', '.join(held)}"


def _rules(quarantined: dict[str, int]) -> str:
    if not quarantined:
        return ""
    return " (" + ", ".join(f"{rule} {count}" for rule, count in quarantined.items()) + ")"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal | date):
        return str(value)
    return value
