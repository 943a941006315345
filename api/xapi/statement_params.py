"""Parsing the query parameters of GET /xapi/statements into a StatementFilter."""

from __future__ import annotations

from typing import Any

from api.http import boolean_param
from ledger.errors import InvalidInputError, InvalidJSONError, Problem
from ledger.xapi import is_iri, is_timestamp, is_uuid, parse_json, parse_timestamp
from ledger.xapi.agents import validate_agent
from ledger.xapi.equivalence import normalise_iri
from ledger.xapi.ifi import ifi_key
from ledger.xapi.primitives import epoch_ms
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


def _bad(name: str, problem: str) -> InvalidInputError:
    return InvalidInputError(f"query parameter {name!r} {problem}", [Problem(f"?{name}", problem)])


def _millis(params: dict[str, str], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not is_timestamp(value):
        raise _bad(name, "must be an ISO 8601 timestamp")
    return epoch_ms(parse_timestamp(value))


def parse_limit(params: dict[str, str]) -> int:
    """Read `limit`: a non-negative integer; 0 or absent means the server maximum."""
    value = params.get("limit", "0")
    if not value.isdigit() or not value.isascii():
        raise _bad("limit", "must be a non-negative integer")
    return min(int(value), MAX_LIMIT) if int(value) else MAX_LIMIT


def parse_filter(params: dict[str, str]) -> StatementFilter:
    """Turn validated-by-name query parameters into a filter (1.0.3 Comm §2.1.3)."""
    agent_key = None
    if "agent" in params:
        try:
            agent: Any = parse_json(params["agent"].encode())
        except InvalidJSONError:
            raise _bad("agent", "must be an Agent or identified Group as JSON") from None
        try:
            validate_agent(agent, allow_group=True, pointer="?agent")
        except InvalidInputError as ex:
            message = f"query parameter 'agent' is invalid: {ex.message}"
            raise InvalidInputError(message, ex.details) from None
        agent_key = ifi_key(agent)
    for name in ("verb", "activity"):
        if name in params and not is_iri(params[name]):
            raise _bad(name, "must be an absolute IRI")
    registration = params.get("registration")
    if registration is not None and not is_uuid(registration):
        raise _bad("registration", "must be a UUID")
    return StatementFilter(
        agent=agent_key,
        verb=normalise_iri(params["verb"]) if "verb" in params else None,
        activity=normalise_iri(params["activity"]) if "activity" in params else None,
        registration=registration.lower() if registration else None,
        related_activities=boolean_param(params, "related_activities"),
        related_agents=boolean_param(params, "related_agents"),
        since_ms=_millis(params, "since"),
        until_ms=_millis(params, "until"),
        ascending=boolean_param(params, "ascending"),
    )
