"""Rebuilding the statement_index: writes during a rebuild, a rebuild cut short, the CLI."""

from __future__ import annotations

import pytest
from falcon import testing

from api.app import create_app
from ledger.xapi import V1
from projections.rebuild import ensure_statement_index, indexed_recorder, rebuild_statement_index
from projections.statement_index import SECONDARY_INDEXES, VERSION
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, index_rows, run_cli, store_cursor, xapi_headers
from tests.factories import voiding, with_id

COURSE = "https://courses.example.com/rebuild"


@pytest.fixture
def admin(ledger):
    return ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)


def query_ids(ledger, settings, **params):
    client = testing.TestClient(create_app(settings, ledger=ledger))
    response = client.simulate_get("/xapi/statements", params=params, headers=xapi_headers())
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json["statements"]]


def index_names(ledger, settings) -> set[str]:
    with store_cursor(ledger) as curs:
        if settings.is_postgres:
            curs.execute(
                "SELECT indexname AS name FROM pg_indexes WHERE indexname LIKE 'statement%'"
            )
        else:
            curs.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        return {row["name"] if isinstance(row, dict) else row[0] for row in curs.fetchall()}


def test_statements_written_during_a_rebuild_are_indexed_and_voided_right(ledger, settings, admin):
    """Writes above the rebuild's head index themselves; voiding across the head is kept."""
    early = [with_id(object={"id": COURSE}) for _ in range(6)]
    for body in early:
        ledger.record_statements(admin, [body], V1, batch=False)
    late_target = with_id(object={"id": COURSE})
    written = []

    def write_during_rebuild(position, head, done):
        if not written:  # after the first batch: void one statement not rebuilt yet, add more
            batch = [voiding(early[-1]["id"]), late_target]
            ledger.record_statements(admin, batch, V1, batch=True)
            written.extend(batch)

    live = index_rows(ledger)
    assert rebuild_statement_index(ledger, write_during_rebuild, batch_size=2) == 6
    assert written
    ids = query_ids(ledger, settings, activity=COURSE)
    assert early[-1]["id"] not in ids
    # the voiding statement stays: its target matches (the StatementRef rule)
    assert set(ids) == {s["id"] for s in early[:-1] + written}
    rows = index_rows(ledger)
    assert len(rows["statement_index"]) == len(live["statement_index"]) + 2
    assert rebuild_statement_index(ledger) == 8
    assert index_rows(ledger) == rows


def test_a_rebuild_cut_short_is_finished_by_the_next_migrate(ledger, settings, admin, monkeypatch):
    """The version is unset until a rebuild ends; ensure_statement_index then rebuilds."""
    bodies = [with_id() for _ in range(5)]
    ledger.record_statements(admin, bodies, V1, batch=True)
    void = voiding(bodies[0]["id"])
    ledger.record_statements(admin, [void], V1, batch=False)
    live = index_rows(ledger)
    recorder = indexed_recorder(ledger)

    def fail(rows):
        raise RuntimeError("the machine went away")

    monkeypatch.setattr(recorder, "insert_rebuilt_rows", fail)
    with pytest.raises(RuntimeError):
        rebuild_statement_index(ledger, batch_size=2)
    monkeypatch.undo()
    assert recorder.index_version() is None
    assert ensure_statement_index(ledger) is True
    assert recorder.index_version() == VERSION
    assert index_rows(ledger) == live
    assert {name for name, _, _ in SECONDARY_INDEXES} <= index_names(ledger, settings)
    assert query_ids(ledger, settings) == [void["id"], *[s["id"] for s in bodies[1:]][::-1]]
    assert ensure_statement_index(ledger) is False


def test_the_rebuild_command_reports_progress_and_the_count(ledger, settings, admin, tmp_path):
    """`learning-ledger projections rebuild statement_index` shows progress and the total."""
    ledger.record_statements(admin, [with_id() for _ in range(3)], V1, batch=True)
    live = index_rows(ledger)
    done = run_cli(settings, "projections", "rebuild", "statement_index")
    assert done.returncode == 0, done.stderr
    assert "rebuilt statement_index: 3 statements" in done.stdout
    assert "statement_index" in done.stderr  # the progress line
    assert index_rows(ledger) == live


def test_a_small_rebuild_leaves_planner_statistics_to_the_database(ledger, settings, admin):
    """Statistics of a near-empty index would plan every later write's voided-flag update as
    a scan of the whole index (writes slowing as it grows), so a small rebuild takes none."""
    ledger.record_statements(admin, [with_id() for _ in range(3)], V1, batch=True)
    rebuild_statement_index(ledger)
    with store_cursor(ledger) as curs:
        if settings.is_postgres:
            curs.execute(
                "SELECT count(*) AS n FROM pg_stat_user_tables WHERE relname LIKE 'statement%%' "
                "AND (last_analyze IS NOT NULL OR last_vacuum IS NOT NULL) "
                "AND schemaname = %s",
                (ledger.recorder.datastore.schema,),
            )
        else:
            curs.execute("SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'")
        row = curs.fetchone()
    assert (row["n"] if isinstance(row, dict) else row[0]) == 0
