"""`learning-ledger projections status|rebuild` and `db migrate` cover the learning
projections, on both stores."""

from __future__ import annotations

import orjson

from ledger.catalogue import Catalogue
from ledger.xapi import V1
from ledger.xapi.primitives import epoch_ms, parse_timestamp
from projections.learning_store import PROJECTIONS, LearningProjections
from projections.status import projection_status
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, run_cli
from tests.learning_helpers import COURSE, MODULES, course, said, view_rows


def write(ledger) -> int:
    admin = ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)
    Catalogue(ledger).put(admin, "course", course())
    recording = ledger.record_statements(
        admin, [said("registered", COURSE), said("completed", MODULES[0])], V1, batch=True
    )
    return recording.position


def status_lines(settings) -> dict[str, str]:
    printed = run_cli(settings, "projections", "status")
    assert printed.returncode == 0, printed.stderr
    return {line.split()[0]: line for line in printed.stdout.splitlines()[1:]}


def test_status_lists_every_learning_projection_with_its_lag(ledger, settings):
    """Before a catch-up each learning projection is behind by the log; after `db migrate`
    every one is up to date, with its version and position."""
    head = write(ledger)
    lines = status_lines(settings)
    for name in PROJECTIONS:
        assert "nothing processed yet" in lines[name], lines[name]
    migrated = run_cli(settings, "db", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    lines = status_lines(settings)
    for name in PROJECTIONS:
        assert lines[name].endswith("up to date"), lines[name]
        assert f" {head:,} " in lines[name]
    assert LearningProjections(ledger).position() == head


def test_rebuild_one_learning_projection_and_all_of_them_with_progress(ledger, settings):
    """`projections rebuild enrollments` and `rebuild --all` leave the same rows, report
    progress on stderr and what they did on stdout."""
    write(ledger)
    LearningProjections(ledger).catch_up()
    live = view_rows(ledger)
    one = run_cli(settings, "projections", "rebuild", "enrollments")
    assert one.returncode == 0, one.stderr
    assert "rebuilt enrollments" in one.stdout
    assert "enrollments: 100.0%" in one.stderr
    assert view_rows(ledger) == live
    everything = run_cli(settings, "projections", "rebuild", "--all")
    assert everything.returncode == 0, everything.stderr
    for name in PROJECTIONS:
        assert f"{name}: 100.0%" in everything.stderr
    assert "rebuilt statement_index" in everything.stdout
    assert view_rows(ledger) == live


def test_rebuild_refuses_an_unknown_projection(settings, ledger):
    """A name that is no projection is refused by the command line (exit status 2)."""
    printed = run_cli(settings, "projections", "rebuild", "nope")
    assert printed.returncode == 2
    assert "invalid choice: 'nope'" in printed.stderr


def test_lag_in_seconds_runs_from_the_oldest_event_not_processed(ledger):
    """A projection's lag in seconds is the time since the first event it has not processed
    was stored; caught up, it is 0."""
    admin = ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)
    LearningProjections(ledger).catch_up()
    ledger.record_statements(admin, [said("registered", COURSE)], V1, batch=False)
    ledger.record_statements(admin, [said("launched", COURSE)], V1, batch=False)
    first = ledger.recorder.select_notifications(
        LearningProjections(ledger).position(), 1, inclusive_of_start=False
    )[0]
    stored = epoch_ms(parse_timestamp(orjson.loads(first.state)["statement"]["stored"]))
    status = {s.name: s for s in projection_status(ledger, now_ms=stored + 5_250)}
    for name in PROJECTIONS:
        assert status[name].lag_seconds == 5.25
        assert status[name].behind == 2
    LearningProjections(ledger).catch_up()
    status = {s.name: s for s in projection_status(ledger, now_ms=stored + 5_250)}
    assert all(status[name].lag_seconds == 0 for name in PROJECTIONS)
