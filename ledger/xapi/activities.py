"""Checks of Activities, their definitions and interaction components."""

from __future__ import annotations

from typing import Any, Final

from ledger.errors import Problem
from ledger.xapi.primitives import (
    MISSING,
    add_problem,
    allowed_keys,
    check_extensions,
    check_irl,
    check_keys,
    check_language_map,
    expected,
    is_iri,
)

_ACTIVITY: Final = allowed_keys("objectType", "id", "definition")
_DEFINITION: Final = allowed_keys(
    "name",
    "description",
    "type",
    "moreInfo",
    "extensions",
    "interactionType",
    "correctResponsesPattern",
    "choices",
    "scale",
    "source",
    "target",
    "steps",
)
_COMPONENT: Final = allowed_keys("id", "description")

#: §4.8: the interaction types, case-exact.
INTERACTION_TYPES: Final = frozenset(
    {
        "true-false",
        "choice",
        "fill-in",
        "long-fill-in",
        "matching",
        "performance",
        "sequencing",
        "likert",
        "numeric",
        "other",
    }
)
_INTERACTION_TYPE_NAMES: Final = (
    "one of true-false, choice, fill-in, long-fill-in, matching, performance, sequencing, "
    "likert, numeric, other"
)
_COMPONENT_LISTS: Final = ("choices", "scale", "source", "target", "steps")
# Keys that only make sense on an interaction Activity (§4.8).
_INTERACTION_KEYS: Final = frozenset(("correctResponsesPattern", *_COMPONENT_LISTS))


def check_activity(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check an Activity: `id` IRI required, objectType absent or "Activity" (§4.7)."""
    if not isinstance(value, dict):
        add_problem(problems, pointer, expected(value, "an Activity object"))
        return
    check_keys(value, _ACTIVITY, pointer, problems)
    object_type = value.get("objectType", MISSING)
    if object_type is not MISSING and object_type != "Activity":
        add_problem(problems, pointer + "/objectType", expected(object_type, "'Activity'"))
    activity_id = value.get("id", MISSING)
    if activity_id is MISSING:
        add_problem(problems, pointer + "/id", "required property is missing")
    elif not is_iri(activity_id):
        add_problem(problems, pointer + "/id", expected(activity_id, "an absolute IRI"))
    definition = value.get("definition", MISSING)
    if definition is not MISSING:
        check_definition(definition, pointer + "/definition", problems)


def check_definition(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check an Activity definition, interaction properties included (§4.7, §4.8)."""
    if not isinstance(value, dict):
        add_problem(problems, pointer, expected(value, "an Activity definition object"))
        return
    check_keys(value, _DEFINITION, pointer, problems)
    name = value.get("name", MISSING)
    if name is not MISSING:
        check_language_map(name, pointer + "/name", problems)
    description = value.get("description", MISSING)
    if description is not MISSING:
        check_language_map(description, pointer + "/description", problems)
    kind = value.get("type", MISSING)
    if kind is not MISSING and not is_iri(kind):
        add_problem(problems, pointer + "/type", expected(kind, "an absolute IRI"))
    more_info = value.get("moreInfo", MISSING)
    if more_info is not MISSING:
        check_irl(more_info, pointer + "/moreInfo", problems)
    extensions = value.get("extensions", MISSING)
    if extensions is not MISSING:
        check_extensions(extensions, pointer + "/extensions", problems)
    interaction_type = value.get("interactionType", MISSING)
    if interaction_type is not MISSING and (
        type(interaction_type) is not str or interaction_type not in INTERACTION_TYPES
    ):
        add_problem(
            problems,
            pointer + "/interactionType",
            expected(interaction_type, _INTERACTION_TYPE_NAMES),
        )
    if _INTERACTION_KEYS.isdisjoint(value):
        return
    _check_interaction(value, interaction_type is MISSING, pointer, problems)


def _check_interaction(
    definition: dict[Any, Any], untyped: bool, pointer: str, problems: list[Problem]
) -> None:
    # §4.8: interaction keys need an interactionType. Lists that do not fit the type
    # (e.g. `scale` on a choice) are accepted: refusing them is only a MAY and checks meaning.
    pattern = definition.get("correctResponsesPattern", MISSING)
    if pattern is not MISSING:
        where = pointer + "/correctResponsesPattern"
        if untyped:
            add_problem(problems, where, "requires 'interactionType' on the definition")
        if not isinstance(pattern, list):
            add_problem(problems, where, expected(pattern, "an array of strings"))
        else:
            # [] is valid (no answer is correct); response strings are never parsed (§4.8).
            for index, response in enumerate(pattern):
                if type(response) is not str:
                    add_problem(problems, f"{where}/{index}", expected(response, "a string"))
    for list_name in _COMPONENT_LISTS:
        components = definition.get(list_name, MISSING)
        if components is MISSING:
            continue
        where = f"{pointer}/{list_name}"
        if untyped:
            add_problem(problems, where, "requires 'interactionType' on the definition")
        _check_components(components, where, problems)


def _check_components(value: object, pointer: str, problems: list[Problem]) -> None:
    # §4.8: [{id: string (required), description: language map (optional)}], ids unique per list.
    if not isinstance(value, list):
        add_problem(problems, pointer, expected(value, "an array of interaction components"))
        return
    seen: set[str] = set()
    for index, component in enumerate(value):
        where = f"{pointer}/{index}"
        if not isinstance(component, dict):
            add_problem(problems, where, expected(component, "an interaction component object"))
            continue
        check_keys(component, _COMPONENT, where, problems)
        component_id = component.get("id", MISSING)
        if component_id is MISSING:
            add_problem(problems, where + "/id", "required property is missing")
        elif type(component_id) is not str:
            add_problem(problems, where + "/id", expected(component_id, "a string"))
        elif component_id in seen:
            add_problem(problems, where + "/id", f"repeats id {component_id!r} of this list")
        else:
            seen.add(component_id)
        description = component.get("description", MISSING)
        if description is not MISSING:
            check_language_map(description, where + "/description", problems)
