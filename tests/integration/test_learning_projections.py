"""The learning projections kept up from the log, on both stores: facts, views, voiding,
exactly once, rebuilds, version bumps and waiting for a position."""

from __future__ import annotations

import time

import pytest

from ledger.catalogue import Catalogue
from ledger.xapi import V1
from projections import learning_tables as tables
from projections.learning_store import FACTS, PROJECTIONS, VERSIONS, LearningProjections
from projections.store import open_ledger
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, race_catch_ups
from tests.learning_helpers import (
    ADA,
    BOB,
    COURSE,
    MODULES,
    course,
    enrollment_status,
    said,
    table_rows,
    view_rows,
    voids,
)


@pytest.fixture
def admin(ledger):
    return ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)


@pytest.fixture
def defined(ledger, admin):
    """The course, defined in the catalogue."""
    return Catalogue(ledger).put(admin, "course", course())


def record(ledger, admin, *statements):
    return ledger.record_statements(admin, list(statements), V1, batch=True)


def test_catch_up_turns_statements_and_the_catalogue_into_report_rows(ledger, admin, defined):
    """Ada registers, completes m1 and passes m2: she has passed the course; Bob only
    registered. Every projection reaches the head."""
    record(
        ledger,
        admin,
        said("registered", COURSE),
        said("completed", MODULES[0]),
        said("scored", MODULES[1], scaled=0.8),  # equal to the mastery score: passes
        said("registered", COURSE, BOB),
    )
    projections = LearningProjections(ledger)
    result = projections.catch_up()
    assert result.complete and result.position == projections.head()
    assert {name: position for name, (position, _) in projections.state().items()} == {
        name: projections.head() for name in PROJECTIONS
    }
    assert enrollment_status(ledger) == "passed"
    assert enrollment_status(ledger, BOB) == "enrolled"
    catalogue = table_rows(projections, tables.CATALOGUE)
    assert [(row[1], row[2], row[3]) for row in catalogue] == [("course", COURSE, 1)]
    completions = table_rows(projections, tables.COMPLETIONS)
    assert [(row[1], row[4]) for row in completions] == [(f"mbox:{ADA}", 1)]
    progress = {row[1]: (row[4], row[5], row[6]) for row in table_rows(projections, "progress")}
    assert progress == {f"mbox:{ADA}": (1.0, 2, 2), f"mbox:{BOB}": (0.0, 2, 0)}


def test_statements_about_no_course_give_no_rows(ledger, admin, defined):
    """A statement about an Activity outside the catalogue is not a fact."""
    record(ledger, admin, said("completed", "https://elsewhere.example.com/x"))
    projections = LearningProjections(ledger)
    projections.catch_up()
    assert table_rows(projections, tables.FACTS) == []
    assert table_rows(projections, tables.ENROLLMENTS) == []


def test_voiding_a_statement_removes_its_effect(ledger, admin, defined):
    """Voiding the passing score takes the course back to in progress and its completion
    away, as if the score had never been recorded."""
    score = said("scored", MODULES[1], scaled=0.9)
    record(ledger, admin, said("registered", COURSE), said("completed", MODULES[0]), score)
    projections = LearningProjections(ledger)
    projections.catch_up()
    assert enrollment_status(ledger) == "passed"
    record(ledger, admin, voids(score["id"]))
    projections.catch_up()
    assert enrollment_status(ledger) == "in_progress"
    assert table_rows(projections, tables.COMPLETIONS) == []
    assert table_rows(projections, tables.SCORES_ATTEMPTS) == []
    facts = {row[4]: row[18] for row in table_rows(projections, tables.FACTS)}
    assert facts[score["id"]] is not None  # kept, marked voided (the transcript needs it)
    assert [row[1] for row in table_rows(projections, tables.VOIDS)] == [score["id"]]


def test_a_target_recorded_after_its_void_is_stored_voided(ledger, admin, defined):
    """xAPI lets a voiding statement arrive first: the target then never counts."""
    completion = said("completed", MODULES[0])
    record(ledger, admin, said("registered", COURSE))
    record(ledger, admin, voids(completion["id"]))
    projections = LearningProjections(ledger)
    projections.catch_up()  # the void is applied before its target exists
    record(ledger, admin, completion)
    projections.catch_up()
    facts = {row[4]: row[18] for row in table_rows(projections, tables.FACTS)}
    assert facts[completion["id"]] is not None
    assert enrollment_status(ledger) == "enrolled"
    modules = table_rows(projections, tables.PROGRESS)[0]
    assert modules[6] == 0  # no module met


def test_views_doing_a_range_again_give_the_same_rows(ledger, admin, defined):
    """A range of the views done twice (a batch committed, its position not yet moved, as
    after a crash) changes nothing: attempts already stored are kept, not doubled; a void
    in the range still takes its attempt away."""
    first = said("scored", MODULES[1], scaled=0.5)
    record(ledger, admin, said("registered", COURSE), first)
    projections = LearningProjections(ledger)
    projections.catch_up()
    before = projections.head()
    record(ledger, admin, said("scored", MODULES[1], scaled=0.9), voids(first["id"]))
    projections.catch_up()
    expected = view_rows(ledger)
    assert len(expected[tables.SCORES_ATTEMPTS]) == 1

    def back(curs, _):
        for name in tables.VIEWS:
            projections.tracking.set_position(curs, name, before)

    projections.tracking.locked(None, {name: VERSIONS[name] for name in tables.VIEWS}, back)
    projections.catch_up()
    assert view_rows(ledger) == expected


def test_a_following_catch_up_gives_the_rows_of_a_plain_one(ledger, admin, defined):
    """`follow=True` (a runner: stage one in its own thread, the views following it) reaches
    the head with the same rows as catching up one stage after the other."""
    record(ledger, admin, said("registered", COURSE), said("completed", MODULES[0]))
    projections = LearningProjections(ledger)
    assert projections.catch_up(follow=True, batch_size=1).complete
    record(ledger, admin, said("scored", MODULES[1], scaled=0.9), said("registered", COURSE, BOB))
    result = projections.catch_up(5.0, follow=True, batch_size=1)
    assert result.complete and result.position == projections.head()
    followed = view_rows(ledger)
    projections.rebuild()
    assert view_rows(ledger) == followed
    assert enrollment_status(ledger) == "passed"


def test_racing_catch_ups_apply_each_event_exactly_once(ledger, settings, admin, defined):
    """Four catch-ups in two ledgers race a writer: each statement gives its facts once and
    the views equal a rebuild from position 0."""
    other = open_ledger(settings)
    projections = [LearningProjections(ledger), LearningProjections(other)] * 2
    written = 30

    def write_all() -> None:
        for n in range(written):
            learner = f"mailto:l{n % 5}@example.com"
            record(ledger, admin, said("attempted", MODULES[n % 2], learner, scaled=n / written))

    try:
        applied = race_catch_ups(projections, write_all, lambda result: result.events)
    finally:
        other.close()
    projection = LearningProjections(ledger)
    projection.catch_up()
    # each event (the statements and the course's definition) applied by exactly one catch-up
    assert sum(applied) == written + 1
    assert len(table_rows(projection, tables.FACTS)) == written
    live = view_rows(ledger)
    projection.rebuild()
    assert view_rows(ledger) == live


def test_rebuilding_one_view_rebuilds_it_alone_and_gives_the_same_rows(ledger, admin, defined):
    """A view rebuilt from position 0 equals the live one; the others are not touched."""
    record(
        ledger,
        admin,
        said("registered", COURSE),
        said("completed", MODULES[0]),
        said("failed", MODULES[1], scaled=0.3),
        said("registered", COURSE, BOB),
    )
    projections = LearningProjections(ledger)
    projections.catch_up()
    live = view_rows(ledger)
    head = projections.head()
    positions_seen: list[int] = []
    projections.rebuild(
        [tables.SCORES],
        lambda name: (
            (lambda position, _, __: positions_seen.append(position))
            if name == tables.SCORES
            else None
        ),
    )
    assert view_rows(ledger) == live
    assert positions_seen and positions_seen[-1] == head
    with pytest.raises(ValueError, match="no learning projection named nope"):
        projections.rebuild(["nope"])


def test_bumping_a_version_rebuilds_that_projection_on_ensure(ledger, admin, defined):
    """A projection built by another version is rebuilt by `ensure` (start-up) and carries
    the new version; the others keep theirs."""
    record(ledger, admin, said("registered", COURSE), said("completed", MODULES[0]))
    LearningProjections(ledger).ensure()
    live = view_rows(ledger)
    bumped = {**VERSIONS, tables.PROGRESS: VERSIONS[tables.PROGRESS] + 1}
    projections = LearningProjections(ledger, versions=bumped)
    assert projections.ensure() == [tables.PROGRESS]
    state = projections.state()
    assert state[tables.PROGRESS][1] == bumped[tables.PROGRESS]
    assert state[tables.ENROLLMENTS][1] == VERSIONS[tables.ENROLLMENTS]
    assert view_rows(ledger) == live
    assert projections.ensure() == []  # built by this version now

    facts_bumped = {**bumped, FACTS: VERSIONS[FACTS] + 1}
    assert LearningProjections(ledger, versions=facts_bumped).ensure() == list(PROJECTIONS)
    assert view_rows(ledger) == live


def test_wait_for_catches_up_to_a_position_and_gives_up_past_the_head(ledger, admin, defined):
    """`wait_for` returns True once every projection reached the position (catching up
    itself), and False after the timeout for a position the log has not reached."""
    recording = record(ledger, admin, said("registered", COURSE))
    projections = LearningProjections(ledger)
    assert projections.wait_for(recording.position, timeout=5)
    assert enrollment_status(ledger) == "enrolled"
    started = time.monotonic()
    assert not projections.wait_for(projections.head() + 100, timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 3


def test_a_revised_course_is_used_for_facts_after_the_revision(ledger, admin, defined):
    """Facts take the revision in force when they were recorded, and the record says which
    revision it used."""
    record(ledger, admin, said("registered", COURSE))
    revised = course()
    revised["modules"] = revised["modules"][:1]  # only m1 now
    Catalogue(ledger).put(admin, "course", revised)
    record(ledger, admin, said("completed", MODULES[0]))
    projections = LearningProjections(ledger)
    projections.catch_up()
    enrollment = table_rows(projections, tables.ENROLLMENTS)[0]
    assert enrollment[3] == 2 and enrollment[4] == "completed"
    revisions = [row[3] for row in table_rows(projections, tables.CATALOGUE)]
    assert revisions == [1, 2]


def test_completing_a_course_unlocks_the_next_one_of_a_path(ledger, admin):
    """Registered in a path with unlockNext, Ada is enrolled in its second course only once
    she completes the first: the statement is about the first course, yet the second
    course's row appears (the live rows equal a rebuild's)."""
    first, second = f"{COURSE}-1", f"{COURSE}-2"
    catalogue = Catalogue(ledger)
    for iri in (first, second):
        catalogue.put(admin, "course", course(iri))
    path = "https://courses.example.com/learning/paths/safety"
    catalogue.put(
        admin,
        "path",
        {"id": path, "title": "Safety path", "courses": [first, second], "unlockNext": True},
    )
    record(ledger, admin, said("registered", path))
    projections = LearningProjections(ledger)
    projections.catch_up()
    assert enrollment_status(ledger, iri=first) == "enrolled"
    assert enrollment_status(ledger, iri=second) is None  # waiting for the first
    record(
        ledger,
        admin,
        said("completed", f"{first}/m1", timestamp="2026-03-02T10:00:00.000Z"),
        said("passed", f"{first}/m2", scaled=0.9, timestamp="2026-03-02T11:00:00.000Z"),
    )
    projections.catch_up()
    assert enrollment_status(ledger, iri=first) == "passed"
    assert enrollment_status(ledger, iri=second) == "enrolled"
    live = view_rows(ledger)
    projections.rebuild()
    assert view_rows(ledger) == live
