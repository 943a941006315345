"""Tests of normalise_statement: contextActivities arrays and UTC timestamps, nothing else."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.xapi.equivalence import equivalent
from ledger.xapi.normalise import normalise_statement
from tests.strategies import statements

ACTOR = {"mbox": "mailto:ann@example.com"}
VERB = {"id": "http://example.com/verbs/did", "display": {"en-US": "did"}}
ACTIVITY = {"id": "http://example.com/a", "definition": {"name": {"en": "A"}}}
OTHER = {"objectType": "Activity", "id": "http://example.com/b"}


def _statement(**extra: Any) -> dict[str, Any]:
    return {"actor": ACTOR, "verb": VERB, "object": ACTIVITY, **extra}


def _sub(**extra: Any) -> dict[str, Any]:
    return {"objectType": "SubStatement", "actor": ACTOR, "verb": VERB, "object": OTHER, **extra}


CASES = [
    pytest.param(
        _statement(context={"contextActivities": {"parent": OTHER}}),
        _statement(context={"contextActivities": {"parent": [OTHER]}}),
        id="4.12 lone parent object becomes a one-item array",
    ),
    pytest.param(
        _statement(
            context={
                "contextActivities": {
                    "parent": OTHER,
                    "grouping": [OTHER],
                    "category": ACTIVITY,
                    "other": [],
                }
            }
        ),
        _statement(
            context={
                "contextActivities": {
                    "parent": [OTHER],
                    "grouping": [OTHER],
                    "category": [ACTIVITY],
                    "other": [],
                }
            }
        ),
        id="4.12 every key becomes an array, arrays stay as they are",
    ),
    pytest.param(
        _statement(object=_sub(context={"contextActivities": {"other": OTHER}})),
        _statement(object=_sub(context={"contextActivities": {"other": [OTHER]}})),
        id="4.12 lone object inside a SubStatement becomes an array",
    ),
    pytest.param(
        _statement(timestamp="2024-05-01T14:30:00.123+02:00"),
        _statement(timestamp="2024-05-01T12:30:00.123Z"),
        id="4.13 offset timestamp is returned in UTC",
    ),
    pytest.param(
        _statement(timestamp="2024-01-01T01:00:00-05:30"),
        _statement(timestamp="2024-01-01T06:30:00.000Z"),
        id="16.5 negative offset crosses to UTC with milliseconds",
    ),
    pytest.param(
        _statement(timestamp="2024-12-31T23:59:59.9999999Z"),
        _statement(timestamp="2024-12-31T23:59:59.999Z"),
        id="4.13 precision past milliseconds is truncated, never rounded",
    ),
    pytest.param(
        _statement(timestamp="2024-03-01T10:00:00"),
        _statement(timestamp="2024-03-01T10:00:00.000Z"),
        id="17 zone-less timestamp is read as UTC",
    ),
    pytest.param(
        _statement(object=_sub(timestamp="2030-01-01T00:00:00+01:00")),
        _statement(object=_sub(timestamp="2029-12-31T23:00:00.000Z")),
        id="16.5 SubStatement timestamp is returned in UTC",
    ),
    pytest.param(
        _statement(
            id="3F2504E0-4F89-41D3-9A0C-0305E82C3301",
            stored="2024-01-01T00:00:00+01:00",
            version="1.0.0",
            result={"duration": "PT1.23456S", "score": {"raw": 1.0}},
            context={"language": "EN-us", "contextActivities": {"parent": [OTHER]}},
            timestamp="2024-01-01T00:00:00.000Z",
        ),
        _statement(
            id="3F2504E0-4F89-41D3-9A0C-0305E82C3301",
            stored="2024-01-01T00:00:00+01:00",
            version="1.0.0",
            result={"duration": "PT1.23456S", "score": {"raw": 1.0}},
            context={"language": "EN-us", "contextActivities": {"parent": [OTHER]}},
            timestamp="2024-01-01T00:00:00.000Z",
        ),
        id="5.3 everything else keeps the serialization received",
    ),
]


@pytest.mark.parametrize(("received", "expected"), CASES)
def test_normalise_statement_returns_stored_form(
    received: dict[str, Any], expected: dict[str, Any]
) -> None:
    """1.0.3 Data §2.4.6.2, §4.5, §2.3.1: only the listed exceptions change."""
    before = copy.deepcopy(received)

    assert normalise_statement(received) == expected
    assert received == before


def test_normalise_statement_fills_nothing() -> None:
    """§5.4: id, stored, authority, version and timestamp are filled elsewhere, not here."""
    statement = _statement()

    assert normalise_statement(statement) == statement


def test_normalise_statement_returns_a_new_dict_and_shares_untouched_parts() -> None:
    """Copy-on-write: the hot path copies only the dicts it changes."""
    statement = _statement(
        context={"contextActivities": {"parent": OTHER}, "extensions": {"http://x.example/e": {}}},
        result={"success": True},
    )

    out = normalise_statement(statement)

    assert out is not statement
    assert out["actor"] is statement["actor"]
    assert out["result"] is statement["result"]
    assert out["context"] is not statement["context"]
    assert out["context"]["extensions"] is statement["context"]["extensions"]
    assert statement["context"]["contextActivities"]["parent"] is OTHER


def test_normalise_statement_leaves_a_stored_form_statement_alone() -> None:
    """A statement already in stored form comes back equal, its parts shared."""
    statement = _statement(
        timestamp="2024-01-01T00:00:00.000Z", context={"contextActivities": {"parent": [OTHER]}}
    )

    out = normalise_statement(statement)

    assert out == statement
    assert out["context"] is statement["context"]


@settings(max_examples=100, deadline=None)
@given(data=st.data(), version=st.sampled_from(["1.0.3", "2.0.0"]))
def test_normalised_statement_is_equivalent_and_stable(data: st.DataObject, version: str) -> None:
    """§5.3: normalising never changes meaning, and normalising twice changes nothing more."""
    statement = data.draw(statements(version))
    before = copy.deepcopy(statement)

    once = normalise_statement(statement)

    assert statement == before
    assert equivalent(statement, once)
    assert normalise_statement(once) == once
    context_activities = once.get("context", {}).get("contextActivities", {})
    assert all(isinstance(value, list) for value in context_activities.values())
