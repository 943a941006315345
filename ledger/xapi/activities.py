"""Checks of Activities, their definitions and interaction components."""

from __future__ import annotations

from typing import Any, Final

from ledger.errors import Problem
from ledger.xapi.primitives import (
    MISSING,
    Rule,
    add_problem,
    allowed_keys,
    array_check,
    check_extensions,
    check_irl,
    check_keys,
    check_language_map,
    check_string,
    equal_to,
    expected,
    is_iri,
    object_check,
)

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


def _is_interaction_type(value: object) -> bool:
    return type(value) is str and value in INTERACTION_TYPES


_DEFINITION_RULES: Final[dict[str, Rule]] = {
    "name": check_language_map,
    "description": check_language_map,
    "type": (is_iri, "an absolute IRI"),
    "moreInfo": check_irl,
    "extensions": check_extensions,
    "interactionType": (_is_interaction_type, _INTERACTION_TYPE_NAMES),
}
_check_definition_properties: Final = object_check(
    "an Activity definition object",
    _DEFINITION_RULES,
    keys=allowed_keys(*_DEFINITION_RULES, "correctResponsesPattern", *_COMPONENT_LISTS),
)
_COMPONENT: Final = allowed_keys("id", "description")
# [] is valid (no answer is correct); response strings are never parsed (§4.8).
_check_pattern: Final = array_check(check_string, "an array of strings")


def check_definition(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check an Activity definition, interaction properties included (§4.7, §4.8)."""
    if not _check_definition_properties(value, pointer, problems):
        return
    if not _INTERACTION_KEYS.isdisjoint(value):
        _check_interaction(value, "interactionType" not in value, pointer, problems)


#: Check an Activity: `id` IRI required, objectType absent or "Activity" (§4.7).
check_activity: Final = object_check(
    "an Activity object",
    {
        "objectType": equal_to("Activity"),
        "id": (is_iri, "an absolute IRI"),
        "definition": check_definition,
    },
    required=("id",),
)


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
        _check_pattern(pattern, where, problems)
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
