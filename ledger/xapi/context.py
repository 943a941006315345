"""Checks of a Statement's context: contextActivities, contextAgents/Groups, StatementRefs."""

from __future__ import annotations

from typing import Any, Final

from ledger.errors import Problem
from ledger.xapi.activities import check_activity
from ledger.xapi.agents import check_actor, check_agent, check_group
from ledger.xapi.primitives import (
    MISSING,
    add_problem,
    allowed_keys,
    array_check,
    check_extensions,
    check_iri,
    check_keys,
    check_string,
    check_uuid,
    constant_check,
    expected,
    is_language_tag,
    object_check,
    predicate_check,
    properties_check,
)
from ledger.xapi.versions import V2

#: Check a StatementRef, a Statement's object or a context's `statement`. §4.9:
#: {objectType: "StatementRef", id: UUID}, both required, nothing else.
check_statement_ref: Final = object_check(
    "a StatementRef object",
    {"objectType": constant_check("StatementRef"), "id": check_uuid},
    required=("objectType", "id"),
)


def _check_activity_list(value: object, pointer: str, problems: list[Problem]) -> None:
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
    dict.fromkeys(("parent", "grouping", "category", "other"), _check_activity_list),
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
        "objectType": constant_check("contextAgent"),
        "agent": check_agent,
        "relevantTypes": _check_relevant_types,
    },
    required=("objectType", "agent"),
)
_check_context_group: Final = object_check(
    "a contextGroup object",
    {
        "objectType": constant_check("contextGroup"),
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
_CONTEXT_V2: Final = allowed_keys(*_CONTEXT_PROPERTIES_V1, "contextAgents", "contextGroups")

# The properties before revision and platform, those after, and those new in 2.0 (§16.3).
_check_before_revision: Final = properties_check(
    {
        "registration": check_uuid,
        "instructor": check_actor,
        "team": check_group,
        "contextActivities": _check_context_activities,
    }
)
_check_after_platform: Final = properties_check(
    {
        "language": predicate_check(is_language_tag, "an RFC 5646 language tag"),
        "statement": check_statement_ref,
        "extensions": check_extensions,
    }
)
_check_new_in_v2: Final = properties_check(
    {
        "contextAgents": array_check(_check_context_agent, "an array of contextAgent objects"),
        "contextGroups": array_check(_check_context_group, "an array of contextGroup objects"),
    }
)


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
    if not isinstance(context, dict):
        add_problem(problems, pointer, expected(context, "a Context object"))
        return
    check_keys(context, _CONTEXT_V2 if version == V2 else _CONTEXT_V1, pointer, problems)
    _check_before_revision(context, pointer, problems)
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
    _check_after_platform(context, pointer, problems)
    if version == V2:
        _check_new_in_v2(context, pointer, problems)
