"""Parsing the query parameters and precondition headers of the document resources."""

from __future__ import annotations

from typing import Any

import falcon

from ledger.documents import Preconditions
from ledger.errors import InvalidInputError, InvalidJSONError, Problem
from ledger.xapi import is_iri, is_timestamp, is_uuid, parse_json, parse_timestamp
from ledger.xapi.agents import validate_agent
from ledger.xapi.primitives import epoch_ms


def _bad(name: str, problem: str) -> InvalidInputError:
    return InvalidInputError(f"query parameter {name!r} {problem}", [Problem(f"?{name}", problem)])


def activity_param(params: dict[str, str]) -> str:
    """Read `activityId`: an absolute IRI (1.0.3 Comm §2.3, §2.7)."""
    value = params["activityId"]
    if not is_iri(value):
        raise _bad("activityId", "must be an absolute IRI")
    return value


def agent_param(params: dict[str, str]) -> dict[str, Any]:
    """Read `agent`: an Agent as JSON, not a Group (1.0.3 Comm §2.3, §2.6).

    An Identified Group is addressed by putting its IFI in an Agent object (Comm §2.6 note);
    an object with `objectType: Group` is refused.
    """
    try:
        agent: Any = parse_json(params["agent"].encode())
    except InvalidJSONError:
        raise _bad("agent", "must be an Agent object as JSON") from None
    try:
        validate_agent(agent, pointer="?agent")
    except InvalidInputError as ex:
        raise InvalidInputError(
            f"query parameter 'agent' is invalid: {ex.message}", ex.details
        ) from None
    return agent


def registration_param(params: dict[str, str]) -> str | None:
    """Read the optional `registration`: a UUID."""
    value = params.get("registration")
    if value is not None and not is_uuid(value):
        raise _bad("registration", "must be a UUID")
    return value


def document_id_param(params: dict[str, str], name: str) -> str:
    """Read `stateId` / `profileId`: any non-empty string."""
    value = params[name]
    if not value:
        raise _bad(name, "must not be empty")
    return value


def since_param(params: dict[str, str]) -> int | None:
    """Read the optional `since`: a Timestamp, as milliseconds (rounded down)."""
    value = params.get("since")
    if value is None:
        return None
    if not is_timestamp(value):
        raise _bad("since", "must be an ISO 8601 timestamp")
    return epoch_ms(parse_timestamp(value))


def _entity_tags(value: str | None, *, weak: bool) -> frozenset[str] | None:
    """The entity tags of an If-Match / If-None-Match header, unquoted (`*` kept).

    Weak tags (`W/"…"`) count only where `weak` comparison applies (If-None-Match). An
    unquoted value is taken as it is (it then simply does not match).
    """
    if value is None:
        return None
    tags: set[str] = set()
    for part in value.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            if not weak:
                continue  # RFC 7232 §3.1: If-Match uses strong comparison
            tag = tag[2:]
        if len(tag) >= 2 and tag[0] == tag[-1] == '"':
            tag = tag[1:-1]
        if tag:
            tags.add(tag if tag == "*" else tag.lower())
    return frozenset(tags)


def preconditions(req: falcon.Request) -> Preconditions:
    """Read If-Match and If-None-Match (1.0.3 Comm §3.1, 2.0 LRS §4.1.4)."""
    return Preconditions(
        if_match=_entity_tags(req.get_header("If-Match"), weak=False),
        if_none_match=_entity_tags(req.get_header("If-None-Match"), weak=True),
    )
