"""The definitions read model kept up from the log: exactly once, bounded, rebuildable."""

from __future__ import annotations

import threading
import time

import pytest

from api.cli import migrate
from ledger.xapi import V1
from projections.definitions import NAME
from projections.definitions_store import DefinitionsProjection
from projections.store import open_ledger
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, race_catch_ups, run_cli
from tests.factories import with_id

COURSE = "https://courses.example.com/catch-up"
ADA = "mbox:mailto:ada@example.com"


@pytest.fixture
def admin(ledger):
    return ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)


def defined(n: int) -> dict:
    """A statement by Ada about COURSE, naming it in a language of its own."""
    return with_id(object={"id": COURSE, "definition": {"name": {f"x-l{n}": f"name {n}"}}})


def counts(projection: DefinitionsProjection) -> dict[str, int]:
    """How many statements fed COURSE's definition and Ada's Person."""
    rows = projection.rows()
    activity = {row[1]: row[3] for row in rows["definitions_activities"]}
    persons = {row[1]: row[3] for row in rows["definitions_persons"]}
    return {"course": activity.get(COURSE, 0), "ada": persons.get(ADA, 0)}


def test_racing_catch_ups_apply_each_statement_exactly_once(ledger, settings, admin):
    """Four catch-ups in two ledgers (as in two processes) race a writer: every statement is
    folded in once, so the counts equal the statements written (checklist §5.5, §14)."""
    other = open_ledger(settings)
    projections = [DefinitionsProjection(ledger), DefinitionsProjection(other)] * 2
    written = 40

    def write_all() -> None:
        for n in range(written):
            ledger.record_statements(admin, [defined(n)], V1, batch=False)

    try:
        applied = race_catch_ups(projections, write_all, lambda result: result.statements)
    finally:
        other.close()
    projection = DefinitionsProjection(ledger)
    projection.catch_up()
    assert counts(projection) == {"course": written, "ada": written}
    definition = projection.select_definitions("default", [COURSE])[COURSE]
    assert definition["name"] == {f"x-l{n}": f"name {n}" for n in range(written)}
    assert projection.state()[0] == projection.head()
    assert sum(applied) == written  # each statement applied by exactly one catch-up
    live = projection.rows()
    projection.rebuild()
    assert projection.rows() == live


def test_a_catch_up_gives_up_within_its_budget_while_the_tracking_row_is_held(ledger, admin):
    """A request never waits unboundedly: with the tracking row held elsewhere the catch-up
    stops after its budget and reports itself incomplete; the next one applies the batch."""
    projection = DefinitionsProjection(ledger)
    projection.catch_up()
    ledger.record_statements(admin, [defined(1)], V1, batch=False)
    held, release = threading.Event(), threading.Event()

    def hold(curs, position, version):
        held.set()
        release.wait(10)

    holder = threading.Thread(target=projection.tables.locked, args=(None, hold))
    holder.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        result = projection.catch_up(budget=0.3)
        assert time.monotonic() - started < 3
        assert not result.complete and result.statements == 0
    finally:
        release.set()
        holder.join()
    assert counts(projection)["course"] == 0
    assert projection.catch_up(budget=2).complete
    assert counts(projection)["course"] == 1


def test_a_catch_up_out_of_time_stops_between_batches_and_the_next_goes_on(ledger, admin):
    """With a budget spent, a catch-up answers from what is there; nothing is lost."""
    ledger.record_statements(admin, [defined(n) for n in range(6)], V1, batch=True)
    projection = DefinitionsProjection(ledger)
    first = projection.catch_up(budget=0.0, batch_size=1)
    assert not first.complete and first.position < first.head
    assert projection.catch_up(batch_size=1).complete
    assert counts(projection) == {"course": 6, "ada": 6}


def test_statements_written_during_a_rebuild_are_applied_once(ledger, admin):
    """A rebuild is a reset plus a catch-up: statements arriving meanwhile are caught up too."""
    ledger.record_statements(admin, [defined(n) for n in range(5)], V1, batch=True)
    projection = DefinitionsProjection(ledger)
    projection.catch_up()
    extra: list[int] = []

    def write_during(position, head, done):
        if not extra:
            ledger.record_statements(admin, [defined(99)], V1, batch=False)
            extra.append(position)

    assert projection.rebuild(write_during, batch_size=2) >= 5
    projection.catch_up()
    assert extra
    assert counts(projection) == {"course": 6, "ada": 6}


def test_a_rebuild_cut_short_is_finished_by_the_next_catch_up(ledger, admin):
    ledger.record_statements(admin, [defined(n) for n in range(5)], V1, batch=True)
    projection = DefinitionsProjection(ledger)
    projection.catch_up()
    live = projection.rows()

    def fail(position, head, done):
        raise RuntimeError("the machine went away")

    with pytest.raises(RuntimeError):
        projection.rebuild(fail, batch_size=2)
    assert projection.rows() != live
    assert projection.catch_up().complete
    assert projection.rows() == live


def set_version(projection: DefinitionsProjection, version: int) -> None:
    """Pretend the rows were built by another version of the rules."""
    sql = projection.tables.sql("UPDATE {s}definitions_tracking SET version = %s WHERE name = %s")
    projection.tables.locked(None, lambda curs, position, old: curs.execute(sql, (version, NAME)))


def test_migrate_brings_the_read_model_up_to_date_and_rebuilds_a_changed_version(
    ledger, settings, admin
):
    """`db migrate` catches up; a version change makes it derive everything again."""
    ledger.record_statements(admin, [defined(n) for n in range(3)], V1, batch=True)
    migrate(settings)
    projection = DefinitionsProjection(ledger)
    assert projection.state()[0] == projection.head()
    assert counts(projection) == {"course": 3, "ada": 3}
    set_version(projection, 0)
    assert projection.ensure() is True
    assert counts(projection) == {"course": 3, "ada": 3}
    assert projection.ensure() is False


def test_the_rebuild_command_reports_progress_and_the_count(ledger, settings, admin):
    """`learning-ledger projections rebuild definitions` shows progress and the total."""
    ledger.record_statements(admin, [defined(n) for n in range(3)], V1, batch=True)
    projection = DefinitionsProjection(ledger)
    projection.catch_up()
    live = projection.rows()
    done = run_cli(settings, "projections", "rebuild", "definitions")
    assert done.returncode == 0, done.stderr
    assert "rebuilt definitions: 3 statements" in done.stdout
    assert "definitions:" in done.stderr  # the progress line
    assert projection.rows() == live
