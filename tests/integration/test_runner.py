"""The projection runner on both stores: woken by new events (PostgreSQL: the events table's
NOTIFY trigger; SQLite: its pull loop), it keeps the projections current and stops promptly."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from ledger.catalogue import Catalogue
from ledger.xapi import V1
from projections.definitions_store import DefinitionsProjection
from projections.learning_store import LearningProjections
from projections.recorders import CHANNEL
from projections.runner import Runner, postgres_dsn
from tests.conftest import ADMIN_KEY, ADMIN_SECRET
from tests.learning_helpers import COURSE, course, enrollment_status, said


def test_the_runner_keeps_learning_and_definitions_current_and_stops_promptly(ledger):
    """Statements recorded while a runner runs reach the enrollments and the definitions
    read model well within a second; `stop` ends it at once."""
    admin = ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)
    Catalogue(ledger).put(admin, "course", course())
    runner = Runner(ledger)
    thread = threading.Thread(target=runner.run)
    thread.start()
    try:
        time.sleep(0.3)  # the runner has caught up with the catalogue and waits
        recorded = time.monotonic()
        recording = ledger.record_statements(admin, [said("registered", COURSE)], V1, batch=True)
        learning = LearningProjections(ledger)
        definitions = DefinitionsProjection(ledger)

        def reached() -> bool:
            return (
                learning.position() >= recording.position
                and (definitions.state()[0] or 0) >= recording.position
            )

        while not reached() and time.monotonic() - recorded < 5:
            time.sleep(0.02)
        took = time.monotonic() - recorded
        assert took < 1.5, took
        assert enrollment_status(ledger) == "enrolled"
    finally:
        stopping = time.monotonic()
        runner.stop()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert time.monotonic() - stopping < 2


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_every_write_to_the_events_table_notifies_ledger_events(ledger, settings, pg_schema):
    """The events table's trigger sends `NOTIFY ledger_events` when a write commits,
    whoever writes: here a plain INSERT that no recorder made."""
    with psycopg.connect(postgres_dsn(settings.database_url), autocommit=True) as conn:
        conn.execute(f"LISTEN {CHANNEL}")
        with psycopg.connect(postgres_dsn(settings.database_url), autocommit=True) as writer:
            writer.execute(
                f'INSERT INTO "{pg_schema}".ledger_events '
                "(originator_id, originator_version, topic, state) "
                "VALUES (gen_random_uuid(), 1, 'tests:Nothing', '{}')"
            )
        got = [n.channel for n in conn.notifies(timeout=2, stop_after=1)]
    assert got == [CHANNEL]
