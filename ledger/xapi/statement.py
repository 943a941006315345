"""Strict validation of a whole xAPI Statement under the 1.0.3 or 2.0.0 rule set."""

from __future__ import annotations

import re
from typing import Any, Final

from ledger.errors import InvalidStatementError, Problem
from ledger.xapi.activities import check_activity
from ledger.xapi.agents import check_actor, check_agent, check_authority, check_group
from ledger.xapi.primitives import (
    MISSING,
    SHA2_RE,
    UUID_RE,
    AllowedKeys,
    add_problem,
    allowed_keys,
    check_boolean,
    check_duration,
    check_extensions,
    check_iri,
    check_irl,
    check_keys,
    check_language_map,
    check_string,
    check_timestamp,
    check_uuid,
    escape_key,
    expected,
    is_iri,
    is_language_tag,
    is_number,
)
from ledger.xapi.versions import V1, V2

#: §6: the verb that makes a Statement a voiding Statement.
VOIDED_VERB: Final = "http://adlnet.gov/expapi/verbs/voided"

_STATEMENT: Final = allowed_keys(
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
)
_SUBSTATEMENT: Final = allowed_keys(
    "objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"
)
_VERB: Final = allowed_keys("id", "display")
_STATEMENT_REF: Final = allowed_keys("objectType", "id")
_RESULT: Final = allowed_keys(
    "score", "success", "completion", "response", "duration", "extensions"
)
_SCORE_PROPERTIES: Final = ("scaled", "raw", "min", "max")
_SCORE: Final = allowed_keys(*_SCORE_PROPERTIES)
_CONTEXT_PROPERTIES_V1: Final = (
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "revision",
    "platform",
    "language",
    "statement",
    "extensions",
)
_CONTEXT_V1: Final = allowed_keys(*_CONTEXT_PROPERTIES_V1)
_CONTEXT_V2: Final = allowed_keys(*_CONTEXT_PROPERTIES_V1, "contextAgents", "contextGroups")
_CONTEXT_ACTIVITY_LISTS: Final = ("parent", "grouping", "category", "other")
_CONTEXT_ACTIVITIES: Final = allowed_keys(*_CONTEXT_ACTIVITY_LISTS)
_CONTEXT_AGENT: Final = allowed_keys("objectType", "agent", "relevantTypes")
_CONTEXT_GROUP: Final = allowed_keys("objectType", "group", "relevantTypes")
_ATTACHMENT: Final = allowed_keys(
    "usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"
)

# §4.10: properties a SubStatement must not carry (they belong to the outer Statement).
_NOT_IN_SUBSTATEMENT: Final = frozenset(("id", "stored", "version", "authority"))
_OBJECT_TYPES: Final = "one of Activity, Agent, Group, StatementRef, SubStatement"

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

# RFC 6838 type/subtype with optional parameters (§4.16 contentType), leniently.
_MEDIA_TYPE_RE: Final = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(?:\s*;[^\x00-\x1f\x7f]*)?"
)


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
    allowed = _SUBSTATEMENT if sub else _STATEMENT
    if not allowed.keys.issuperset(statement):
        _report_statement_keys(statement, allowed, pointer, problems, sub)

    actor = statement.get("actor", MISSING)
    if actor is MISSING:
        add_problem(problems, pointer + "/actor", "required property is missing")
    else:
        check_actor(actor, pointer + "/actor", problems)

    verb_id = MISSING
    verb = statement.get("verb", MISSING)
    if verb is MISSING:
        add_problem(problems, pointer + "/verb", "required property is missing")
    else:
        verb_id = _check_verb(verb, pointer + "/verb", problems)

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
        _check_context(context, pointer + "/context", problems, version, object_type)
    timestamp = statement.get("timestamp", MISSING)
    if timestamp is not MISSING:
        # §4.10, §16.4: timestamps in the future are accepted.
        check_timestamp(timestamp, pointer + "/timestamp", problems)
    attachments = statement.get("attachments", MISSING)
    if attachments is not MISSING:
        _check_attachments(attachments, pointer + "/attachments", problems)
    if sub:
        return

    statement_id = statement.get("id", MISSING)
    if statement_id is not MISSING:
        check_uuid(statement_id, pointer + "/id", problems)
    stored = statement.get("stored", MISSING)
    if stored is not MISSING:
        # §4.13: the LRS overwrites `stored`, but checks a received value first.
        check_timestamp(stored, pointer + "/stored", problems)
    authority = statement.get("authority", MISSING)
    if authority is not MISSING:
        check_authority(authority, pointer + "/authority", problems)
    stated_version = statement.get("version", MISSING)
    if stated_version is not MISSING and (
        type(stated_version) is not str or _VERSION_RE[version].fullmatch(stated_version) is None
    ):
        add_problem(
            problems, pointer + "/version", expected(stated_version, _VERSION_EXPECTED[version])
        )
    if verb_id == VOIDED_VERB and object_type != "StatementRef" and obj is not MISSING:
        # §6, §16.5: a voiding Statement's object is a StatementRef with an id.
        add_problem(
            problems,
            pointer + "/object",
            "must be a StatementRef: the verb is http://adlnet.gov/expapi/verbs/voided",
        )


def _report_statement_keys(
    statement: dict[Any, Any],
    allowed: AllowedKeys,
    pointer: str,
    problems: list[Problem],
    sub: bool,
) -> None:
    for key in statement:
        if key in allowed.keys:
            continue
        where = f"{pointer}/{escape_key(key)}"
        if sub and key in _NOT_IN_SUBSTATEMENT:
            add_problem(problems, where, "not allowed in a SubStatement")
        else:
            add_problem(problems, where, f"unknown property (allowed: {allowed.names})")


def _check_verb(verb: object, pointer: str, problems: list[Problem]) -> Any:
    """Check a Verb (§4.5) and return its id (or MISSING)."""
    if not isinstance(verb, dict):
        add_problem(problems, pointer, expected(verb, "a Verb object"))
        return MISSING
    check_keys(verb, _VERB, pointer, problems)
    verb_id = verb.get("id", MISSING)
    if verb_id is MISSING:
        add_problem(problems, pointer + "/id", "required property is missing")
    elif not is_iri(verb_id):
        add_problem(problems, pointer + "/id", expected(verb_id, "an absolute IRI"))
    display = verb.get("display", MISSING)
    if display is not MISSING:
        check_language_map(display, pointer + "/display", problems)
    return verb_id


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
        _check_statement_ref(obj, pointer, problems)
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


def _check_statement_ref(value: object, pointer: str, problems: list[Problem]) -> None:
    # §4.9: {objectType: "StatementRef", id: UUID}, both required, nothing else.
    if not isinstance(value, dict):
        add_problem(problems, pointer, expected(value, "a StatementRef object"))
        return
    check_keys(value, _STATEMENT_REF, pointer, problems)
    object_type = value.get("objectType", MISSING)
    if object_type is MISSING:
        add_problem(problems, pointer + "/objectType", "required property is missing")
    elif object_type != "StatementRef":
        add_problem(problems, pointer + "/objectType", expected(object_type, "'StatementRef'"))
    ref_id = value.get("id", MISSING)
    if ref_id is MISSING:
        add_problem(problems, pointer + "/id", "required property is missing")
    elif type(ref_id) is not str or UUID_RE.fullmatch(ref_id) is None:
        add_problem(problems, pointer + "/id", expected(ref_id, "a UUID in 8-4-4-4-12 form"))


def _check_result(result: object, pointer: str, problems: list[Problem]) -> None:
    # §4.11: score, success, completion, response, duration, extensions.
    if not isinstance(result, dict):
        add_problem(problems, pointer, expected(result, "a Result object"))
        return
    check_keys(result, _RESULT, pointer, problems)
    score = result.get("score", MISSING)
    if score is not MISSING:
        _check_score(score, pointer + "/score", problems)
    success = result.get("success", MISSING)
    if success is not MISSING:
        check_boolean(success, pointer + "/success", problems)
    completion = result.get("completion", MISSING)
    if completion is not MISSING:
        check_boolean(completion, pointer + "/completion", problems)
    response = result.get("response", MISSING)
    if response is not MISSING:
        check_string(response, pointer + "/response", problems)
    duration = result.get("duration", MISSING)
    if duration is not MISSING:
        check_duration(duration, pointer + "/duration", problems)
    extensions = result.get("extensions", MISSING)
    if extensions is not MISSING:
        check_extensions(extensions, pointer + "/extensions", problems)


def _check_score(score: object, pointer: str, problems: list[Problem]) -> None:
    # §4.11: all four are JSON numbers; -1 <= scaled <= 1; min <= raw <= max.
    # §17 decision: min == max is accepted — the CTS only tests min > max, and a one-point
    # scale is a legitimate (if dull) score range.
    if not isinstance(score, dict):
        add_problem(problems, pointer, expected(score, "a Score object"))
        return
    check_keys(score, _SCORE, pointer, problems)
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


def _check_context(
    context: object, pointer: str, problems: list[Problem], version: str, object_type: Any
) -> None:
    # §4.12 (and §16.3 for 2.0's contextAgents / contextGroups).
    if not isinstance(context, dict):
        add_problem(problems, pointer, expected(context, "a Context object"))
        return
    if version == V2:
        check_keys(context, _CONTEXT_V2, pointer, problems)
    elif not _CONTEXT_V1.keys.issuperset(context):
        for key in context:
            if key in _CONTEXT_V1.keys:
                continue
            # §16.1: under 1.0.3 rules the 2.0-only keys are unknown properties.
            hint = " — new in xAPI 2.0.0" if key in _CONTEXT_V2.keys else ""
            add_problem(
                problems,
                f"{pointer}/{escape_key(key)}",
                f"unknown property{hint} (allowed: {_CONTEXT_V1.names})",
            )

    registration = context.get("registration", MISSING)
    if registration is not MISSING:
        check_uuid(registration, pointer + "/registration", problems)
    instructor = context.get("instructor", MISSING)
    if instructor is not MISSING:
        check_actor(instructor, pointer + "/instructor", problems)
    team = context.get("team", MISSING)
    if team is not MISSING:
        check_group(team, pointer + "/team", problems)
    context_activities = context.get("contextActivities", MISSING)
    if context_activities is not MISSING:
        _check_context_activities(context_activities, pointer + "/contextActivities", problems)
    for name in ("revision", "platform"):
        value = context.get(name, MISSING)
        if value is MISSING:
            continue
        check_string(value, f"{pointer}/{name}", problems)
        if object_type is not MISSING and object_type != "Activity":
            # §4.12: revision and platform only describe an Activity object.
            add_problem(
                problems, f"{pointer}/{name}", "is allowed only when the object is an Activity"
            )
    language = context.get("language", MISSING)
    if language is not MISSING and not is_language_tag(language):
        add_problem(problems, pointer + "/language", expected(language, "an RFC 5646 language tag"))
    statement = context.get("statement", MISSING)
    if statement is not MISSING:
        _check_statement_ref(statement, pointer + "/statement", problems)
    extensions = context.get("extensions", MISSING)
    if extensions is not MISSING:
        check_extensions(extensions, pointer + "/extensions", problems)
    if version == V2:
        agents = context.get("contextAgents", MISSING)
        if agents is not MISSING:
            _check_context_members(agents, pointer + "/contextAgents", problems, False)
        groups = context.get("contextGroups", MISSING)
        if groups is not MISSING:
            _check_context_members(groups, pointer + "/contextGroups", problems, True)


def _check_context_activities(value: object, pointer: str, problems: list[Problem]) -> None:
    # §4.12: keys parent/grouping/category/other; each an Activity or an array of Activities.
    if not isinstance(value, dict):
        add_problem(problems, pointer, expected(value, "a contextActivities object"))
        return
    check_keys(value, _CONTEXT_ACTIVITIES, pointer, problems)
    for name in _CONTEXT_ACTIVITY_LISTS:
        activities = value.get(name, MISSING)
        if activities is MISSING:
            continue
        where = f"{pointer}/{name}"
        if isinstance(activities, list):
            for index, activity in enumerate(activities):
                check_activity(activity, f"{where}/{index}", problems)
        elif isinstance(activities, dict):
            check_activity(activities, where, problems)
        else:
            add_problem(
                problems, where, expected(activities, "an Activity or an array of Activities")
            )


def _check_context_members(
    value: object, pointer: str, problems: list[Problem], groups: bool
) -> None:
    # §16.3: arrays of {objectType: "contextAgent", agent, relevantTypes?} or
    # {objectType: "contextGroup", group, relevantTypes?}; items independent of each other.
    kind, member_key, allowed = (
        ("contextGroup", "group", _CONTEXT_GROUP)
        if groups
        else ("contextAgent", "agent", _CONTEXT_AGENT)
    )
    if not isinstance(value, list):
        add_problem(problems, pointer, expected(value, f"an array of {kind} objects"))
        return
    for index, item in enumerate(value):
        where = f"{pointer}/{index}"
        if not isinstance(item, dict):
            add_problem(problems, where, expected(item, f"a {kind} object"))
            continue
        check_keys(item, allowed, where, problems)
        object_type = item.get("objectType", MISSING)
        if object_type is MISSING:
            add_problem(problems, where + "/objectType", "required property is missing")
        elif object_type != kind:
            add_problem(problems, where + "/objectType", expected(object_type, f"'{kind}'"))
        member = item.get(member_key, MISSING)
        if member is MISSING:
            add_problem(problems, f"{where}/{member_key}", "required property is missing")
        elif groups:
            check_group(member, f"{where}/{member_key}", problems)
        else:
            check_agent(member, f"{where}/{member_key}", problems)
        relevant_types = item.get("relevantTypes", MISSING)
        if relevant_types is not MISSING:
            _check_relevant_types(relevant_types, where + "/relevantTypes", problems)


def _check_relevant_types(value: object, pointer: str, problems: list[Problem]) -> None:
    # §16.3: a non-empty array of IRIs.
    if not isinstance(value, list):
        add_problem(problems, pointer, expected(value, "a non-empty array of IRIs"))
    elif not value:
        add_problem(problems, pointer, "must hold at least one IRI")
    else:
        for index, iri in enumerate(value):
            check_iri(iri, f"{pointer}/{index}", problems)


def _check_attachments(value: object, pointer: str, problems: list[Problem]) -> None:
    # §4.16: structure only; whether attachments are accepted is decided elsewhere.
    if not isinstance(value, list):
        add_problem(problems, pointer, expected(value, "an array of Attachment objects"))
        return
    for index, attachment in enumerate(value):
        _check_attachment(attachment, f"{pointer}/{index}", problems)


def _check_attachment(value: object, pointer: str, problems: list[Problem]) -> None:
    if not isinstance(value, dict):
        add_problem(problems, pointer, expected(value, "an Attachment object"))
        return
    check_keys(value, _ATTACHMENT, pointer, problems)
    usage_type = value.get("usageType", MISSING)
    if usage_type is MISSING:
        add_problem(problems, pointer + "/usageType", "required property is missing")
    elif not is_iri(usage_type):
        add_problem(problems, pointer + "/usageType", expected(usage_type, "an absolute IRI"))
    display = value.get("display", MISSING)
    if display is MISSING:
        add_problem(problems, pointer + "/display", "required property is missing")
    else:
        check_language_map(display, pointer + "/display", problems)
    description = value.get("description", MISSING)
    if description is not MISSING:
        check_language_map(description, pointer + "/description", problems)
    content_type = value.get("contentType", MISSING)
    if content_type is MISSING:
        add_problem(problems, pointer + "/contentType", "required property is missing")
    elif type(content_type) is not str or _MEDIA_TYPE_RE.fullmatch(content_type) is None:
        add_problem(
            problems, pointer + "/contentType", expected(content_type, "a media type string")
        )
    length = value.get("length", MISSING)
    if length is MISSING:
        add_problem(problems, pointer + "/length", "required property is missing")
    elif type(length) is not int or length < 0:
        add_problem(problems, pointer + "/length", expected(length, "a non-negative integer"))
    sha2 = value.get("sha2", MISSING)
    if sha2 is MISSING:
        # §4.16: required even when fileUrl is given.
        add_problem(problems, pointer + "/sha2", "required property is missing")
    elif type(sha2) is not str or SHA2_RE.fullmatch(sha2) is None:
        add_problem(
            problems, pointer + "/sha2", expected(sha2, "the hex SHA-2 digest of the attachment")
        )
    file_url = value.get("fileUrl", MISSING)
    if file_url is not MISSING:
        check_irl(file_url, pointer + "/fileUrl", problems)
