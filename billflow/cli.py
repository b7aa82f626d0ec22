"""The `billflow` command.

    billflow nightly  [--as-of DATE] [--source-dir DIR] [--warehouse URL] [--dry-run]
    billflow backfill --from DATE --to DATE [--every DAYS] [--source-dir DIR] [--warehouse URL]
    billflow rerun --period YYYY-MM [--client ID] [--apply] [--as-of DATE] [--source-dir DIR]
    billflow generate --out DIR (--scenario FILE | --seed S --clients N --projects N
                      --people N --entries N --months M [--start DATE])
    billflow sql "select ..." [--warehouse URL]
    billflow report [--as-of DATE] [--currency CUR] [--warehouse URL]
    billflow serve
    billflow status [--limit N] [--warehouse URL]
    billflow contract cancel CODE --reason TEXT --by NAME [--as-of DATE]
    billflow contract liquidate CODE --record REF --by NAME [--as-of DATE]
    billflow invoice credit INVOICE --reason TEXT --by NAME [--lines 1,3] [--as-of DATE]
    billflow review list [--all]
    billflow review show DRAFT
    billflow review release DRAFT --note TEXT --by NAME [--as-of DATE]
    billflow review discard DRAFT --note TEXT --by NAME [--as-of DATE]
    billflow audit verify [--warehouse URL]
    billflow grants [--prefix P] [--accountant LOGIN] [--sales-manager LOGIN]
                    [--rep LOGIN=OWNER_ID] [--remove LOGIN] [--warehouse URL]

Errors a user can fix print as one line and exit 1; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from billflow import prefect_env
from billflow.errors import BillflowError, one_line, out_of_memory
from billflow.summary import over_runs


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except BillflowError as exc:
        if args.debug:
            raise
        print(f"billflow: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("billflow: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (head, less) went away: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        if args.debug:
            raise
        if advice := out_of_memory(exc):
            print(f"billflow: {advice}", file=sys.stderr)
            return 1
        print(
            f"billflow: unexpected error: {type(exc).__name__}: {one_line(exc)} "
            "(this is a bug or an unreadable input; run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="billflow", description="Deal-to-cash billing: CRM deals, timesheets, payments."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _nightly_parser(commands)
    _backfill_parser(commands)
    _rerun_parser(commands)
    _generate_parser(commands)
    _webhooks_parser(commands)
    _sql_parser(commands)
    _report_parser(commands)
    _serve_parser(commands)
    _status_parser(commands)
    _contract_parser(commands)
    _invoice_parser(commands)
    _review_parser(commands)
    _audit_parser(commands)
    _grants_parser(commands)
    return parser


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source-dir", type=Path, help="folder of vendor pages (docs/sources.md)")
    parser.add_argument(
        "--source",
        choices=("files", "live"),
        help="files: pages in --source-dir; live: the vendors' APIs (default: setting source)",
    )
    parser.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse")
    parser.add_argument("--verbose", action="store_true", help="show each task's log line")


def _nightly_parser(commands: Any) -> None:
    parser = commands.add_parser("nightly", help="run the nightly billing flow once")
    parser.add_argument("--as-of", type=_date, help="business date (default: today, company tz)")
    parser.add_argument(
        "--dry-run", action="store_true", help="compute everything, publish nothing"
    )
    _run_options(parser)
    parser.set_defaults(handler=_nightly)


def _backfill_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "backfill", help="run the nightly flow for each date from --from to --to, in order"
    )
    parser.add_argument("--from", dest="start", type=_date, required=True)
    parser.add_argument("--to", dest="end", type=_date, required=True)
    parser.add_argument("--every", type=int, default=1, help="days between runs (default 1)")
    _run_options(parser)
    parser.set_defaults(handler=_backfill)


def _rerun_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "rerun",
        help="recompute the billing periods ending in a month; show the difference, or apply it",
    )
    parser.add_argument("--period", required=True, help="YYYY-MM: every period ending in it")
    parser.add_argument("--client", help="only this client (HubSpot company id)")
    parser.add_argument(
        "--apply", action="store_true", help="write what the dry run shows (default: dry run)"
    )
    parser.add_argument("--as-of", type=_date, help="business date (default: today, company tz)")
    _run_options(parser)
    parser.set_defaults(handler=_rerun)


def _generate_parser(commands: Any) -> None:
    parser = commands.add_parser("generate", help="write vendor-shaped source pages")
    parser.add_argument("--out", type=Path, required=True, help="folder to write")
    parser.add_argument("--scenario", type=Path, help="a scenario YAML (like data/sample.yml)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--start", type=_date, default=date(2026, 1, 1))
    parser.set_defaults(handler=_generate)


def _command_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--by", default=_login(), help="who acts, recorded (default: your login name)"
    )
    parser.add_argument("--as-of", type=_date, help="the date it takes effect (default today)")
    parser.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse")


def _contract_parser(commands: Any) -> None:
    parser = commands.add_parser("contract", help="cancel or liquidate a contract")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    cancel = actions.add_parser("cancel", help="cancel a DRAFTING or SIGNED contract")
    cancel.add_argument("code", help="contract code, e.g. C-18405")
    cancel.add_argument("--reason", required=True, help="why (recorded)")
    _command_options(cancel)
    cancel.set_defaults(handler=_contract_cancel)
    liquidate = actions.add_parser("liquidate", help="close out a COMPLETED contract")
    liquidate.add_argument("code", help="contract code")
    liquidate.add_argument("--record", required=True, help="the liquidation record reference")
    _command_options(liquidate)
    liquidate.set_defaults(handler=_contract_liquidate)


def _invoice_parser(commands: Any) -> None:
    parser = commands.add_parser("invoice", help="credit an issued invoice")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    credit = actions.add_parser("credit", help="issue a credit note for an invoice or its lines")
    credit.add_argument("invoice", help="invoice number, e.g. INV-2026-000005")
    credit.add_argument("--reason", required=True, help="why (printed on the credit note)")
    credit.add_argument("--lines", type=_line_numbers, help="line numbers, e.g. 1,3 (default all)")
    _command_options(credit)
    credit.set_defaults(handler=_invoice_credit)


def _review_parser(commands: Any) -> None:
    parser = commands.add_parser("review", help="list, show, release or discard held drafts")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the drafts held by reconciliation")
    listing.add_argument("--all", action="store_true", help="READY and DISCARDED drafts too")
    listing.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse")
    listing.set_defaults(handler=_review_list)
    show = actions.add_parser("show", help="a draft's checks and lines")
    show.add_argument("draft", help="draft key, e.g. C-18403:time:2026-03")
    show.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse")
    show.set_defaults(handler=_review_show)
    for action, text in (
        ("release", "issue a held draft on the next run, exactly as it stands"),
        ("discard", "keep a draft from being issued while its lines stay the same"),
    ):
        decide = actions.add_parser(action, help=text)
        decide.add_argument("draft", help="draft key, e.g. C-18403:time:2026-03")
        decide.add_argument("--note", required=True, help="why (recorded)")
        _command_options(decide)
        decide.set_defaults(handler=_review_decide, decision=action)


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _line_numbers(text: str) -> list[int]:
    try:
        numbers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of line numbers") from None
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError("line numbers start at 1")
    return numbers


def _command_context(args: argparse.Namespace) -> tuple[Any, date]:
    from datetime import datetime

    from billflow.config import load_settings

    settings = load_settings().with_overrides(warehouse_url=args.warehouse)
    return settings, args.as_of or datetime.now(settings.tz).date()


def _contract_cancel(args: argparse.Namespace) -> int:
    from billflow.commands import cancel_contract

    settings, acted_on = _command_context(args)
    print(cancel_contract(settings, args.code, args.reason, args.by, acted_on))
    return 0


def _contract_liquidate(args: argparse.Namespace) -> int:
    from billflow.commands import liquidate_contract

    settings, acted_on = _command_context(args)
    print(liquidate_contract(settings, args.code, args.record, args.by, acted_on))
    return 0


def _invoice_credit(args: argparse.Namespace) -> int:
    from billflow.commands import credit_invoice

    settings, acted_on = _command_context(args)
    print(
        credit_invoice(
            settings,
            args.invoice,
            reason=args.reason,
            actor=args.by,
            acted_on=acted_on,
            lines=args.lines,
        )
    )
    return 0


def _review_list(args: argparse.Namespace) -> int:
    from billflow.config import load_settings
    from billflow.review import list_drafts

    print(list_drafts(load_settings().with_overrides(warehouse_url=args.warehouse), args.all))
    return 0


def _review_show(args: argparse.Namespace) -> int:
    from billflow.config import load_settings
    from billflow.review import show_draft

    print(show_draft(load_settings().with_overrides(warehouse_url=args.warehouse), args.draft))
    return 0


def _review_decide(args: argparse.Namespace) -> int:
    from billflow.review import discard_draft, release_draft

    settings, acted_on = _command_context(args)
    decide = release_draft if args.decision == "release" else discard_draft
    print(decide(settings, args.draft, args.note, args.by, acted_on))
    return 0


def _grants_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "grants",
        help="PostgreSQL: create the roles (accountant, sales manager, sales rep), their grants "
        "and row-level security; add or remove logins; safe to rerun",
    )
    parser.add_argument(
        "--prefix",
        "--role-prefix",
        dest="role_prefix",
        help="role name prefix (default: setting role_prefix, billflow_)",
    )
    member = {"action": "append", "default": [], "metavar": "LOGIN"}
    parser.add_argument("--accountant", help="make LOGIN an accountant", **member)
    parser.add_argument("--sales-manager", help="make LOGIN a sales manager", **member)
    parser.add_argument(
        "--rep",
        action="append",
        default=[],
        type=_rep,
        metavar="LOGIN=OWNER_ID",
        help="make LOGIN a sales rep seeing the deals of HubSpot owner OWNER_ID",
    )
    parser.add_argument(
        "--remove", help="take LOGIN out of the three roles, forget its owner ids", **member
    )
    parser.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse (PostgreSQL)")
    parser.set_defaults(handler=_grants)


def _rep(text: str) -> tuple[str, str]:
    from billflow.grants import parse_rep

    try:
        return parse_rep(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _grants(args: argparse.Namespace) -> int:
    from billflow.config import load_settings
    from billflow.grants import Members, apply_grants

    settings = load_settings().with_overrides(
        warehouse_url=args.warehouse, role_prefix=args.role_prefix
    )
    members = Members(args.accountant, args.sales_manager, args.rep, args.remove)
    print("\n".join(apply_grants(settings, members)))
    return 0


def _audit_parser(commands: Any) -> None:
    parser = commands.add_parser("audit", help="check the audit trail")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify", help="re-walk the hash chain of audit.events; exit 1 naming each broken row"
    )
    verify.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse")
    verify.set_defaults(handler=_audit_verify)


def _audit_verify(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from billflow.audit import verify
    from billflow.config import load_settings
    from billflow.warehouse import Warehouse

    settings = load_settings().with_overrides(warehouse_url=args.warehouse)
    if settings.warehouse_url.startswith("duckdb:"):
        path = Path(make_url(settings.warehouse_url).database or ":memory:")
        if not path.exists():
            raise BillflowError(f"no warehouse at {path}: run billflow nightly first")
    wh = Warehouse(settings)
    try:
        count, problems = verify(wh)
    finally:
        wh.close()
    for problem in problems:
        print(problem)
    if problems:
        print(f"audit.events: {count} events, {len(problems)} problem(s) found")
        return 1
    print(f"audit.events: {count} events, chain intact")
    return 0


def _serve_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "serve", help="serve the deployments (nightly, reconciliation-rerun, source-sync)"
    )
    parser.add_argument("--verbose", action="store_true", help="show each task's log line")
    parser.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    prefect_env.configure(verbose=args.verbose)
    prefect_env.exit_cleanly_on_sigterm()
    from prefect.settings import PREFECT_API_URL

    from billflow.config import load_settings
    from billflow.serving import serve_all

    if not PREFECT_API_URL.value():
        raise BillflowError(
            "billflow serve needs a Prefect server: start one (prefect server start) and set "
            "PREFECT_API_URL, e.g. http://127.0.0.1:4200/api (docs/operations.md)"
        )
    serve_all(load_settings())
    return 0


def _status_parser(commands: Any) -> None:
    parser = commands.add_parser("status", help="the last runs: counts, totals, durations")
    parser.add_argument("--limit", type=int, default=10, help="how many runs (default 10)")
    parser.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse")
    parser.set_defaults(handler=_status)


def _status(args: argparse.Namespace) -> int:
    from billflow import status
    from billflow.config import load_settings

    print(status.render(load_settings().with_overrides(warehouse_url=args.warehouse), args.limit))
    return 0


def _sql_parser(commands: Any) -> None:
    parser = commands.add_parser("sql", help="run a read-only query on the warehouse")
    parser.add_argument("query", help='e.g. "select * from marts.invoices"')
    parser.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse")
    parser.set_defaults(handler=_sql)


def _sql(args: argparse.Namespace) -> int:
    from billflow.config import load_settings
    from billflow.query import format_table, run_query

    settings = load_settings().with_overrides(warehouse_url=args.warehouse)
    print(format_table(*run_query(settings, args.query)))
    return 0


def _report_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "report", help="the finance report: one HTML page of the marts (docs/report.md)"
    )
    parser.add_argument(
        "--as-of", type=_date, help="the latest run's as_of, the one the marts hold (default)"
    )
    parser.add_argument("--currency", help="only this currency, e.g. USD (default: every one)")
    parser.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse")
    parser.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from billflow.config import load_settings
    from billflow.report import write_report

    settings = load_settings().with_overrides(warehouse_url=args.warehouse)
    print(f"report written to {write_report(settings, args.as_of, args.currency)}")
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _flow_runner(args: argparse.Namespace) -> Callable[..., Any]:
    """Import Prefect only now, after its environment is set."""
    prefect_env.configure(verbose=args.verbose)
    prefect_env.exit_cleanly_on_sigterm()
    from flows.nightly import nightly_billing

    prefect_env.strip_console_tracebacks()

    def run(as_of: date | None, dry_run: bool = False) -> Any:
        with prefect_env.without_heartbeats():
            return nightly_billing(
                as_of=as_of,
                dry_run=dry_run,
                source_dir=str(args.source_dir) if args.source_dir else None,
                warehouse_url=args.warehouse,
                source=args.source,
            )

    return run


def _rerun(args: argparse.Namespace) -> int:
    prefect_env.configure(verbose=args.verbose)
    prefect_env.exit_cleanly_on_sigterm()
    from flows.rerun import reconciliation_rerun

    prefect_env.strip_console_tracebacks()
    with prefect_env.without_heartbeats():
        report = reconciliation_rerun(
            period=args.period,
            client=args.client,
            dry_run=not args.apply,
            as_of=args.as_of,
            source_dir=str(args.source_dir) if args.source_dir else None,
            warehouse_url=args.warehouse,
            source=args.source,
        )
    print("\n".join(report.lines()))
    return 0


def _nightly(args: argparse.Namespace) -> int:
    summary = _flow_runner(args)(args.as_of, args.dry_run)
    print("\n".join(summary.lines()))
    return 0


def _backfill(args: argparse.Namespace) -> int:
    if args.end < args.start or args.every < 1:
        raise BillflowError("backfill needs --from <= --to and --every >= 1")
    run = _flow_runner(args)
    started = time.monotonic()
    summaries = []
    for as_of in backfill_dates(args.start, args.end, args.every):
        summaries.append(run(as_of))
        print(summaries[-1].one_line(), flush=True)
    print("\n".join(over_runs(summaries, time.monotonic() - started).lines()))
    return 0


def backfill_dates(start: date, end: date, every: int) -> list[date]:
    """start, start + every, ... up to end, and end itself."""
    days = list(range(0, (end - start).days + 1, every))
    dates = [start + timedelta(days=offset) for offset in days]
    return dates if dates[-1] == end else [*dates, end]


def _webhooks_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "webhooks", help="receive Stripe webhooks into the landing folder (never the warehouse)"
    )
    parser.add_argument(
        "--landing",
        type=Path,
        help="folder the next run reads (default: setting landing_dir with the live source, "
        "else source_dir)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8787, help="port to listen on")
    parser.set_defaults(handler=_webhooks)


def _webhooks(args: argparse.Namespace) -> int:
    import uvicorn

    from billflow.config import load_settings
    from billflow.errors import ConfigError
    from connectors.stripe_webhook import create_app

    settings = load_settings()
    if settings.stripe_webhook_secret is None:
        raise ConfigError(
            "set BILLFLOW_STRIPE_WEBHOOK_SECRET to the endpoint's signing secret (whsec_..., "
            "Stripe dashboard > Developers > Webhooks); it is never printed"
        )
    landing = args.landing or (
        settings.landing_dir if settings.source == "live" else settings.source_dir
    )
    app = create_app(landing, settings.stripe_webhook_secret.get_secret_value())
    print(f"receiving Stripe events on http://{args.host}:{args.port}/stripe/webhook into "
          f"{landing / 'stripe' / 'events'}")  # fmt: skip
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def _generate(args: argparse.Namespace) -> int:
    from billflow import generator

    if args.scenario:
        counts = generator.render(args.scenario, args.out)
    else:
        counts = generator.generate(
            args.out,
            seed=args.seed,
            clients=args.clients,
            projects=args.projects,
            people=args.people,
            entries=args.entries,
            months=args.months,
            start=args.start,
        )
    total = sum(counts.values())
    print(
        f"wrote {total} records to {args.out}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
