"""Tests of Statement equivalence, used for id reuse (204 vs 409) and signature checks."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.xapi.equivalence import equivalence_key, equivalent, normalise_iri
from ledger.xapi.normalise import normalise_statement
from tests.strategies import agents, ifis, iris, language_maps, statements, timestamps

VERSIONS = st.sampled_from(["1.0.3", "2.0.0"])
ANN = {"mbox": "mailto:ann@example.com"}
BOB = {"account": {"homePage": "http://example.com", "name": "bob"}, "objectType": "Agent"}
SUB = {
    "objectType": "SubStatement",
    "actor": ANN,
    "verb": {"id": "http://example.com/v"},
    "object": {"id": "http://example.com/b"},
    "timestamp": "2024-01-01T12:00:00Z",
}


def _statement(**changes: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "actor": ANN,
        "verb": {"id": "http://example.com/verbs/did"},
        "object": {"id": "http://example.com/a"},
    }
    statement.update(changes)
    return {key: value for key, value in statement.items() if value is not None}


EQUIVALENT = [
    pytest.param(
        _statement(
            id="3f2504e0-4f89-41d3-9a0c-0305e82c3301",
            stored="2024-01-01T00:00:00Z",
            timestamp="2024-01-01T00:00:00Z",
            authority=BOB,
            version="1.0.3",
            attachments=[{"usageType": "http://example.com/u"}],
        ),
        _statement(),
        id="5.3 LRS-filled id, stored, timestamp, authority, version and attachments ignored",
    ),
    pytest.param(
        _statement(verb={"id": "http://example.com/verbs/did", "display": {"en": "did"}}),
        _statement(verb={"id": "http://example.com/verbs/did", "display": {"fr": "a fait"}}),
        id="5.3 verb display ignored",
    ),
    pytest.param(
        _statement(object={"id": "http://example.com/a", "definition": {"name": {"en": "A"}}}),
        _statement(object={"objectType": "Activity", "id": "http://example.com/a"}),
        id="5.3 Activity definition and default objectType ignored",
    ),
    pytest.param(
        _statement(
            context={
                "contextActivities": {
                    "parent": {"id": "http://example.com/p", "definition": {"type": "http://t/1"}}
                }
            }
        ),
        _statement(context={"contextActivities": {"parent": [{"id": "http://example.com/p"}]}}),
        id="4.12 lone contextActivities object equals a one-item array, definition ignored",
    ),
    pytest.param(
        _statement(actor={"objectType": "Group", "member": [ANN, BOB]}),
        _statement(actor={"objectType": "Group", "member": [BOB, ANN]}),
        id="4.4 Group member order ignored",
    ),
    pytest.param(
        _statement(actor={"mbox": "mailto:Ann.Lee@Example.COM"}),
        _statement(actor={"objectType": "Agent", "mbox": "mailto:Ann.Lee@example.com"}),
        id="4.3 mbox domain case and default Agent objectType ignored",
    ),
    pytest.param(
        _statement(actor={"mbox_sha1sum": "ABCDEF0123456789ABCDEF0123456789ABCDEF01"}),
        _statement(actor={"mbox_sha1sum": "abcdef0123456789abcdef0123456789abcdef01"}),
        id="4.3 mbox_sha1sum hex case ignored",
    ),
    pytest.param(
        _statement(verb={"id": "HTTP://Example.COM/verbs/did"}),
        _statement(verb={"id": "http://example.com/verbs/did"}),
        id="4.17 IRI scheme and host case ignored",
    ),
    pytest.param(
        _statement(object={"id": "http://example.com/caf%c3%a9"}),
        _statement(object={"id": "http://example.com/caf%C3%A9"}),
        id="16.4 RFC 3987 percent-escape case ignored",
    ),
    pytest.param(
        _statement(result={"duration": "PT1.2345S"}),
        _statement(result={"duration": "PT1.23S"}),
        id="4.17 duration compared to 0.01 s",
    ),
    pytest.param(
        _statement(result={"duration": "PT1.001S"}),
        _statement(result={"duration": "PT1S"}),
        id="16.4 duration digits past 0.01 s ignored down to whole seconds",
    ),
    pytest.param(
        _statement(result={"score": {"raw": 1, "max": 10}}),
        _statement(result={"score": {"raw": 1.0, "max": 10.0}}),
        id="2.2 numbers compare by value",
    ),
    pytest.param(
        _statement(
            context={"registration": "3F2504E0-4F89-41D3-9A0C-0305E82C3301", "language": "EN-US"}
        ),
        _statement(
            context={"language": "en-us", "registration": "3f2504e0-4f89-41d3-9a0c-0305e82c3301"}
        ),
        id="5.3 UUID and language tag case and property order ignored",
    ),
    pytest.param(
        _statement(object={**SUB, "timestamp": "2024-01-01T13:00:00+01:00"}),
        _statement(object=SUB),
        id="4.13 SubStatement timestamp zone serialization ignored",
    ),
    pytest.param(
        _statement(context={"extensions": {"HTTP://EXAMPLE.com/e": {"b": 1, "a": [1, 2]}}}),
        _statement(context={"extensions": {"http://example.com/e": {"a": [1.0, 2], "b": 1.0}}}),
        id="4.17 extension key IRI case ignored, values compared as JSON",
    ),
]

DIFFERENT = [
    pytest.param(
        _statement(verb={"id": "http://example.com/verbs/other"}),
        _statement(),
        id="5.3 different verb id",
    ),
    pytest.param(
        _statement(actor={"mbox": "mailto:ANN@example.com"}),
        _statement(),
        id="4.3 mbox local part is case-sensitive",
    ),
    pytest.param(
        _statement(actor={**ANN, "name": "Ann"}),
        _statement(),
        id="5.3 agent name counts",
    ),
    pytest.param(
        _statement(object={"id": "http://example.com/A"}),
        _statement(),
        id="4.17 IRI path case counts",
    ),
    pytest.param(
        _statement(result={"success": True}),
        _statement(),
        id="17 result is compared",
    ),
    pytest.param(
        _statement(result={"extensions": {"http://example.com/e": True}}),
        _statement(result={"extensions": {"http://example.com/e": 1}}),
        id="2.2 true is not the number 1",
    ),
    pytest.param(
        _statement(context={"platform": "web"}),
        _statement(context={"platform": "Web"}),
        id="17 context is compared, case-sensitively where the spec says nothing",
    ),
    pytest.param(
        _statement(result={"duration": "PT1.24S"}),
        _statement(result={"duration": "PT1.23S"}),
        id="4.17 durations differing at 0.01 s differ",
    ),
    pytest.param(
        _statement(actor={"objectType": "Group", "member": [ANN, ANN]}),
        _statement(actor={"objectType": "Group", "member": [ANN]}),
        id="4.4 members compare as a multiset, not a set",
    ),
    pytest.param(
        _statement(object={**SUB, "timestamp": "2024-01-01T12:00:01Z"}),
        _statement(object=SUB),
        id="4.10 SubStatement timestamp instant counts",
    ),
    pytest.param(
        _statement(object={"objectType": "StatementRef", "id": SUB["timestamp"]}),
        _statement(object={"objectType": "Agent", **ANN}),
        id="4.6 object types differ",
    ),
    pytest.param(
        _statement(context={"contextActivities": {"parent": [{"id": "http://example.com/p"}]}}),
        _statement(context={"contextActivities": {"grouping": [{"id": "http://example.com/p"}]}}),
        id="4.12 contextActivities key counts",
    ),
]


@pytest.mark.parametrize(("a", "b"), EQUIVALENT)
def test_statements_differing_only_by_immutability_exceptions_are_equivalent(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    """1.0.3 Data §2.3.1; 2.0 LRS §4.2: these differences never cause a 409."""
    assert equivalent(a, b)
    assert equivalent(b, a)
    assert hash(equivalence_key(a)) == hash(equivalence_key(b))


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_statements_differing_in_content_are_not_equivalent(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    """1.0.3 Comm §2.1.1: reusing an id for different content is a conflict."""
    assert not equivalent(a, b)
    assert not equivalent(b, a)


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        pytest.param(
            "HTTP://User@Example.COM:80/A%2fb?Q#F", "http://User@example.com:80/A%2Fb?Q#F"
        ),
        pytest.param("urn:ISBN:0451450523", "urn:ISBN:0451450523"),
        pytest.param("Mailto:Ann@Example.com", "mailto:Ann@Example.com"),
        pytest.param("https://例え.JP/パス", "https://例え.jp/パス"),
    ],
)
def test_normalise_iri_lowers_scheme_and_host_only(iri: str, expected: str) -> None:
    """§4.17, §16.4: RFC 3987 §5.3.2.1 case normalisation, nothing scheme-based."""
    assert normalise_iri(iri) == expected


def test_equivalence_key_serves_as_a_dict_key() -> None:
    """Callers can index stored Statements by their key."""
    index = {equivalence_key(_statement(actor={"objectType": "Group", "member": [ANN, BOB]})): 1}

    assert index[equivalence_key(_statement(actor={"objectType": "Group", "member": [BOB, ANN]}))]


# --- properties ----------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(data=st.data(), version=VERSIONS)
def test_statement_is_equivalent_to_itself_and_its_stored_form(
    data: st.DataObject, version: str
) -> None:
    """§5.3: the stored form of a Statement answers an identical re-send with 204."""
    statement = data.draw(statements(version))

    assert equivalent(statement, copy.deepcopy(statement))
    assert equivalent(statement, normalise_statement(statement))
    assert hash(equivalence_key(statement)) == hash(equivalence_key(normalise_statement(statement)))


def _activities(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every Activity object in a Statement (object, contextActivities, SubStatement)."""
    found: list[dict[str, Any]] = []
    obj = statement["object"]
    if obj.get("objectType", "Activity") == "Activity":
        found.append(obj)
    if obj.get("objectType") == "SubStatement":
        found.extend(_activities(obj))
    for value in statement.get("context", {}).get("contextActivities", {}).values():
        found.extend(value if isinstance(value, list) else [value])
    return found


@settings(max_examples=100, deadline=None)
@given(data=st.data(), version=VERSIONS)
def test_ignored_parts_can_change_without_breaking_equivalence(
    data: st.DataObject, version: str
) -> None:
    """§5.3, §16.5: member order, verb display, definitions, timestamp, stored, authority."""
    statement = data.draw(statements(version))
    changed = copy.deepcopy(statement)
    if isinstance(changed["actor"].get("member"), list):
        changed["actor"]["member"] = data.draw(st.permutations(changed["actor"]["member"]))
    changed["verb"]["display"] = data.draw(language_maps())
    for activity in _activities(changed):
        activity["definition"] = {"name": data.draw(language_maps(min_size=1))}
    changed["timestamp"] = data.draw(timestamps())
    changed["stored"] = data.draw(timestamps())
    changed["authority"] = data.draw(agents())
    changed["version"] = "1.0.0"

    assert equivalent(statement, changed)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), version=VERSIONS)
def test_changing_verb_id_breaks_equivalence(data: st.DataObject, version: str) -> None:
    """§5.3: a different verb is a different Statement."""
    statement = data.draw(statements(version))
    verb_id = data.draw(iris())
    assume(normalise_iri(verb_id) != normalise_iri(statement["verb"]["id"]))
    changed = {**statement, "verb": {**statement["verb"], "id": verb_id}}

    assert not equivalent(statement, changed)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), version=VERSIONS)
def test_changing_actor_ifi_breaks_equivalence(data: st.DataObject, version: str) -> None:
    """§4.2: the actor is identified by its IFI; another IFI is another actor."""
    statement = data.draw(statements(version))
    actor = {k: v for k, v in statement["actor"].items() if k not in _IFI_KEYS}
    new_ifi = data.draw(ifis())
    changed = {**statement, "actor": {**actor, **new_ifi}}
    old_ifi = {k: v for k, v in statement["actor"].items() if k in _IFI_KEYS}
    assume(equivalence_key({"actor": old_ifi}) != equivalence_key({"actor": new_ifi}))

    assert not equivalent(statement, changed)


_IFI_KEYS = frozenset({"mbox", "mbox_sha1sum", "openid", "account"})
