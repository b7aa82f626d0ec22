{#-
  The two tables people write with their own logins (docs/operations.md, "Roles and row-level
  security"). Both live in the audit schema, outside publish: a nightly run never touches them.

  rep_logins      which HubSpot owner (marts.contracts sales_rep_id) a sales rep's login is;
                  written by `billflow grants --rep LOGIN=OWNER_ID` (one login may cover
                  several owners)
  contract_drafts one row per contract whose draft someone worked on: the sales rep's notes
                  while the terms are finalised, and the sales manager's approval (003: "approves
                  contract drafts before they are sent to the client"). Billing still reads the
                  terms from the HubSpot deal; this table records the work and the approval.

  A trigger stamps who and when from current_user and now(), so nobody can sign for another:
  a change of draft_notes sets edited_by / edited_at and withdraws an approval given to the
  earlier notes; setting approved to true sets approved_by / approved_at, false clears them.
#}
create table if not exists {{ s.audit }}.rep_logins (
    login text not null,
    owner_id text not null,
    added_at timestamptz not null default now(),
    primary key (login, owner_id)
);

create table if not exists {{ s.audit }}.contract_drafts (
    contract_code text primary key,
    draft_notes text,
    edited_by text,
    edited_at timestamptz,
    approved boolean not null default false,
    approved_by text,
    approved_at timestamptz
);

create or replace function {{ s.util }}.stamp_contract_draft() returns trigger
language plpgsql as $stamp$
begin
    if tg_op = 'UPDATE' and new.draft_notes is distinct from old.draft_notes
        and new.approved is not distinct from old.approved then
        new.approved := false;  -- the draft changed: the approval was of other notes
    end if;
    if tg_op = 'INSERT' and new.draft_notes is not null
        or tg_op = 'UPDATE' and new.draft_notes is distinct from old.draft_notes then
        new.edited_by := current_user;
        new.edited_at := now();
    elsif tg_op = 'INSERT' then
        new.edited_by := null;
        new.edited_at := null;
    else
        new.edited_by := old.edited_by;
        new.edited_at := old.edited_at;
    end if;
    if new.approved and (tg_op = 'INSERT' or not old.approved) then
        new.approved_by := current_user;
        new.approved_at := now();
    elsif new.approved then
        new.approved_by := old.approved_by;
        new.approved_at := old.approved_at;
    else
        new.approved_by := null;
        new.approved_at := null;
    end if;
    return new;
end
$stamp$;

drop trigger if exists stamp_contract_draft on {{ s.audit }}.contract_drafts;

create trigger stamp_contract_draft
before insert or update on {{ s.audit }}.contract_drafts
for each row execute function {{ s.util }}.stamp_contract_draft();
