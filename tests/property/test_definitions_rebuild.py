"""The definitions read model: rebuilt from position 0 equals the one kept up live (both stores)."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ledger.xapi import V1, V2
from ledger.xapi.equivalence import normalise_iri
from ledger.xapi.normalise import normalise_statement
from projections.definitions import definitions_of, merge_definition
from projections.definitions_store import DefinitionsProjection
from tests.conftest import ADMIN_KEY, ADMIN_SECRET
from tests.strategies import definitions, statements

Json = dict[str, Any]
FIXTURES = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: Activity ids of one example: few, some differing only in the case of the host, so that
#: definitions collide and merge (the token keeps examples apart).
_IDS = ["https://quiz.example.com/{t}/a", "https://QUIZ.example.com/{t}/a", "urn:x:{t}:b"]
_NAMES = st.sampled_from([None, "Ada", "Ada L", "A. Lovelace"])
_PEOPLE = st.sampled_from(["mailto:ada@example.com", "mailto:ada@EXAMPLE.com", "mailto:b@x.org"])


@st.composite
def colliding(draw: Any, token: str) -> Json:
    """A statement whose object (or a parent) is one of the example's few Activity ids."""
    activity = {
        "id": draw(st.sampled_from(_IDS)).format(t=token),
        "definition": draw(definitions()),
    }
    actor: Json = {"mbox": draw(_PEOPLE)}
    name = draw(_NAMES)
    if name is not None:
        actor["name"] = name
    body: Json = {"actor": actor, "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"}}
    if draw(st.booleans()):
        body["object"] = activity
    else:
        body["object"] = {"id": f"https://courses.example.com/{token}"}
        body["context"] = {"contextActivities": {"parent": [activity]}}
    return body


def steps(token: str) -> st.SearchStrategy[list[tuple[str, Any]]]:
    """Writes (a batch of statements, a rule set) and catch-ups (a batch size), interleaved."""
    version = st.sampled_from([V1, V2])
    write = st.tuples(
        st.just("write"),
        version.flatmap(
            lambda v: st.tuples(
                st.lists(colliding(token) | statements(v), min_size=1, max_size=4), st.just(v)
            )
        ),
    )
    catch_up = st.tuples(st.just("catch up"), st.integers(min_value=1, max_value=5))
    return st.lists(write | catch_up, min_size=1, max_size=8)


@FIXTURES
@given(data=st.data())
def test_rebuilding_from_position_zero_gives_the_rows_kept_up_live(ledger, data):
    """After any interleaving of statement writes and catch-ups (of any batch size), the rows
    caught up live equal a rebuild from position 0, and each definition is the merge of the
    statements' definitions in log order (checklist §5.5, §14)."""
    admin = ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)
    projection = DefinitionsProjection(ledger)
    token = uuid.uuid4().hex[:8]
    expected: dict[str, Json] = {}
    for kind, value in data.draw(steps(token)):
        if kind == "catch up":
            projection.catch_up(batch_size=value)
            continue
        bodies, version = value
        bodies = [{**body, "id": str(uuid.uuid4())} for body in bodies]  # new across examples
        ledger.record_statements(admin, bodies, version, batch=True)
        for body in bodies:
            for key, definition in definitions_of(normalise_statement(body)):
                if key in expected:
                    event("a definition merged into an earlier one")
                expected[key] = merge_definition(expected.get(key), definition)
    assert projection.catch_up(batch_size=3).complete
    live = projection.rows()
    projection.rebuild(batch_size=7)
    assert projection.rows() == live
    ours = [normalise_iri(activity_id.format(t=token)) for activity_id in _IDS]
    found = projection.select_definitions("default", ours)
    assert found == {key: expected[key] for key in ours if key in expected}
