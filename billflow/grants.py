"""`billflow grants`: the PostgreSQL roles of 003, their privileges and row-level security.

Three group roles, named by the setting `role_prefix` (default `billflow_`): the accountant
reads everything, the sales manager reads the marts and approves contract drafts, a sales rep
sees only the rows of the deals it owns in HubSpot and edits only its DRAFTING contracts'
drafts. People's logins become members; a rep's login is mapped to its HubSpot owner id in
`audit.rep_logins`. docs/operations.md ("Roles and row-level security") says what each can
and cannot do; the SQL is in sql/grants/.

Everything is applied in one transaction under the warehouse lock and is safe to repeat: roles
are created when missing, the three roles' privileges are revoked and granted afresh, and the
policies are dropped and recreated. Publish replaces marts rows with delete + insert, never a
table swap, so the grants and policies stay on the tables from run to run.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from billflow.config import Settings
from billflow.errors import BillflowError, ConfigError, masked
from billflow.lock import holder_description, warehouse_lock
from billflow.warehouse import Warehouse, sql_list, sql_literal

# The marts tables a sales rep reads, and what makes a row its own: "owner" (the row's
# sales_rep_id), "contract" (the row's contract is one of its own), "invoice" (the row's
# invoice is of one of its own contracts). Other marts tables stay closed to reps.
REP_TABLES = {
    "contracts": "owner",
    "contract_history": "contract",
    "installments": "contract",
    "change_orders": "contract",
    "invoices": "contract",
    "invoice_lines": "invoice",
    "ar_aging": "contract",
    "cash_forecast_items": "owner",
}

ROLE_PREFIX = "[a-z_][a-z0-9_]{0,39}"  # the setting's pattern: role names stay unquoted
TEMPLATES = ("roles.sql", "tables.sql", "privileges.sql", "policies.sql")


@dataclass(frozen=True)
class RoleNames:
    """The group roles of one role prefix."""

    prefix: str

    @property
    def accountant(self) -> str:
        return f"{self.prefix}accountant"

    @property
    def sales_manager(self) -> str:
        return f"{self.prefix}sales_manager"

    @property
    def sales_rep(self) -> str:
        return f"{self.prefix}sales_rep"

    def groups(self) -> list[str]:
        return [self.accountant, self.sales_manager, self.sales_rep]


@dataclass(frozen=True)
class Members:
    """Logins to add to the roles, and logins to take out of all three first."""

    accountants: Sequence[str] = ()
    sales_managers: Sequence[str] = ()
    reps: Sequence[tuple[str, str]] = ()  # (login, HubSpot owner id)
    removed: Sequence[str] = ()

    def added(self) -> list[str]:
        named = [*self.accountants, *self.sales_managers, *(login for login, _ in self.reps)]
        return sorted(set(named))


def apply_grants(settings: Settings, members: Members | None = None) -> list[str]:
    """Create or bring up to date the roles, grants and policies; add or remove members.
    Returns the report's lines."""
    if not settings.warehouse_url.startswith("postgresql"):
        raise ConfigError(
            "billflow grants needs a PostgreSQL warehouse: DuckDB has no roles or row-level "
            "security (docs/operations.md)"
        )
    if not re.fullmatch(ROLE_PREFIX, settings.role_prefix):
        raise ConfigError(
            f"role_prefix {settings.role_prefix!r}: a-z, 0-9 and _, starting with a letter or _, "
            "at most 40 characters"
        )
    members = members or Members()
    roles = RoleNames(settings.role_prefix)
    with warehouse_lock(settings, holder_description("billflow grants", str(uuid.uuid4()))):
        wh = Warehouse(settings)
        try:
            wh.init()
            _check_logins(wh, members.added(), roles)
            _check_can_create(wh, roles)
            with wh.transaction():
                for template in TEMPLATES:
                    wh.execute(wh.render(f"grants/{template}", r=roles, rep_tables=REP_TABLES))
                _apply_members(wh, roles, members)
            return _report(wh, roles)
        finally:
            wh.close()


def parse_rep(text: str) -> tuple[str, str]:
    """LOGIN=OWNER_ID, both non-empty."""
    login, _, owner = text.partition("=")
    if not login.strip() or not owner.strip():
        raise ValueError(f"{text!r} is not LOGIN=OWNER_ID (a HubSpot owner id, e.g. carol=910901)")
    return login.strip(), owner.strip()


def quoted(name: str) -> str:
    """A role name as a SQL identifier (logins may hold capitals or dots)."""
    return '"' + name.replace('"', '""') + '"'


def _check_logins(wh: Warehouse, logins: list[str], roles: RoleNames) -> None:
    if not logins:
        return
    found = {name for (name,) in wh.query(_roles_named(logins))}
    missing = [login for login in logins if login not in found]
    if missing:
        raise BillflowError(
            f"no role {', '.join(missing)} on this PostgreSQL cluster: create each login first "
            "(CREATE ROLE name LOGIN PASSWORD '...'), then rerun billflow grants"
        )
    groups = set(roles.groups())
    if groups & set(logins):
        raise BillflowError(
            f"{', '.join(sorted(groups & set(logins)))} is a group role, not a person's login"
        )


def _check_can_create(wh: Warehouse, roles: RoleNames) -> None:
    present = {name for (name,) in wh.query(_roles_named(roles.groups()))}
    missing = [role for role in roles.groups() if role not in present]
    if not missing:
        return
    allowed = wh.scalar(
        "select rolsuper or rolcreaterole from pg_catalog.pg_roles where rolname = current_user"
    )
    if not allowed:
        user = wh.scalar("select current_user")
        statements = "; ".join(f"CREATE ROLE {role} NOLOGIN" for role in missing)
        raise BillflowError(
            f"{user} may not create roles (no CREATEROLE): have an administrator run "
            f"{statements}; then rerun billflow grants"
        )


def _roles_named(names: Sequence[str]) -> str:
    return f"select rolname from pg_catalog.pg_roles where rolname in ({sql_list(list(names))})"


def _apply_members(wh: Warehouse, roles: RoleNames, members: Members) -> None:
    logins = f"{wh.schemas.audit}.rep_logins"
    groups = ", ".join(roles.groups())
    present = (
        {name for (name,) in wh.query(_roles_named(members.removed))} if members.removed else set()
    )
    for login in members.removed:
        if login in present:  # a login dropped since keeps no membership, only its mapping
            wh.execute(f"revoke {groups} from {quoted(login)}")
        wh.execute(f"delete from {logins} where login = {sql_literal(login)}")
    for login in members.accountants:
        wh.execute(f"grant {roles.accountant} to {quoted(login)}")
    for login in members.sales_managers:
        wh.execute(f"grant {roles.sales_manager} to {quoted(login)}")
    for login, owner_id in members.reps:
        wh.execute(f"grant {roles.sales_rep} to {quoted(login)}")
        wh.execute(
            f"insert into {logins} (login, owner_id) "
            f"values ({sql_literal(login)}, {sql_literal(owner_id)}) on conflict do nothing"
        )


def _report(wh: Warehouse, roles: RoleNames) -> list[str]:
    s = wh.schemas
    policies = wh.scalar(
        "select count(*) from pg_catalog.pg_policies "
        f"where schemaname in ({sql_list([s.marts, s.audit])}) "
        f"and left(policyname, {len(roles.prefix)}) = {sql_literal(roles.prefix)}"
    )
    lines = [
        f"roles on {masked(wh.settings.warehouse_url)}, schemas {s.marts}, {s.audit}, ... "
        f"({policies} row-level security policies):",
        f"  {roles.accountant}: reads every row of {s.raw}, {s.marts}, {s.audit}, "
        f"{s.quarantine}; edits any contract draft ({s.audit}.contract_drafts)",
        f"  {roles.sales_manager}: reads every row of {s.marts} and {s.audit}; approves "
        "DRAFTING contracts' drafts",
        f"  {roles.sales_rep}: reads its own deals' rows of {len(REP_TABLES)} {s.marts} tables; "
        "edits the notes of its DRAFTING contracts' drafts",
    ]
    for role in roles.groups():
        names = [
            name
            for (name,) in wh.query(
                "select m.rolname from pg_catalog.pg_auth_members a "
                "join pg_catalog.pg_roles g on g.oid = a.roleid "
                "join pg_catalog.pg_roles m on m.oid = a.member "
                f"where g.rolname = {sql_literal(role)} order by 1"
            )
        ]
        lines.append(f"members of {role}: {', '.join(names) or 'none yet'}")
    lines.extend(_rep_lines(wh))
    return lines


def _rep_lines(wh: Warehouse) -> list[str]:
    s = wh.schemas
    mapped = wh.query(
        "select logins.login, logins.owner_id, count(contracts.contract_code) "
        f"from {s.audit}.rep_logins as logins left join {s.marts}.contracts as contracts "
        "on contracts.sales_rep_id = logins.owner_id "
        "group by logins.login, logins.owner_id order by 1, 2"
    )
    return [
        f"rep {login} = HubSpot owner {owner}: {count} contract(s)"
        + ("" if count else " so far (check the owner id: marts.contracts sales_rep_id)")
        for login, owner, count in mapped
    ]
