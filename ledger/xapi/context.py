"""Checks of a Statement's context: contextActivities, contextAgents/Groups, StatementRefs."""

from __future__ import annotations

from typing import Any, Final

from ledger.errors import Problem
from ledger.xapi.activities import check_activity
from ledger.xapi.agents import check_actor, check_agent, check_group
from ledger.xapi.primitives import (
    MISSING,
    Check,
    ObjectCheck,
    Rule,
    add_problem,
    allowed_keys,
    array_check,
    check_extensions,
    check_iri,
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


def _check_activities(value: object, pointer: str, problems: list[Problem]) -> None:
    # §4.12: each an Activity or an array of Activities.
    if isinstance(value, list):
        for index, activity in enumerate(value):
            check_activity(activity, f"{pointer}/{index}", problems)
    elif isinstance(value, dict):
        check_activity(value, pointer, problems)
    else:
        add_problem(problems, pointer, expected(value, "an Activity or an array of Activities"))


# §4.12: keys parent/grouping/category/other.
_check_context_activities: Final = object_check(
    "a contextActivities object",
    dict.fromkeys(("parent", "grouping", "category", "other"), _check_activities),
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


def _context_members_check(kind: str, member_key: str, check_member: Check) -> Check:
    # §16.3: arrays of {objectType: "contextAgent", agent, relevantTypes?} or
    # {objectType: "contextGroup", group, relevantTypes?}; items independent of each other.
    check_item = object_check(
        f"a {kind} object",
        {
            "objectType": equal_to(kind),
            member_key: check_member,
            "relevantTypes": _check_relevant_types,
        },
        required=("objectType", member_key),
    )
    return array_check(check_item, f"an array of {kind} objects")


_check_context_agents: Final = _context_members_check("contextAgent", "agent", check_agent)
_check_context_groups: Final = _context_members_check("contextGroup", "group", check_group)


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
    rules["contextAgents"] = _check_context_agents
    rules["contextGroups"] = _check_context_groups
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
