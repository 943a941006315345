"""Query parameters of the xAPI resources, checked like the same types inside a Statement.

xAPI 1.0.3 Data §2.2 / checklist §2.6: an IRI, UUID, Timestamp or Agent parameter follows the
rules of that type in a Statement (not JSON-quoted, except Agents, which are JSON); whole
numbers (`int_param`) serve the `/v1` resources too. Each reader returns None when the
parameter is absent; `query_params` enforces required ones.
"""

from __future__ import annotations

from typing import Any

from ledger.errors import InvalidInputError, InvalidJSONError, Problem
from ledger.xapi import is_iri, is_timestamp, is_uuid, parse_json, parse_timestamp
from ledger.xapi.agents import validate_agent
from ledger.xapi.primitives import epoch_ms


def bad_param(name: str, problem: str) -> InvalidInputError:
    """The 400 for query parameter `name`: `problem` in the message and the detail."""
    return InvalidInputError(f"query parameter {name!r} {problem}", [Problem(f"?{name}", problem)])


def iri_param(params: dict[str, str], name: str) -> str | None:
    """Read an IRI parameter: an absolute IRI."""
    value = params.get(name)
    if value is not None and not is_iri(value):
        raise bad_param(name, "must be an absolute IRI")
    return value


def int_param(params: dict[str, str], name: str, low: int, high: int | None) -> int | None:
    """Read a whole-number parameter between `low` and `high` (inclusive)."""
    value = params.get(name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise bad_param(name, "must be a whole number")
    number = int(value)
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise bad_param(name, f"must be {bound}")
    return number


def uuid_param(params: dict[str, str], name: str) -> str | None:
    """Read a UUID parameter (8-4-4-4-12 hex)."""
    value = params.get(name)
    if value is not None and not is_uuid(value):
        raise bad_param(name, "must be a UUID")
    return value


def timestamp_ms_param(params: dict[str, str], name: str) -> int | None:
    """Read a Timestamp parameter, as milliseconds since the epoch (rounded down)."""
    value = params.get(name)
    if value is None:
        return None
    if not is_timestamp(value):
        raise bad_param(name, "must be an ISO 8601 timestamp")
    return epoch_ms(parse_timestamp(value))


def agent_param(
    params: dict[str, str], name: str = "agent", *, allow_group: bool = False
) -> dict[str, Any] | None:
    """Read an Agent parameter: an Agent as JSON (or, with `allow_group`, an identified Group).

    Without `allow_group` an object with `objectType: Group` is refused; an Identified Group
    is then addressed by putting its IFI in an Agent object (1.0.3 Comm §2.6 note).
    """
    value = params.get(name)
    if value is None:
        return None
    what = "an Agent or identified Group" if allow_group else "an Agent"
    try:
        agent: Any = parse_json(value.encode())
    except InvalidJSONError:
        raise bad_param(name, f"must be {what} as JSON") from None
    try:
        validate_agent(agent, allow_group=allow_group, pointer=f"?{name}")
    except InvalidInputError as ex:
        message = f"query parameter {name!r} is invalid: {ex.message}"
        raise InvalidInputError(message, ex.details) from None
    return dict(agent)
