"""The learning projections, on both stores: rebuilt from position 0 they equal the live ones
after any interleaving of catalogue writes, statements and voids; applying the same events
again changes nothing; voiding a statement equals never having recorded it."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.catalogue import Catalogue
from ledger.xapi import V1
from projections import learning_tables as tables
from projections.learning_store import FACTS, VIEWS, LearningProjections
from projections.learning_views import view_columns
from tests.conftest import ADMIN_KEY, ADMIN_SECRET
from tests.learning_helpers import ADL, said, view_rows, voids

Json = dict[str, Any]
FIXTURES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_LEARNERS = ["mailto:ada@example.com", "mailto:bob@example.com"]
_VERBS = ["registered", "launched", "completed", "passed", "failed", "scored", "attended"]
_MOVE_ON = ["Completed", "Passed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable"]


def course_document(token: str, draw: Any) -> Json:
    """A course of the example (the token keeps examples apart) with drawn rules."""
    iri = f"https://courses.example.com/{token}"
    modules = [
        {
            "id": f"{iri}/m{n}",
            "moveOn": draw(st.sampled_from(_MOVE_ON)),
            "masteryScore": draw(st.sampled_from([0.5, 0.8])),
        }
        for n in range(2)
    ]
    document: Json = {"id": iri, "title": f"Course {token}", "modules": modules}
    criteria = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "minimumScore": st.sampled_from([0.5, 0.9]),
                "deadlineDays": st.integers(1, 60),
                "validityDays": st.integers(1, 400),
            },
        )
    )
    if criteria:
        document["criteria"] = criteria
    return document


@st.composite
def steps(draw: Any, token: str) -> list[tuple[str, Any]]:
    """Catalogue writes, statements about the course and its modules, voids, catch-ups."""
    iri = f"https://courses.example.com/{token}"
    activities = [iri, f"{iri}/m0", f"{iri}/m1"]
    count = draw(st.integers(1, 12))
    made: list[tuple[str, Any]] = [("course", course_document(token, draw))]
    recorded: list[str] = []
    for _ in range(count):
        kind = draw(st.sampled_from(["statement"] * 5 + ["course", "void", "catch_up"]))
        if kind == "course":
            made.append(("course", course_document(token, draw)))
        elif kind == "void" and recorded:
            made.append(("void", draw(st.sampled_from(recorded))))
        elif kind == "catch_up":
            made.append(("catch_up", draw(st.sampled_from([1, 2, 1000]))))
        else:
            statement = said(
                draw(st.sampled_from(_VERBS)),
                draw(st.sampled_from(activities)),
                draw(st.sampled_from(_LEARNERS)),
                scaled=draw(st.sampled_from([None, 0.4, 0.8, 1.0])),
                timestamp=f"2026-03-{draw(st.integers(1, 28)):02d}T10:00:00.000Z",
            )
            if statement["verb"]["id"] == ADL + "attended":
                statement["result"] = {"duration": "PT30M"}
            recorded.append(statement["id"])
            made.append(("statement", statement))
    return made


def play(
    ledger: Any,
    made: list[tuple[str, Any]],
    principal: Any = None,
    skip: frozenset[str] = frozenset(),
) -> None:
    """Write the steps as `principal` (default: the admin), leaving out the statements in
    `skip` and the voids of them."""
    if principal is None:
        principal = ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)
    projections = LearningProjections(ledger)
    for kind, value in made:
        if kind == "course":
            Catalogue(ledger).put(principal, "course", value)
        elif kind == "statement" and value["id"] not in skip:
            ledger.record_statements(principal, [value], V1, batch=False)
        elif kind == "void" and value not in skip:
            ledger.record_statements(principal, [voids(value)], V1, batch=False)
        elif kind == "catch_up":
            projections.catch_up(batch_size=value)


def views_only(ledger: Any) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of the report views (stage two), sorted."""
    rows = view_rows(ledger)
    return {table: rows[table] for name in VIEWS for table in tables.VIEWS[name]}


@FIXTURES
@given(data=st.data())
def test_a_rebuild_from_position_zero_equals_the_live_projections(ledger, data):
    """Whatever the interleaving of writes and catch-ups, the live rows equal a rebuild's."""
    made = data.draw(steps(uuid.uuid4().hex[:8]))
    play(ledger, made)
    projections = LearningProjections(ledger)
    projections.catch_up(batch_size=3)
    live = view_rows(ledger)
    projections.rebuild()
    assert view_rows(ledger) == live


@FIXTURES
@given(data=st.data())
def test_applying_the_same_events_again_changes_nothing(ledger, data):
    """Going back to an earlier position and applying the batches again (as a catch-up that
    crashed before recording its position would) leaves the same rows."""
    made = data.draw(steps(uuid.uuid4().hex[:8]))
    projections = LearningProjections(ledger)
    projections.catch_up()
    before = projections.position()
    play(ledger, made)
    projections.catch_up()
    live = views_only(ledger)

    def back(curs: Any, _: Any) -> None:
        for name in VIEWS:
            projections.tracking.set_position(curs, name, before)

    projections.tracking.locked(None, {name: projections.versions[name] for name in VIEWS}, back)
    projections.catch_up()
    assert views_only(ledger) == live
    assert projections.state()[FACTS][0] == projections.head()


def tenant(ledger: Any, name: str) -> Any:
    """A new tenant with a credential of its own; return its principal."""
    ledger.create_tenant(name)
    key, secret = ledger.issue_credential(name, ["all"], "test", "tests")
    return ledger.authenticate(key, secret)


def tenant_rows(ledger: Any, name: str) -> dict[str, list[tuple[Any, ...]]]:
    """A tenant's rows of the report views without tenant and log positions (which differ
    between two tenants' logs), sorted."""
    projections = LearningProjections(ledger)
    found = {}
    for view in VIEWS:
        for table in tables.VIEWS[view]:
            columns = [c for c in view_columns(table)[0].split(", ") if c != "position"]
            rows = projections.tracking.read(
                f"SELECT {', '.join(columns[1:])} FROM {{s}}{table} WHERE tenant = %s", (name,)
            )
            found[table] = sorted((tuple(row) for row in rows), key=repr)
    return found


@FIXTURES
@given(data=st.data())
def test_voiding_a_statement_equals_never_recording_it(ledger, data):
    """Two tenants get the same writes, but the second never records the statements the
    first voids: their views are the same."""
    token = uuid.uuid4().hex[:8]
    made = data.draw(steps(token))
    voided = frozenset(value for kind, value in made if kind == "void")
    names = (f"a{token}", f"b{token}")
    play(ledger, made, tenant(ledger, names[0]))
    play(ledger, made, tenant(ledger, names[1]), skip=voided)
    LearningProjections(ledger).catch_up()
    with_voids, without = (tenant_rows(ledger, name) for name in names)
    assert with_voids == without
