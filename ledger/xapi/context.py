"""Checks of a Statement's context: contextActivities, contextAgents/Groups, StatementRefs."""

from __future__ import annotations

from typing import Any, Final

from ledger.errors import Problem
from ledger.xapi.activities import check_activity
from ledger.xapi.agents import check_actor, check_agent, check_group
from ledger.xapi.primitives import (
    MISSING,
    ObjectCheck,
    Rule,
    add_problem,
    allowed_keys,
    array_check,
    check_extensions,
    check_iri,
    check_keys,
    check_string,
    check_uuid,
    equal_to,
    expected,
    is_language_tag,
    is_uuid,
    object_check,
)
from ledger.xapi.versions import V1, V2

#: Check a StatementRef, a Statement's object or a context's `statement`. §4.9:
#: {objectType: "StatementRef", id: UUID}, both required, nothing else.
check_statement_ref: Final = object_check(
    "a StatementRef object",
    {
        "objectType": equal_to("StatementRef"),
        "id": (is_uuid, "a UUID in 8-4-4-4-12 form"),
    },
    required=("objectType", "id"),
)


_CONTEXT_ACTIVITY_LISTS: Final = ("parent", "grouping", "category", "other")
_CONTEXT_ACTIVITIES: Final = allowed_keys(*_CONTEXT_ACTIVITY_LISTS)


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


def _check_relevant_types(value: object, pointer: str, problems: list[Problem]) -> None:
    # §16.3: a non-empty array of IRIs.
    if not isinstance(value, list):
        add_problem(problems, pointer, expected(value, "a non-empty array of IRIs"))
    elif not value:
        add_problem(problems, pointer, "must hold at least one IRI")
    else:
        for index, iri in enumerate(value):
            check_iri(iri, f"{pointer}/{index}", problems)


# §16.3: arrays of {objectType: "contextAgent", agent, relevantTypes?} or
# {objectType: "contextGroup", group, relevantTypes?}; items independent of each other.
_check_context_agent: Final = object_check(
    "a contextAgent object",
    {
        "objectType": equal_to("contextAgent"),
        "agent": check_agent,
        "relevantTypes": _check_relevant_types,
    },
    required=("objectType", "agent"),
)
_check_context_group: Final = object_check(
    "a contextGroup object",
    {
        "objectType": equal_to("contextGroup"),
        "group": check_group,
        "relevantTypes": _check_relevant_types,
    },
    required=("objectType", "group"),
)


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
# §16.1: under 1.0.3 rules the 2.0-only keys are unknown properties.
_CONTEXT_V1: Final = allowed_keys(
    *_CONTEXT_PROPERTIES_V1,
    refusals=dict.fromkeys(
        ("contextAgents", "contextGroups"),
        f"unknown property — new in xAPI 2.0.0 (allowed: {', '.join(_CONTEXT_PROPERTIES_V1)})",
    ),
)


def _check_string_of_activity(value: object, pointer: str, problems: list[Problem]) -> None:
    # §4.12: revision and platform only describe an Activity object.
    check_string(value, pointer, problems)
    add_problem(problems, pointer, "is allowed only when the object is an Activity")


def _context_check(version: str, object_is_activity: bool) -> ObjectCheck:
    # §4.12 (and §16.3 for 2.0's contextAgents / contextGroups).
    of_activity = check_string if object_is_activity else _check_string_of_activity
    rules: dict[str, Rule] = {
        "registration": check_uuid,
        "instructor": check_actor,
        "team": check_group,
        "contextActivities": _check_context_activities,
        "revision": of_activity,
        "platform": of_activity,
        "language": (is_language_tag, "an RFC 5646 language tag"),
        "statement": check_statement_ref,
        "extensions": check_extensions,
    }
    if version != V2:
        return object_check("a Context object", rules, keys=_CONTEXT_V1)
    rules["contextAgents"] = array_check(_check_context_agent, "an array of contextAgent objects")
    rules["contextGroups"] = array_check(_check_context_group, "an array of contextGroup objects")
    return object_check("a Context object", rules)


# The context checks by rule set and by whether the object may be an Activity.
_CONTEXT_CHECKS: Final = {
    (version, object_is_activity): _context_check(version, object_is_activity)
    for version in (V1, V2)
    for object_is_activity in (True, False)
}


def check_context(
    context: object, pointer: str, problems: list[Problem], version: str, object_type: Any
) -> None:
    """Check a Statement's context (§4.12; §16.3 for 2.0's contextAgents and contextGroups).

    Args:
        context: The value of the Statement's `context` property.
        pointer: JSON pointer of `context`.
        problems: Where each problem found is recorded.
        version: The rule set, `V1` or `V2`.
        object_type: The objectType of the Statement's object, MISSING when unknown.
    """
    object_is_activity = object_type is MISSING or object_type == "Activity"
    _CONTEXT_CHECKS[version, object_is_activity](context, pointer, problems)
