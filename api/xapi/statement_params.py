"""Parsing the query parameters of GET /xapi/statements into a StatementFilter."""

from __future__ import annotations

from api.http import boolean_param
from api.xapi.params import agent_param, bad_param, iri_param, timestamp_ms_param, uuid_param
from ledger.xapi.equivalence import normalise_iri
from ledger.xapi.ifi import ifi_key
from projections.statement_query import MAX_LIMIT, StatementFilter

QUERY_PARAMS = (
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
)


def parse_limit(params: dict[str, str]) -> int:
    """Read `limit`: a non-negative integer; 0 or absent means the server maximum."""
    value = params.get("limit", "0")
    if not value.isdigit() or not value.isascii():
        raise bad_param("limit", "must be a non-negative integer")
    return min(int(value), MAX_LIMIT) if int(value) else MAX_LIMIT


def parse_filter(params: dict[str, str]) -> StatementFilter:
    """Turn validated-by-name query parameters into a filter (1.0.3 Comm §2.1.3)."""
    agent = agent_param(params, allow_group=True)
    verb = iri_param(params, "verb")
    activity = iri_param(params, "activity")
    registration = uuid_param(params, "registration")
    return StatementFilter(
        agent=ifi_key(agent) if agent is not None else None,
        verb=normalise_iri(verb) if verb is not None else None,
        activity=normalise_iri(activity) if activity is not None else None,
        registration=registration.lower() if registration else None,
        related_activities=boolean_param(params, "related_activities"),
        related_agents=boolean_param(params, "related_agents"),
        since_ms=timestamp_ms_param(params, "since"),
        until_ms=timestamp_ms_param(params, "until"),
        ascending=boolean_param(params, "ascending"),
    )
