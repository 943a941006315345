"""Strict validation of a whole xAPI Statement under the 1.0.3 or 2.0.0 rule set."""

from __future__ import annotations

import re
from typing import Any, Final

from ledger.errors import InvalidStatementError, Problem
from ledger.xapi.activities import check_activity
from ledger.xapi.agents import check_actor, check_agent, check_authority, check_group
from ledger.xapi.context import check_context, check_statement_ref
from ledger.xapi.primitives import (
    MISSING,
    ObjectCheck,
    add_problem,
    allowed_keys,
    array_check,
    check_boolean,
    check_duration,
    check_extensions,
    check_irl,
    check_keys,
    check_language_map,
    check_string,
    check_timestamp,
    check_uuid,
    expected,
    is_iri,
    is_number,
    is_sha2_hex,
    object_check,
    properties_check,
)
from ledger.xapi.versions import V1, V2

#: §6: the verb that makes a Statement a voiding Statement.
VOIDED_VERB: Final = "http://adlnet.gov/expapi/verbs/voided"

_SHARED_PROPERTIES: Final = ("actor", "verb", "object", "result", "context", "timestamp")
_STATEMENT: Final = allowed_keys(
    "id", *_SHARED_PROPERTIES, "stored", "authority", "version", "attachments"
)
# §4.10: properties a SubStatement must not carry (they belong to the outer Statement).
_SUBSTATEMENT: Final = allowed_keys(
    "objectType",
    *_SHARED_PROPERTIES,
    "attachments",
    refusals=dict.fromkeys(
        ("id", "stored", "version", "authority"), "not allowed in a SubStatement"
    ),
)
_OBJECT_TYPES: Final = "one of Activity, Agent, Group, StatementRef, SubStatement"

# RFC 6838 type/subtype with optional parameters (§4.16 contentType), leniently.
_MEDIA_TYPE_RE: Final = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(?:\s*;[^\x00-\x1f\x7f]*)?"
)

# §4.5: {id: IRI (required), display: language map}.
_check_verb: Final = object_check(
    "a Verb object",
    {"id": (is_iri, "an absolute IRI"), "display": check_language_map},
    required=("id",),
)
_SCORE_PROPERTIES: Final = ("scaled", "raw", "min", "max")
_check_score_keys: Final = object_check("a Score object", {}, keys=allowed_keys(*_SCORE_PROPERTIES))


def validate_statement(statement: object, version: str, *, pointer: str = "") -> None:
    """Validate one Statement strictly, collecting every problem before raising.

    Args:
        statement: The parsed JSON value; it is never modified.
        version: The rule set, `V1` ("1.0.3") or `V2` ("2.0.0"), negotiated from the request
            header — never taken from the Statement's own `version` (§1).
        pointer: JSON pointer prefix for the problems, e.g. "/3" for item 3 of a batch.

    Raises:
        InvalidStatementError: The Statement breaks a rule; `details` holds one `Problem` per
            fault found (at most `MAX_PROBLEMS`).
        ValueError: `version` names no supported rule set (a programming error).
    """
    if version != V1 and version != V2:
        raise ValueError(f"unknown xAPI rule set {version!r}; expected {V1!r} or {V2!r}")
    problems: list[Problem] = []
    _check_statement(statement, pointer, problems, version, False)
    if problems:
        raise InvalidStatementError(_summary(problems), details=problems)


def _summary(problems: list[Problem]) -> str:
    first = problems[0]
    where = first.pointer or "(root)"
    if len(where) > 200:
        where = where[:200] + "…"
    where = where.encode("unicode_escape").decode("ascii") if not where.isprintable() else where
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"Statement is invalid: {where}: {first.problem}{more}"


def _check_statement(
    statement: object, pointer: str, problems: list[Problem], version: str, sub: bool
) -> None:
    """Check a Statement, or (sub=True) a SubStatement whose objectType is already known."""
    if not isinstance(statement, dict):
        add_problem(problems, pointer, expected(statement, "a Statement object"))
        return
    check_keys(statement, _SUBSTATEMENT if sub else _STATEMENT, pointer, problems)

    actor = statement.get("actor", MISSING)
    if actor is MISSING:
        add_problem(problems, pointer + "/actor", "required property is missing")
    else:
        check_actor(actor, pointer + "/actor", problems)

    verb_id = MISSING
    verb = statement.get("verb", MISSING)
    if verb is MISSING:
        add_problem(problems, pointer + "/verb", "required property is missing")
    elif _check_verb(verb, pointer + "/verb", problems):
        verb_id = verb.get("id", MISSING)

    obj = statement.get("object", MISSING)
    if obj is MISSING:
        add_problem(problems, pointer + "/object", "required property is missing")
        object_type: Any = MISSING
    else:
        object_type = _check_object(obj, pointer + "/object", problems, version, sub)

    result = statement.get("result", MISSING)
    if result is not MISSING:
        _check_result(result, pointer + "/result", problems)
    context = statement.get("context", MISSING)
    if context is not MISSING:
        check_context(context, pointer + "/context", problems, version, object_type)
    _check_after_context(statement, pointer, problems)
    if sub:
        return

    _CHECK_OUTER_ONLY[version](statement, pointer, problems)
    if verb_id == VOIDED_VERB and object_type != "StatementRef" and obj is not MISSING:
        # §6, §16.5: a voiding Statement's object is a StatementRef with an id.
        add_problem(
            problems,
            pointer + "/object",
            "must be a StatementRef: the verb is http://adlnet.gov/expapi/verbs/voided",
        )


def _check_object(
    obj: object, pointer: str, problems: list[Problem], version: str, sub: bool
) -> Any:
    """Check the object by its objectType (§4.6) and return that type (MISSING when unknown)."""
    if not isinstance(obj, dict):
        add_problem(problems, pointer, expected(obj, "an object (Activity, Agent, Group, …)"))
        return MISSING
    object_type = obj.get("objectType", "Activity")  # §4.6: no objectType means Activity
    if object_type == "Activity":
        check_activity(obj, pointer, problems)
    elif object_type == "Agent":
        check_agent(obj, pointer, problems)
    elif object_type == "Group":
        check_group(obj, pointer, problems)
    elif object_type == "StatementRef":
        check_statement_ref(obj, pointer, problems)
    elif object_type == "SubStatement":
        if sub:
            add_problem(
                problems, pointer + "/objectType", "a SubStatement cannot contain a SubStatement"
            )
        else:
            _check_statement(obj, pointer, problems, version, True)
    else:
        add_problem(problems, pointer + "/objectType", expected(object_type, _OBJECT_TYPES))
        return MISSING
    return object_type


def _check_score(score: object, pointer: str, problems: list[Problem]) -> None:
    # §4.11: all four are JSON numbers; -1 <= scaled <= 1; min <= raw <= max.
    # §17 decision: min == max is accepted — the CTS only tests min > max, and a one-point
    # scale is a legitimate (if dull) score range.
    if not _check_score_keys(score, pointer, problems):
        return
    values: dict[str, Any] = {}
    for name in _SCORE_PROPERTIES:
        value = score.get(name, MISSING)
        if value is MISSING:
            continue
        if is_number(value):
            values[name] = value
        else:
            add_problem(problems, f"{pointer}/{name}", expected(value, "a finite JSON number"))
    scaled = values.get("scaled")
    if scaled is not None and not -1 <= scaled <= 1:
        add_problem(problems, pointer + "/scaled", "must be between -1 and 1 inclusive")
    low = values.get("min")
    high = values.get("max")
    if low is not None and high is not None and low > high:
        add_problem(problems, pointer + "/min", "must not be greater than max")
    raw = values.get("raw")
    if raw is not None:
        if low is not None and raw < low:
            add_problem(problems, pointer + "/raw", "must not be less than min")
        if high is not None and raw > high:
            add_problem(problems, pointer + "/raw", "must not be greater than max")


# §4.11: score, success, completion, response, duration, extensions.
_check_result: Final = object_check(
    "a Result object",
    {
        "score": _check_score,
        "success": check_boolean,
        "completion": check_boolean,
        "response": check_string,
        "duration": check_duration,
        "extensions": check_extensions,
    },
)


def _is_media_type(value: object) -> bool:
    return type(value) is str and _MEDIA_TYPE_RE.fullmatch(value) is not None


def _is_length(value: object) -> bool:
    return type(value) is int and value >= 0


# §4.16: structure only; whether attachments are accepted is decided elsewhere. sha2 is
# required even when fileUrl is given.
_check_attachment: Final = object_check(
    "an Attachment object",
    {
        "usageType": (is_iri, "an absolute IRI"),
        "display": check_language_map,
        "description": check_language_map,
        "contentType": (_is_media_type, "a media type string"),
        "length": (_is_length, "a non-negative integer"),
        "sha2": (is_sha2_hex, "the hex SHA-2 digest of the attachment"),
        "fileUrl": check_irl,
    },
    required=("usageType", "display", "contentType", "length", "sha2"),
)


# The properties after context, in a Statement and a SubStatement alike. §4.10, §16.4:
# timestamps in the future are accepted.
_check_after_context: Final = properties_check(
    {
        "timestamp": check_timestamp,
        "attachments": array_check(_check_attachment, "an array of Attachment objects"),
    }
)

# §4.15: under 1.0.3 rules `version` is 1.0 or 1.0.x; §16.1/§17: under 2.0 rules also 2.0.x
# (bare `2.0` accepted like bare `1.0`); 1.1.0, 0.9.9 and free text are refused (CTS).
_VERSION_RE: Final = {
    V1: re.compile(r"1\.0(?:\.[0-9]+)?", re.ASCII),
    V2: re.compile(r"[12]\.0(?:\.[0-9]+)?", re.ASCII),
}
_VERSION_EXPECTED: Final = {
    V1: "'1.0' or '1.0.x' under xAPI 1.0.3 rules",
    V2: "'1.0', '1.0.x', '2.0' or '2.0.x'",
}


def _outer_only(version: str) -> ObjectCheck:
    # The properties only a Statement has (§4.10), by rule set. §4.13: the LRS overwrites
    # `stored`, but checks a received value first.
    fullmatch = _VERSION_RE[version].fullmatch

    def is_version(value: object) -> bool:
        return type(value) is str and fullmatch(value) is not None

    return properties_check(
        {
            "id": check_uuid,
            "stored": check_timestamp,
            "authority": check_authority,
            "version": (is_version, _VERSION_EXPECTED[version]),
        }
    )


_CHECK_OUTER_ONLY: Final = {version: _outer_only(version) for version in (V1, V2)}
