"""Roles and row-level security on PostgreSQL (issue 8, seed 003): `billflow grants`, then a
login of each role connects as itself and reads and writes what docs/operations.md says, and
nothing else; a later nightly run publishes and the policies still filter.

The sample company is billed without Prefect (tests/helpers.py ScenarioCase) on 16 March and 15
April 2026. Its deals have two HubSpot owners: 910901 (C-18425 DRAFTING on 16 March, SIGNED by
15 April) and 910902 (C-18405 DRAFTING on both dates). Every expected row set is read from the
marts as the owner (the role that runs the flows). Roles are cluster-wide: the test's role
prefix and logins have a unique tag, and are dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors
from sqlalchemy.engine import make_url

from billflow.cli import main
from billflow.contracts import load_layer
from billflow.grants import REP_TABLES, RoleNames
from tests.conftest import POSTGRES_URL, warehouse_env
from tests.helpers import ScenarioCase, sample_scenario

MARCH_16 = date(2026, 3, 16)
APRIL_15 = date(2026, 4, 15)
REP_1, REP_2 = "910901", "910902"

_URL = make_url(POSTGRES_URL)


@dataclass(frozen=True)
class Logins:
    tag: str

    @property
    def roles(self) -> RoleNames:
        return RoleNames(f"r{self.tag}_")

    @property
    def accountant(self) -> str:
        return f"r{self.tag}_alice"

    @property
    def manager(self) -> str:
        return f"r{self.tag}_bob"

    @property
    def rep_1(self) -> str:
        return f"r{self.tag}_carol"

    @property
    def rep_2(self) -> str:
        return f"r{self.tag}_dan"

    @property
    def outsider(self) -> str:
        return f"r{self.tag}_eve"

    def people(self) -> list[str]:
        return [self.accountant, self.manager, self.rep_1, self.rep_2, self.outsider]


def connect(user: str) -> psycopg.Connection[Any]:
    """A connection as `user` (the test's logins have no password: trust authentication)."""
    password = _URL.password if user == _URL.username else None
    return psycopg.connect(
        host=_URL.host,
        port=_URL.port or 5432,
        dbname=_URL.database,
        user=user,
        password=password,
        autocommit=True,
    )


@pytest.fixture
def logins() -> Iterator[Logins]:
    """Five login roles of the test's own, and afterwards every role of its tag dropped."""
    found = Logins(uuid.uuid4().hex[:8])
    admin = connect(str(_URL.username))
    try:
        for login in found.people():
            admin.execute(f"create role {login} login")
        yield found
    finally:
        for role in [*found.people(), *found.roles.groups()]:
            if admin.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone():
                admin.execute(f"reassign owned by {role} to current_user")
                admin.execute(f"drop owned by {role}")
                admin.execute(f"drop role {role}")
        admin.close()


@pytest.fixture
def case(tmp_path: Path, logins: Logins) -> Iterator[ScenarioCase]:
    """The sample company on a PostgreSQL warehouse of its own (schemas dropped afterwards,
    then `logins` drops the roles)."""
    with warehouse_env("postgres", tmp_path) as settings:
        yield ScenarioCase(settings, sample_scenario(), tmp_path / "case")


class Session:
    """A login's own connection, with the schema names of the test's warehouse."""

    def __init__(self, user: str, case: ScenarioCase) -> None:
        self.user = user
        self.connection = connect(user)
        self.names = {layer: f"{case.settings.schema_prefix}{layer}" for layer in LAYERS}

    def sql(self, text: str) -> str:
        return text.format(**self.names)

    def rows(self, text: str) -> list[tuple[Any, ...]]:
        return self.connection.execute(self.sql(text)).fetchall()

    def count(self, table: str) -> int:
        return int(self.rows(f"select count(*) from {table}")[0][0])

    def changes(self, text: str) -> int:
        """Rows a write changed."""
        return self.connection.execute(self.sql(text)).rowcount

    def refused(self, text: str) -> str:
        """The message of a write (or read) PostgreSQL refuses: no privilege, or a row the
        policies do not allow (both SQLSTATE 42501)."""
        with pytest.raises(errors.InsufficientPrivilege) as caught:
            self.connection.execute(self.sql(text))
        return str(caught.value)

    def close(self) -> None:
        self.connection.close()


LAYERS = ("raw", "marts", "audit", "quarantine", "staging", "build")
DENIED = "permission denied"
POLICY = "violates row-level security policy"
MARTS = list(load_layer("marts"))


def grants(logins: Logins) -> list[str]:
    """`billflow grants` with the test's role prefix."""
    return ["grants", f"--prefix={logins.roles.prefix}"]


def expected_rep_rows(db: Session, owner_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Per table a rep reads: the keys of the rows of `owner_id`'s deals, read by the owner."""
    contracts = f"(select contract_code from {{marts}}.contracts where sales_rep_id = '{owner_id}')"
    wheres = {
        "owner": f"sales_rep_id = '{owner_id}'",
        "contract": f"contract_code in {contracts}",
        "invoice": f"invoice_number in (select invoice_number from {{marts}}.invoices "
        f"where contract_code in {contracts})",
    }
    return {
        table: db.rows(f"{_keys(table)} from {{marts}}.{table} where {wheres[kind]} order by 1")
        for table, kind in REP_TABLES.items()
    }


def rep_rows(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: session.rows(f"{_keys(table)} from {{marts}}.{table} order by 1")
        for table in REP_TABLES
    }


def _keys(table: str) -> str:
    contract = load_layer("marts")[table]
    return f"select concat_ws('|', {', '.join(contract.primary_key or contract.column_names)})"


def counts(db: Session) -> dict[str, int]:
    return {table: db.count(f"{{marts}}.{table}") for table in MARTS}


def policies(db: Session) -> list[tuple[Any, ...]]:
    return db.rows(
        "select tablename, policyname, permissive, cmd, roles::text from pg_policies "
        "where schemaname in ('{marts}', '{audit}') order by 1, 2"
    )


DRAFTS = "{audit}.contract_drafts"


def write_draft(code: str, notes: str) -> str:
    return f"insert into {DRAFTS} (contract_code, draft_notes) values ('{code}', '{notes}')"


def edit_draft(code: str, column: str, value: str) -> str:
    return f"update {DRAFTS} set {column} = {value} where contract_code = '{code}'"


def draft_stamps(db: Session, code: str) -> list[tuple[Any, ...]]:
    return db.rows(
        f"select edited_by, approved, approved_by, approved_at is not null from {DRAFTS} "
        f"where contract_code = '{code}'"
    )


def test_each_role_reads_and_writes_what_003_allows_and_publish_keeps_it(
    case: ScenarioCase, logins: Logins, capsys: pytest.CaptureFixture[str]
) -> None:
    case.run(MARCH_16)
    db = Session(str(_URL.username), case)  # the owner: the role that runs the flows
    arguments = [
        *grants(logins),
        f"--accountant={logins.accountant}",
        f"--sales-manager={logins.manager}",
        f"--rep={logins.rep_1}={REP_1}",
        f"--rep={logins.rep_2}={REP_2}",
    ]
    assert main(arguments) == 0
    report = capsys.readouterr().out
    assert f"members of {logins.roles.sales_rep}: {logins.rep_1}, {logins.rep_2}" in report
    assert f"rep {logins.rep_1} = HubSpot owner {REP_1}: 7 contract(s)" in report
    first_policies = policies(db)
    # 8 rep tables x 2, rep_logins x 2, contract_drafts x 6
    assert len(first_policies) == 2 * len(REP_TABLES) + 2 + 6
    # a rerun changes nothing and says the same
    assert main(arguments) == 0
    assert capsys.readouterr().out == report
    assert policies(db) == first_policies

    sessions = {login: Session(login, case) for login in logins.people()}
    accountant, manager = sessions[logins.accountant], sessions[logins.manager]
    rep_1, rep_2 = sessions[logins.rep_1], sessions[logins.rep_2]
    try:
        everything = counts(db)
        assert everything["invoices"] == 11 and everything["contracts"] == 13
        check_accountant(db, accountant, everything)
        check_manager(db, manager, everything)
        check_reps(db, rep_1, rep_2)
        check_draft_edits(db, logins, sessions)
        outsider = sessions[logins.outsider]
        assert DENIED in outsider.refused("select count(*) from {marts}.contracts")
        assert DENIED in outsider.refused(f"select count(*) from {DRAFTS}")

        # a rep reads through `billflow sql` with its own login
        as_rep = _URL.set(username=logins.rep_1).render_as_string(hide_password=False)
        query = rep_1.sql("select count(*) from {marts}.invoices")
        assert main(["sql", query, "--warehouse", as_rep]) == 0
        printed = [line.strip() for line in capsys.readouterr().out.splitlines()]
        assert str(rep_1.count("{marts}.invoices")) in printed

        check_after_another_run(case, db, logins, sessions, first_policies)
    finally:
        for session in (db, *sessions.values()):
            session.close()

    # removing a login takes it out of the roles and forgets its owner ids
    assert main([*grants(logins), f"--remove={logins.rep_2}"]) == 0
    assert f"members of {logins.roles.sales_rep}: {logins.rep_1}\n" in capsys.readouterr().out
    assert case.rows("select login from {audit}.rep_logins") == [(logins.rep_1,)]
    gone = Session(logins.rep_2, case)
    try:
        assert DENIED in gone.refused("select count(*) from {marts}.contracts")
    finally:
        gone.close()


def check_after_another_run(
    case: ScenarioCase,
    db: Session,
    logins: Logins,
    sessions: dict[str, Session],
    first_policies: list[tuple[Any, ...]],
) -> None:
    """Another nightly run publishes (delete + insert): the grants and policies stay and
    filter the new rows."""
    accountant, manager = sessions[logins.accountant], sessions[logins.manager]
    rep_1, rep_2 = sessions[logins.rep_1], sessions[logins.rep_2]
    before = expected_rep_rows(db, REP_1)
    tables = (
        "select relname, oid, relrowsecurity from pg_class "
        "where relnamespace = '{marts}'::regnamespace and relkind = 'r' order by 1"
    )
    first_tables = db.rows(tables)
    case.run(APRIL_15)
    assert policies(db) == first_policies
    assert db.rows(tables) == first_tables  # the same tables (no swap), still with row security
    after = counts(db)
    assert after["invoices"] == 20
    assert {t: accountant.count(f"{{marts}}.{t}") for t in MARTS} == after
    assert {t: manager.count(f"{{marts}}.{t}") for t in MARTS} == after
    for session, owner_id in ((rep_1, REP_1), (rep_2, REP_2)):
        assert rep_rows(session) == expected_rep_rows(db, owner_id)
    assert len(rep_rows(rep_1)["invoices"]) > len(before["invoices"])
    # the drafts are not the build's: publish left them. C-18425 is SIGNED now: its rep
    # edits it no more; rep 2's C-18405 is still DRAFTING
    assert db.count(DRAFTS) == 2
    assert rep_1.changes(edit_draft("C-18425", "draft_notes", "'x'")) == 0
    assert rep_2.changes(write_draft("C-18405", "waiting for the PO")) == 1


def check_accountant(db: Session, accountant: Session, everything: dict[str, int]) -> None:
    """Every row of every persistent schema; writes contract drafts only."""
    assert {t: accountant.count(f"{{marts}}.{t}") for t in MARTS} == everything
    for layer, table in (("raw", "records"), ("audit", "events"), ("quarantine", "records")):
        owner_count = db.count(f"{{{layer}}}.{table}")
        assert accountant.count(f"{{{layer}}}.{table}") == owner_count > 0
    assert DENIED in accountant.refused("select count(*) from {build}.int_contracts")
    assert DENIED in accountant.refused(
        "update {marts}.invoices set status = 'VOID' where invoice_number = 'INV-2026-000001'"
    )
    assert DENIED in accountant.refused("delete from {marts}.payments")
    assert DENIED in accountant.refused("delete from {audit}.events")
    assert DENIED in accountant.refused(
        "insert into {audit}.commands select * from {audit}.commands"
    )
    assert DENIED in accountant.refused(
        "insert into {audit}.rep_logins (login, owner_id) values (current_user, '910901')"
    )
    # any contract, whatever its status: C-18401 is ACTIVE
    assert accountant.changes(write_draft("C-18401", "signed copy filed")) == 1
    assert draft_stamps(db, "C-18401") == [(accountant.user, False, None, False)]


def check_manager(db: Session, manager: Session, everything: dict[str, int]) -> None:
    """Every row of marts and audit; approves DRAFTING contracts' drafts; edits nothing else."""
    assert {t: manager.count(f"{{marts}}.{t}") for t in MARTS} == everything
    assert manager.count("{audit}.runs") == db.count("{audit}.runs")
    assert DENIED in manager.refused("select count(*) from {raw}.records")
    for write in (
        "update {marts}.invoices set status = 'VOID' where invoice_number = 'INV-2026-000001'",
        "delete from {marts}.invoices",
        "insert into {marts}.invoices select * from {marts}.invoices",
        "update {marts}.payments set amount = 0",
        "delete from {marts}.payment_applications",
        "update {marts}.invoice_drafts set status = 'READY'",
        "update {marts}.contracts set status = 'SIGNED'",
        "delete from {audit}.commands",
    ):
        assert DENIED in manager.refused(write), write
    # approving a contract that is not DRAFTING is refused by policy (C-18403 is SIGNED)
    approve = f"insert into {DRAFTS} (contract_code, approved) values ('C-18403', true)"
    assert POLICY in manager.refused(approve)
    # the notes are the rep's (or the accountant's)
    assert DENIED in manager.refused(write_draft("C-18405", "x"))
    # C-18401 is ACTIVE: the policy hides its row from the manager's update
    assert manager.changes(edit_draft("C-18401", "approved", "true")) == 0


def check_reps(db: Session, rep_1: Session, rep_2: Session) -> None:
    """Each rep reads its own deals' rows of the rep tables, and nothing else."""
    for session, owner_id in ((rep_1, REP_1), (rep_2, REP_2)):
        expected = expected_rep_rows(db, owner_id)
        assert rep_rows(session) == expected
        assert all(expected[table] for table in ("contracts", "invoices", "cash_forecast_items"))
        assert session.rows("select login, owner_id from {audit}.rep_logins") == [
            (session.user, owner_id)
        ]
        for table in ("payments", "payment_applications", "kpis", "cash_forecast", "outbox"):
            assert DENIED in session.refused(f"select count(*) from {{marts}}.{table}")
        assert DENIED in session.refused("select count(*) from {raw}.records")
        assert DENIED in session.refused("select count(*) from {audit}.commands")
        assert DENIED in session.refused("update {marts}.contracts set deal_name = 'x'")
        assert DENIED in session.refused("delete from {marts}.invoices")
    # the two reps' rows are disjoint and make up the whole
    contracts_1 = rep_1.rows("select contract_code from {marts}.contracts")
    contracts_2 = rep_2.rows("select contract_code from {marts}.contracts")
    assert (len(contracts_1), len(contracts_2)) == (7, 6)
    assert not set(contracts_1) & set(contracts_2)
    assert rep_1.count("{marts}.invoices") + rep_2.count("{marts}.invoices") == 11
    # a rep's forecast items include its pipeline deals (18404 is 910902's)
    items = db.count("{marts}.cash_forecast_items")
    both = rep_1.count("{marts}.cash_forecast_items") + rep_2.count("{marts}.cash_forecast_items")
    assert both == items
    assert rep_2.count("{marts}.cash_forecast_items where source = 'pipeline'") == 1
    # the accountant's draft of rep 1's C-18401 is rep 1's to read, not rep 2's
    assert (rep_1.count(DRAFTS), rep_2.count(DRAFTS)) == (1, 0)


def check_draft_edits(db: Session, logins: Logins, sessions: dict[str, Session]) -> None:
    """A rep edits its own DRAFTING contract's draft (C-18425), and only that; the manager
    approves it; a later edit of the notes withdraws the approval."""
    rep_1, manager = sessions[logins.rep_1], sessions[logins.manager]
    assert rep_1.changes(write_draft("C-18425", "net 30 agreed; 50% on signature")) == 1
    assert POLICY in rep_1.refused(write_draft("C-18403", "x"))  # its own, but SIGNED
    assert POLICY in rep_1.refused(write_draft("C-18405", "x"))  # DRAFTING, but rep 2's
    # its own, ACTIVE: the policy hides the row from the update
    assert rep_1.changes(edit_draft("C-18401", "draft_notes", "'x'")) == 0
    assert DENIED in rep_1.refused(edit_draft("C-18425", "approved", "true"))  # the manager's
    assert DENIED in rep_1.refused(edit_draft("C-18425", "edited_by", "'someone'"))
    assert DENIED in rep_1.refused(f"delete from {DRAFTS}")
    assert manager.changes(edit_draft("C-18425", "approved", "true")) == 1
    assert draft_stamps(db, "C-18425") == [(logins.rep_1, True, logins.manager, True)]
    assert rep_1.changes(edit_draft("C-18425", "draft_notes", "'net 45'")) == 1
    assert draft_stamps(db, "C-18425") == [(logins.rep_1, False, None, False)]


def test_grants_names_a_login_that_does_not_exist(
    tmp_path: Path, logins: Logins, capsys: pytest.CaptureFixture[str]
) -> None:
    with warehouse_env("postgres", tmp_path):
        missing = f"r{logins.tag}_nobody"
        assert main([*grants(logins), f"--rep={missing}=910901"]) == 1
        error = capsys.readouterr().err
        assert error.startswith(f"billflow: no role {missing} on this PostgreSQL cluster")
        assert len(error.splitlines()) == 1
        with pytest.raises(SystemExit):
            main([*grants(logins), "--rep=carol"])
        assert "is not LOGIN=OWNER_ID" in capsys.readouterr().err


def test_grants_on_duckdb_says_there_are_no_roles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with warehouse_env("duckdb", tmp_path):
        assert main(["grants"]) == 1
    error = capsys.readouterr().err
    assert error == (
        "billflow: billflow grants needs a PostgreSQL warehouse: DuckDB has no roles or "
        "row-level security (docs/operations.md)\n"
    )
