"""Tests of the GET /statements output formats and Accept-Language parsing (checklist §7.3)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidInputError
from ledger.xapi.formats import format_statement, parse_accept_language
from tests.strategies import statements

VERSIONS = st.sampled_from(["1.0.3", "2.0.0"])
ANN = {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"}
BOB = {"name": "Bob", "account": {"homePage": "http://example.com", "name": "bob"}}
TEAM = {"objectType": "Group", "name": "Team", "openid": "http://example.com/team", "member": [ANN]}
CREW = {"objectType": "Group", "name": "Crew", "member": [ANN, BOB]}
DEFINITION = {
    "name": {"en-US": "Quiz", "fr": "Jeu", "de": "Quiz (de)"},
    "description": {"fr": "Un jeu", "en-GB": "A quiz"},
    "type": "http://example.com/types/quiz",
    "interactionType": "choice",
    "correctResponsesPattern": ["a"],
    "choices": [
        {"id": "a", "description": {"de": "Ja", "en": "Yes"}},
        {"id": "b"},
    ],
    "extensions": {"http://example.com/e": {"display": {"en": "kept"}}},
}
ACTIVITY = {"objectType": "Activity", "id": "http://example.com/quiz", "definition": DEFINITION}
BARE_ACTIVITY = {"id": "http://example.com/bare", "definition": {"name": {"en": "Bare"}}}
VERB = {"id": "http://example.com/verbs/did", "display": {"en-US": "did", "fr-FR": "a fait"}}


def _statement() -> dict[str, Any]:
    return {
        "id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        "actor": CREW,
        "verb": VERB,
        "object": {
            "objectType": "SubStatement",
            "actor": BOB,
            "verb": VERB,
            "object": ACTIVITY,
            "context": {"instructor": ANN, "contextActivities": {"parent": [BARE_ACTIVITY]}},
        },
        "result": {"response": "a", "extensions": {"http://example.com/r": {"name": "kept"}}},
        "context": {
            "instructor": BOB,
            "team": TEAM,
            "contextActivities": {"grouping": [ACTIVITY], "other": [BARE_ACTIVITY]},
            "contextAgents": [
                {"objectType": "contextAgent", "agent": ANN, "relevantTypes": ["http://t/1"]}
            ],
            "contextGroups": [{"objectType": "contextGroup", "group": CREW}],
        },
        "timestamp": "2024-01-01T00:00:00.000Z",
        "stored": "2024-01-01T00:00:00.000Z",
        "authority": ANN,
        "version": "2.0.0",
    }


ANN_IDS = {"objectType": "Agent", "mbox": "mailto:ann@example.com"}
BOB_IDS = {"objectType": "Agent", "account": {"homePage": "http://example.com", "name": "bob"}}
CREW_IDS = {"objectType": "Group", "member": [ANN_IDS, BOB_IDS]}
ACTIVITY_IDS = {"objectType": "Activity", "id": "http://example.com/quiz"}
BARE_IDS = {"id": "http://example.com/bare"}
VERB_IDS = {"id": "http://example.com/verbs/did"}


def test_exact_format_returns_the_statement_as_stored() -> None:
    """§7.3: exact returns Agents, Activities and Verbs as received (CTS XAPI-00170)."""
    statement = _statement()

    assert format_statement(statement, "exact", [("fr", 1.0)]) == _statement()


def test_ids_format_cuts_agents_activities_and_verbs_to_identifiers() -> None:
    """§7.3, §16.3: ids keeps only what identifies each object (CTS XAPI-00171)."""
    statement = _statement()

    out = format_statement(statement, "ids")

    assert out == {
        "id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        "actor": CREW_IDS,
        "verb": VERB_IDS,
        "object": {
            "objectType": "SubStatement",
            "actor": BOB_IDS,
            "verb": VERB_IDS,
            "object": ACTIVITY_IDS,
            "context": {"instructor": ANN_IDS, "contextActivities": {"parent": [BARE_IDS]}},
        },
        "result": {"response": "a", "extensions": {"http://example.com/r": {"name": "kept"}}},
        "context": {
            "instructor": BOB_IDS,
            "team": {"objectType": "Group", "openid": "http://example.com/team"},
            "contextActivities": {"grouping": [ACTIVITY_IDS], "other": [BARE_IDS]},
            "contextAgents": [
                {"objectType": "contextAgent", "agent": ANN_IDS, "relevantTypes": ["http://t/1"]}
            ],
            "contextGroups": [{"objectType": "contextGroup", "group": CREW_IDS}],
        },
        "timestamp": "2024-01-01T00:00:00.000Z",
        "stored": "2024-01-01T00:00:00.000Z",
        "authority": ANN_IDS,
        "version": "2.0.0",
    }
    assert statement == _statement()


def test_ids_format_keeps_a_lone_context_activity_object_shape() -> None:
    """§7.3: ids only cuts the Activity; it does not reshape a legacy single object."""
    statement = {
        "actor": BOB,
        "verb": VERB,
        "object": {"objectType": "Agent", **ANN},
        "context": {"contextActivities": {"parent": BARE_ACTIVITY}},
    }

    out = format_statement(statement, "ids")

    assert out["object"] == ANN_IDS
    assert out["context"]["contextActivities"] == {"parent": BARE_IDS}


def test_canonical_format_keeps_one_language_per_map_chosen_map_by_map() -> None:
    """§7.3: each map falls back separately along the Accept-Language list (CTS XAPI-00172)."""
    statement = _statement()
    languages = parse_accept_language("fr;q=0.9, de, en;q=0.5")

    out = format_statement(statement, "canonical", languages)

    definition = out["object"]["object"]["definition"]
    assert definition["name"] == {"de": "Quiz (de)"}
    assert definition["description"] == {"fr": "Un jeu"}
    assert definition["choices"] == [{"id": "a", "description": {"de": "Ja"}}, {"id": "b"}]
    assert definition["extensions"] == DEFINITION["extensions"]
    assert out["verb"]["display"] == {"fr-FR": "a fait"}
    assert out["context"]["contextActivities"]["other"] == [BARE_ACTIVITY]
    assert out["actor"] == CREW
    assert out["context"]["team"] == TEAM
    assert statement == _statement()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(None, {"en-US": "did"}, id="7.3 no header: first language"),
        pytest.param("fr", {"fr-FR": "a fait"}, id="7.3 range is a prefix of the tag"),
        pytest.param("FR-fr", {"fr-FR": "a fait"}, id="7.3 tags match case-insensitively"),
        pytest.param("en-US-x-y", {"en-US": "did"}, id="7.3 lookup drops subtags of the range"),
        pytest.param("es, *;q=0.1", {"en-US": "did"}, id="7.3 wildcard takes any language"),
        pytest.param("en-us;q=0, *", {"fr-FR": "a fait"}, id="7.3 q=0 excludes a language"),
        pytest.param("ja", {"en-US": "did"}, id="7.3 no match: first language"),
    ],
)
def test_canonical_verb_display_follows_accept_language(
    header: str | None, expected: dict[str, str]
) -> None:
    """1.0.3 Comm §2.1.3: canonical verb display carries exactly one language."""
    statement = {"actor": BOB, "verb": VERB, "object": BARE_ACTIVITY}

    out = format_statement(statement, "canonical", parse_accept_language(header))

    assert out["verb"]["display"] == expected


def test_canonical_format_uses_the_canonical_definition_when_known() -> None:
    """§7.3, §14: canonical replaces an Activity's definition by the LRS canonical one."""
    statement = {"actor": BOB, "verb": VERB, "object": {"id": "http://example.com/bare"}}
    definitions = {"http://example.com/bare": {"name": {"de": "Nackt", "en": "Bare"}}}

    out = format_statement(statement, "canonical", [("en", 1.0)], definitions=definitions)

    assert out["object"] == {
        "id": "http://example.com/bare",
        "definition": {"name": {"en": "Bare"}},
    }
    assert definitions == {"http://example.com/bare": {"name": {"de": "Nackt", "en": "Bare"}}}


def test_unknown_format_is_refused() -> None:
    """§7.1: format must be ids, exact or canonical."""
    with pytest.raises(InvalidInputError):
        format_statement(_statement(), "Exact")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(None, [], id="7.3 absent"),
        pytest.param("", [], id="7.3 empty"),
        pytest.param(
            "da, en-gb;q=0.8, en;q=0.7",
            [("da", 1.0), ("en-gb", 0.8), ("en", 0.7)],
            id="7.3 RFC 7231 example",
        ),
        pytest.param("en;q=0.5, fr", [("fr", 1.0), ("en", 0.5)], id="7.3 sorted by q"),
        pytest.param("a;q=0.5,b;q=0.5", [("a", 0.5), ("b", 0.5)], id="7.3 ties keep order"),
        pytest.param(" * ; Q=0.1 ", [("*", 0.1)], id="7.3 whitespace and Q"),
        pytest.param("en;q=0", [("en", 0.0)], id="7.3 q zero kept"),
        pytest.param("en;q=2, fr;q=0.1234, de;x=1, it;q=1.000", [("it", 1.0)], id="7.3 bad q"),
        pytest.param("en_US, ,toolongtag1, 12, fr", [("fr", 1.0)], id="7.3 bad ranges skipped"),
        pytest.param("en;q=0.5;q=0.4, de", [("de", 1.0)], id="7.3 two params skipped"),
        pytest.param(";;,", [], id="7.3 garbage"),
    ],
)
def test_parse_accept_language_never_raises(
    header: str | None, expected: list[tuple[str, float]]
) -> None:
    """RFC 7231 §5.3.5: malformed items are ignored; the best ranges come first."""
    assert parse_accept_language(header) == expected


@given(st.text())
def test_parse_accept_language_accepts_any_text(header: str) -> None:
    """A client header can never turn a GET into a server error."""
    for language_range, q in parse_accept_language(header):
        assert 0.0 <= q <= 1.0
        assert language_range


# --- properties ----------------------------------------------------------------------------


def _keys_outside_extensions(value: Any) -> set[str]:
    """Return every key at any depth, not looking inside extensions, account IFIs or
    Attachment objects (an attachment's display is not an Agent, Activity or Verb's)."""
    if isinstance(value, dict):
        keys = set(value)
        for key, item in value.items():
            # An account's name is part of the IFI; ids leaves attachments as they are.
            if key not in ("extensions", "account", "attachments"):
                keys |= _keys_outside_extensions(item)
        return keys
    if isinstance(value, list):
        return set().union(*(_keys_outside_extensions(item) for item in value))
    return set()


@settings(max_examples=100, deadline=None)
@given(data=st.data(), version=VERSIONS)
def test_exact_format_is_the_identity(data: st.DataObject, version: str) -> None:
    """§7.3: exact changes nothing."""
    statement = data.draw(statements(version))

    assert format_statement(statement, "exact") == statement


@settings(max_examples=100, deadline=None)
@given(data=st.data(), version=VERSIONS)
def test_ids_format_drops_names_definitions_and_displays(data: st.DataObject, version: str) -> None:
    """§7.3: ids carries no name, definition or display outside extensions."""
    statement = data.draw(statements(version))
    before = copy.deepcopy(statement)

    out = format_statement(statement, "ids")

    assert not _keys_outside_extensions(out) & {"name", "definition", "display"}
    assert statement == before


def _language_maps(statement: dict[str, Any]) -> list[Any]:
    """Return the verb display and every language map of every Activity definition."""
    maps = [statement["verb"].get("display")]
    objects = [statement["object"]]
    if statement["object"].get("objectType") == "SubStatement":
        maps.append(statement["object"]["verb"].get("display"))
        objects.append(statement["object"]["object"])
    for container in (statement, statement["object"]):
        for value in container.get("context", {}).get("contextActivities", {}).values():
            objects.extend(value if isinstance(value, list) else [value])
    for obj in objects:
        definition = obj.get("definition", {}) if "id" in obj else {}
        maps += [definition.get("name"), definition.get("description")]
        for key in ("choices", "scale", "source", "target", "steps"):
            maps += [c.get("description") for c in definition.get(key, [])]
    return [m for m in maps if m]


@settings(max_examples=100, deadline=None)
@given(data=st.data(), version=VERSIONS, header=st.sampled_from([None, "fr", "en-GB, de;q=0.5"]))
def test_canonical_format_leaves_one_language_in_every_map(
    data: st.DataObject, version: str, header: str | None
) -> None:
    """§7.3, §16.4: every non-empty map in canonical form holds exactly one language."""
    statement = data.draw(statements(version))

    out = format_statement(statement, "canonical", parse_accept_language(header))

    assert all(len(language_map) == 1 for language_map in _language_maps(out))
    assert out["actor"] == statement["actor"]
