"""Teamwork.com Projects API v3 pages (../shared/vendors/teamwork.md, notes/vendor_facts.md).

Ids are integers, relationships come both flat (`projectId`) and as `{id, type}` objects, and
`included` maps are keyed by the id as a string. Time pages are rendered one at a time from
the scenario's (possibly lazy) entries, so memory stays flat however many there are.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import chain
from typing import TypeVar

from billflow.generator.clock import day_at, iso_z
from billflow.generator.model import (
    Milestone,
    Person,
    Project,
    Rate,
    Scenario,
    Tag,
    Task,
    TimeEntry,
)
from billflow.generator.pages import Json, Page, Records, chunked, compact, page_name

_DAY_DONE_HOUR = 18
"""A timelog without a start time was entered at the end of its day (18:00 UTC)."""

R = TypeVar("R")


def pages(scenario: Scenario) -> Iterator[Page]:
    size = scenario.page_size.teamwork
    stamp = iso_z(scenario.epoch)
    return chain(
        _v3_pages("projects", scenario.projects, lambda p: _project(p, stamp), size),
        _v3_pages("people", scenario.people, lambda p: _person(p, stamp), size),
        _v3_pages("tasks", scenario.tasks, lambda t: _task(t, stamp), size, included=_tasklists),
        _v3_pages("milestones", scenario.milestones, lambda m: _milestone(m, stamp), size),
        _v3_pages("tags", scenario.tags, _tag, size),
        _time_pages(scenario, size),
        _rate_pages(scenario, size),
    )


def _v3_pages(
    stream: str,
    records: Records[R],
    render: Callable[[R], Json],
    size: int,
    *,
    key: str | None = None,
    included: Callable[[list[R]], Json] | None = None,
    name: Callable[[int], str] = page_name,
) -> Iterator[Page]:
    """v3 list pages: the record array, `meta.page`, and `included` when the call asks for it.

    Records are taken a page at a time, so a lazy collection is never held whole.
    """
    total = len(records)
    for offset, chunk in enumerate(chunked(records, size)):
        has_more = offset * size + len(chunk) < total
        body: Json = {
            key or stream: [render(record) for record in chunk],
            "meta": {"page": _page_meta(offset, size, total, has_more)},
        }
        if included is not None:
            body["included"] = included(chunk)
        yield Page("teamwork", stream, name(offset + 1), body, len(chunk))


def _page_meta(offset: int, size: int, count: int, has_more: bool) -> Json:
    return {"pageOffset": offset, "pageSize": size, "count": count, "hasMore": has_more}


def _rel(item_id: int, kind: str) -> Json:
    return {"id": item_id, "type": kind}


def _project(project: Project, stamp: str) -> Json:
    """`completedAt` is null while the project runs; completing it is its last update."""
    completed = iso_z(project.completed) if project.completed else None
    return {
        "id": project.id,
        "name": project.name,
        "description": None,
        "status": project.status,
        "type": "normal",
        "companyId": project.company_id,
        "company": _rel(project.company_id, "companies"),
        "isBillable": True,
        "startAt": None,
        "endAt": None,
        "createdAt": stamp,
        "updatedAt": completed or stamp,
        "completedAt": completed,
    }


def _person(person: Person, stamp: str) -> Json:
    """`userCost` (minor units per hour) only when the person has a cost rate."""
    record: Json = {
        "id": person.id,
        "firstName": person.first_name,
        "lastName": person.last_name,
        "email": person.email,
        "isAdmin": False,
        "isClientUser": False,
        "deleted": False,
        "createdAt": stamp,
        "updatedAt": stamp,
    }
    if person.cost_rate is not None:
        record["userCost"] = person.cost_rate
    return record


def _task(task: Task, stamp: str) -> Json:
    """An open task has no `completedAt` key at all (the SDK's omitempty), not a null."""
    done = task.completed is not None
    record: Json = {
        "id": task.id,
        "name": task.name,
        "status": "completed" if done else "new",
        "progress": 100 if done else 0,
        "estimateMinutes": task.estimate_minutes,
        "startDate": None,
        "dueDate": None,
        "tasklistId": task.tasklist_id,
        "tasklist": _rel(task.tasklist_id, "tasklists"),
        "parentTaskId": None,
        "tagIds": list(task.tag_ids),
        "tags": [_rel(i, "tags") for i in task.tag_ids],
        "assignees": [],
        "createdAt": stamp,
        "updatedAt": iso_z(task.completed) if task.completed else stamp,
    }
    if task.completed is not None:
        record["completedAt"] = iso_z(task.completed)
    return record


def _tasklists(tasks: list[Task]) -> Json:
    """`included.tasklists`: a task names its list, the list names its project."""
    project_of = {task.tasklist_id: task.project_id for task in tasks}
    return {"tasklists": {str(i): _tasklist(i, project_of[i]) for i in sorted(project_of)}}


def _tasklist(tasklist_id: int, project_id: int) -> Json:
    return {"id": tasklist_id, "projectId": project_id, "project": _rel(project_id, "projects")}


def _milestone(milestone: Milestone, stamp: str) -> Json:
    completed = iso_z(milestone.completed) if milestone.completed else None
    return {
        "id": milestone.id,
        "name": milestone.name,
        "description": "",
        "deadline": iso_z(milestone.deadline),
        "projectId": milestone.project_id,
        "project": _rel(milestone.project_id, "projects"),
        "tasklistIds": list(milestone.tasklist_ids),
        "tasklists": [_rel(i, "tasklists") for i in milestone.tasklist_ids],
        "tagIds": list(milestone.tag_ids),
        "tags": [_rel(i, "tags") for i in milestone.tag_ids],
        "createdOn": stamp,
        "lastChangedOn": completed or stamp,
        "deletedOn": None,
        "completed": completed is not None,
        "completedOn": completed,
        "status": "completed" if completed else "new",
    }


def _tag(tag: Tag) -> Json:
    project = _rel(tag.project_id, "projects") if tag.project_id is not None else None
    return {
        "id": tag.id,
        "name": tag.name,
        "color": "#d84640",
        "projectId": tag.project_id,
        "project": project,
    }


def _time_pages(scenario: Scenario, size: int) -> Iterator[Page]:
    """`time.json?include=users,projects` pages, encoded straight to compact JSON text.

    This is the one stream with millions of records: building a dict per timelog and then
    encoding it took most of the time, so each timelog is written as text, and each person's
    and project's `included` record is encoded once. Indented output re-parses the text.
    """
    entries = scenario.time_entries
    included = _IncludedText(scenario)
    for offset, chunk in enumerate(chunked(entries, size)):
        meta = _page_meta(offset, size, len(entries), offset * size + len(chunk) < len(entries))
        text = (
            f'{{"timelogs":[{",".join(map(_timelog, chunk))}],'
            f'"meta":{compact({"page": meta})},"included":{included(chunk)}}}'
        )
        yield Page("teamwork", "time", page_name(offset + 1), text, len(chunk))


def _timelog(entry: TimeEntry) -> str:
    """One timelog, as compact JSON text with the keys in Teamwork's order."""
    logged, created = _logged_and_created(entry)
    if entry.created is not None:
        created = iso_z(entry.created)
    updated = iso_z(entry.updated) if entry.updated else created
    billable = _BOOL[entry.billable]
    person, project, task = entry.person_id, entry.project_id, entry.task_id
    task_rel = "null" if task is None else f'{{"id":{task},"type":"tasks"}}'
    return (
        f'{{"id":{entry.id},"description":{_string(entry.description)},'
        f'"minutes":{entry.minutes},"billable":{billable},"isBillable":{billable},'
        f'"hasStartTime":{_BOOL[entry.at is not None]},"timeLogged":"{logged}",'
        f'"createdAt":"{created}","dateCreated":"{created}","updatedAt":"{updated}",'
        f'"deleted":{_deleted(entry, updated)},"loggedBy":{person},"loggedByUserId":{person},'
        f'"userId":{person},"user":{{"id":{person},"type":"users"}},'
        f'"projectId":{project},"project":{{"id":{project},"type":"projects"}},'
        f'"taskId":{"null" if task is None else task},"task":{task_rel},"tags":[]}}'
    )


_BOOL = {True: "true", False: "false"}


def _deleted(entry: TimeEntry, updated: str) -> str:
    """The `deleted` and `deletedAt` pair: a deleted entry was deleted when last updated."""
    return f'true,"deletedAt":"{updated}"' if entry.deleted else 'false,"deletedAt":null'


@functools.lru_cache(maxsize=4096)
def _string(text: str) -> str:
    """A JSON string literal; descriptions repeat, so each is escaped once."""
    return compact(text)


def _logged_and_created(entry: TimeEntry) -> tuple[str, str]:
    """A day entry sits at midnight UTC and was entered at 18:00; a timed one when it ended."""
    if entry.at is None:
        assert entry.date is not None
        return day_at(entry.date, 0), day_at(entry.date, _DAY_DONE_HOUR)
    return iso_z(entry.at), iso_z(entry.at + timedelta(minutes=max(entry.minutes, 0)))


class _IncludedText:
    """`included.users` and `included.projects` of a page: the records it names, by string id."""

    def __init__(self, scenario: Scenario) -> None:
        self.users = {p.id: f'"{p.id}":{compact(_user(p))}' for p in scenario.people}
        self.projects = {
            p.id: f'"{p.id}":{compact(_included_project(p))}' for p in scenario.projects
        }

    def __call__(self, chunk: list[TimeEntry]) -> str:
        user_ids = sorted({entry.person_id for entry in chunk} & self.users.keys())
        project_ids = sorted({entry.project_id for entry in chunk} & self.projects.keys())
        users = ",".join(self.users[i] for i in user_ids)
        projects = ",".join(self.projects[i] for i in project_ids)
        return f'{{"users":{{{users}}},"projects":{{{projects}}}}}'


def _user(person: Person) -> Json:
    return {"id": person.id, "firstName": person.first_name, "lastName": person.last_name}


def _included_project(project: Project) -> Json:
    return {
        "id": project.id,
        "name": project.name,
        "company": _rel(project.company_id, "companies"),
    }


def _rate_pages(scenario: Scenario, size: int) -> Iterator[Page]:
    """`rates/projects/{id}/users`: the project id is in the path, so it names the file."""
    stamp = iso_z(scenario.epoch)
    by_project: dict[int, list[Rate]] = defaultdict(list)
    for rate in scenario.rates:
        by_project[rate.project_id].append(rate)
    for project_id, rates in by_project.items():
        yield from _v3_pages(
            "rates",
            rates,
            lambda rate: _user_rate(rate, stamp),
            size,
            key="userRates",
            included=_rate_users,
            name=functools.partial(_rate_file, project_id),
        )


def _rate_file(project_id: int, number: int) -> str:
    """`project_500.json`, then `project_500_2.json`, ... (docs/sources.md)."""
    suffix = "" if number == 1 else f"_{number}"
    return f"project_{project_id}{suffix}.json"


def _user_rate(rate: Rate, stamp: str) -> Json:
    return {
        "user": _rel(rate.person_id, "users"),
        "effectiveRate": rate.rate,
        "userProjectRate": rate.rate,
        "source": "userprojectrate",
        "updatedAt": stamp,
    }


def _rate_users(rates: list[Rate]) -> Json:
    return {"users": {str(rate.person_id): _rel(rate.person_id, "users") for rate in rates}}
