"""The merge rules of canonical Activity definitions and Persons (checklist §5.5, §13, §14)."""

from __future__ import annotations

import copy

from projections.definitions import (
    MAX_NAMES,
    Batch,
    agents_of,
    contribution,
    definitions_of,
    merge_definition,
    merge_person,
    person_object,
)
from tests.factories import statement

CHOICE = {
    "interactionType": "choice",
    "correctResponsesPattern": ["a"],
    "choices": [
        {"id": "a", "description": {"en-US": "A"}},
        {"id": "b", "description": {"en-US": "B"}},
    ],
}


def test_the_first_definition_is_taken_whole_and_left_unmodified():
    """(checklist §14) One statement's definition is the canonical one, unchanged."""
    given = {"name": {"en-US": "X"}, "type": "http://t.example.com/a", **CHOICE}
    kept = copy.deepcopy(given)
    merged = merge_definition(None, given)
    assert merged == given
    merged["choices"][0]["description"]["fr"] = "changed"
    assert given == kept


def test_language_maps_merge_key_by_key_with_the_later_value_winning():
    """(checklist §14: languages from different statements merged into one map; CTS v2_0
    4.1.6.4; checklist §5.5 MAY: small fixes such as spelling)"""
    first = {"name": {"en-US": "Meetng", "de-DE": "Treffen"}, "description": {"en-US": "d"}}
    later = {"name": {"EN-us": "Meeting", "fr-FR": "Réunion"}}
    assert merge_definition(first, later) == {
        "name": {"EN-us": "Meeting", "de-DE": "Treffen", "fr-FR": "Réunion"},
        "description": {"en-US": "d"},
    }


def test_type_and_more_info_are_replaced_by_a_later_statement_that_gives_them():
    """Decision (checklist §5.5): type and moreInfo follow the latest statement giving them."""
    first = {"type": "http://t.example.com/a", "moreInfo": "https://info.example.com/1"}
    assert merge_definition(first, {"type": "http://t.example.com/b"}) == {
        "type": "http://t.example.com/b",
        "moreInfo": "https://info.example.com/1",
    }
    assert merge_definition(first, {"name": {"en": "n"}})["type"] == "http://t.example.com/a"


def test_extensions_merge_key_by_key_with_keys_compared_as_iris():
    """Decision (checklist §5.5): extension keys are added; a later value wins for its key."""
    first = {"extensions": {"http://Example.com/ext/a": 1, "http://example.com/ext/b": {"x": 1}}}
    later = {"extensions": {"http://example.com/ext/a": 2, "http://example.com/ext/c": 3}}
    assert merge_definition(first, later)["extensions"] == {
        "http://example.com/ext/a": 2,
        "http://example.com/ext/b": {"x": 1},
        "http://example.com/ext/c": 3,
    }


def test_interaction_type_and_correct_responses_are_never_changed_by_later_statements():
    """(checklist §5.5 SHOULD NOT apply significant changes; 1.0.3 Data §2.4.4.1)"""
    first = {"name": {"en": "Q"}, **CHOICE}
    other_pattern = {**CHOICE, "correctResponsesPattern": ["b"]}
    assert merge_definition(first, other_pattern)["correctResponsesPattern"] == ["a"]
    other_type = {"interactionType": "true-false", "correctResponsesPattern": ["true"]}
    assert merge_definition(first, other_type) == first


def test_missing_interaction_parts_are_filled_only_under_the_same_interaction_type():
    """A definition that named the interaction without its pattern gets it from the first
    later definition of the same type; one of another type adds nothing."""
    first = {"interactionType": "choice"}
    assert (
        merge_definition(first, {"interactionType": "fill-in", "correctResponsesPattern": ["x"]})
        == first
    )
    assert merge_definition(first, CHOICE) == CHOICE
    named_later = merge_definition({"name": {"en": "Q"}}, CHOICE)
    assert named_later == {"name": {"en": "Q"}, **CHOICE}


def test_component_descriptions_gain_languages_but_components_are_never_added_or_dropped():
    """(checklist §14: component descriptions are language maps merged like the others;
    §5.5: the component list itself is significant)"""
    later = {
        "interactionType": "choice",
        "choices": [
            {"id": "b", "description": {"fr": "Bé", "en-us": "Bee"}},
            {"id": "z", "description": {"en-US": "Z"}},
        ],
    }
    assert merge_definition(CHOICE, later)["choices"] == [
        {"id": "a", "description": {"en-US": "A"}},
        {"id": "b", "description": {"en-us": "Bee", "fr": "Bé"}},
    ]


def test_definitions_come_from_every_place_in_merge_order():
    """Object, context lists in order, then the SubStatement's object and context."""

    def activity(name: str) -> dict:
        return {"id": f"HTTP://Example.com/{name}", "definition": {"name": {"en": name}}}

    body = statement(
        object={
            "objectType": "SubStatement",
            "actor": {"mbox": "mailto:a@example.com"},
            "verb": {"id": "http://example.com/v"},
            "object": activity("inner"),
            "context": {"contextActivities": {"other": [activity("inner-other")]}},
        },
        context={
            "contextActivities": {
                "other": [activity("other")],
                "parent": [activity("parent"), {"id": "http://example.com/bare"}],
                "grouping": activity("grouping"),
                "category": [{"id": "http://example.com/empty", "definition": {}}],
            }
        },
    )
    assert [key for key, _ in definitions_of(body)] == [
        "http://example.com/parent",
        "http://example.com/grouping",
        "http://example.com/other",
        "http://example.com/inner",
        "http://example.com/inner-other",
    ]


def test_agents_are_seen_everywhere_but_the_authority_and_groups_themselves():
    """Decision (checklist §13): what counts as "seen" for a Person."""

    def agent(n: int) -> dict:
        return {"mbox": f"mailto:a{n}@example.com"}

    group = {"objectType": "Group", "mbox": "mailto:team@example.com", "member": [agent(3)]}
    body = statement(
        actor=agent(1),
        object={
            "objectType": "SubStatement",
            "actor": {"objectType": "Group", "member": [agent(6), agent(7)]},
            "verb": {"id": "http://example.com/v"},
            "object": {"objectType": "Agent", **agent(8)},
            "context": {"instructor": agent(9)},
        },
        context={
            "instructor": agent(2),
            "team": group,
            "contextAgents": [{"objectType": "contextAgent", "agent": agent(4)}],
            "contextGroups": [
                {
                    "objectType": "contextGroup",
                    "group": {"objectType": "Group", "member": [agent(5)]},
                }
            ],
        },
        authority=agent(99),
    )
    seen = [a["mbox"] for a in agents_of(body)]
    assert seen == [f"mailto:a{n}@example.com" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9)]


def test_a_person_keeps_its_first_identifier_and_each_distinct_name_once():
    """(checklist §13: array entries follow the single-Agent rules; keys each once)"""
    person = merge_person(None, {"name": "Ada", "mbox": "mailto:ada@example.com"})
    person = merge_person(person, {"mbox": "mailto:ada@EXAMPLE.com"})
    person = merge_person(person, {"name": "Ada L", "mbox": "mailto:ada@example.com"})
    person = merge_person(person, {"name": "Ada", "mbox": "mailto:ada@example.com"})
    assert person_object(person) == {
        "objectType": "Person",
        "name": ["Ada", "Ada L"],
        "mbox": ["mailto:ada@example.com"],
    }
    assert person_object(merge_person(None, {"openid": "https://id.example.com/x"})) == {
        "objectType": "Person",
        "openid": ["https://id.example.com/x"],
    }


def test_a_person_keeps_at_most_max_names():
    person = None
    for n in range(MAX_NAMES + 5):
        person = merge_person(person, {"name": f"n{n}", "mbox": "mailto:a@example.com"})
    assert person is not None
    assert person["name"] == [f"n{n}" for n in range(MAX_NAMES)]


def test_a_batch_counts_each_statement_once_per_activity_and_agent():
    """The rows record how many statements fed them: an Activity or Agent named twice in one
    statement counts once (what the exactly-once checks rely on)."""
    activity = {"id": "http://example.com/a", "definition": {"name": {"en": "A"}}}
    body = statement(
        object=activity,
        context={
            "contextActivities": {"parent": [activity]},
            "instructor": {"mbox": "mailto:ada@example.com"},
        },
    )
    batch = Batch()
    batch.apply(contribution("t", 7, body))
    batch.apply(contribution("t", 9, body))
    assert batch.activities[("t", "http://example.com/a")].statements == 2
    assert batch.activities[("t", "http://example.com/a")].position == 9
    assert batch.persons[("t", "mbox:mailto:ada@example.com")].statements == 2
