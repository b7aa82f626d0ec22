"""The streams billflow reads: where each lands and how its records are keyed.

Each stream is one small description, as in a Singer tap: its folder under the source
directory, the key of the record array in a page, the record id and the replication key (the
updated time that versions a record). docs/sources.md documents every field they carry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stream:
    source: str
    name: str
    records_key: str
    id_sql: str
    updated_sql: str | None
    required: bool
    endpoint: str

    @property
    def folder(self) -> str:
        return f"{self.source}/{self.name}"

    @property
    def key(self) -> str:
        return f"{self.source}.{self.name}"

    @property
    def path(self) -> str:
        """The request path of `endpoint`: `GET /v2/time_entries` -> `/v2/time_entries`."""
        return self.endpoint.split()[1]


STREAMS: tuple[Stream, ...] = (
    Stream(
        "hubspot",
        "deals",
        "results",
        "r->>'id'",
        "coalesce(r->>'updatedAt', r->'properties'->>'hs_lastmodifieddate')",
        required=True,
        endpoint="POST /crm/v3/objects/deals/search",
    ),
    Stream(
        "hubspot",
        "pipelines",
        "results",
        "r->>'id'",
        "r->>'updatedAt'",
        required=True,
        endpoint="GET /crm/v3/pipelines/deals",
    ),
    Stream(
        "hubspot",
        "companies",
        "results",
        "r->>'id'",
        "coalesce(r->>'updatedAt', r->'properties'->>'hs_lastmodifieddate')",
        required=False,
        endpoint="POST /crm/v3/objects/companies/search",
    ),
    Stream(
        "hubspot",
        "owners",
        "results",
        "r->>'id'",
        "r->>'updatedAt'",
        required=False,
        endpoint="GET /crm/v3/owners/",
    ),
    Stream(
        "hubspot",
        "deal_companies",
        "results",
        "r->'from'->>'id'",
        None,
        required=False,
        endpoint="POST /crm/v4/associations/deals/companies/batch/read",
    ),
    Stream(
        "teamwork",
        "projects",
        "projects",
        "r->>'id'",
        "coalesce(r->>'updatedAt', r->>'createdAt')",
        required=True,
        endpoint="GET /projects/api/v3/projects.json",
    ),
    Stream(
        "teamwork",
        "people",
        "people",
        "r->>'id'",
        "r->>'updatedAt'",
        required=False,
        endpoint="GET /projects/api/v3/people.json",
    ),
    Stream(
        "teamwork",
        "tasks",
        "tasks",
        "r->>'id'",
        "coalesce(r->>'updatedAt', r->>'createdAt')",
        required=False,
        endpoint="GET /projects/api/v3/tasks.json",
    ),
    Stream(
        "teamwork",
        "milestones",
        "milestones",
        "r->>'id'",
        "coalesce(r->>'lastChangedOn', r->>'createdOn')",
        required=False,
        endpoint="GET /projects/api/v3/milestones.json",
    ),
    Stream(
        "teamwork",
        "tags",
        "tags",
        "r->>'id'",
        None,
        required=False,
        endpoint="GET /projects/api/v3/tags.json",
    ),
    Stream(
        "teamwork",
        "time",
        "timelogs",
        "r->>'id'",
        "coalesce(r->>'updatedAt', r->>'createdAt')",
        required=True,
        endpoint="GET /projects/api/v3/time.json",
    ),
    Stream(
        "teamwork",
        "rates",
        "userRates",
        "{{ d.regexp_group('page', 'project_([0-9]+)[^/]*$') }} || ':' || (r->'user'->>'id')",
        "r->>'updatedAt'",
        required=False,
        endpoint="GET /projects/api/v3/rates/projects/{projectId}/users",
    ),
    Stream(
        "harvest",
        "time_entries",
        "time_entries",
        "r->>'id'",
        "r->>'updated_at'",
        required=False,
        endpoint="GET /v2/time_entries",
    ),
    Stream(
        "stripe",
        "events",
        "data",
        "r->>'id'",
        None,
        required=False,
        endpoint="GET /v1/events (and webhook deliveries, one event per file)",
    ),
)

SOURCES: tuple[str, ...] = tuple(dict.fromkeys(stream.source for stream in STREAMS))


def streams_of(source: str) -> tuple[Stream, ...]:
    return tuple(stream for stream in STREAMS if stream.source == source)
