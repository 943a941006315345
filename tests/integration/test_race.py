"""Concurrent writers of the same new statement on PostgreSQL: exactly one event."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from ledger.application import Ledger
from ledger.errors import StatementConflictError
from ledger.xapi import V1
from projections.store import open_ledger
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, event_count, make_settings, postgres_url
from tests.factories import with_id

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_ledger(pg_schema: str):
    ledger = open_ledger(
        make_settings(f"{postgres_url()}?schema={pg_schema}", db_pool_size=8), create_tables=True
    )
    ledger.bootstrap()
    yield ledger
    ledger.close()


def race(ledger: Ledger, bodies: list[dict]) -> list[str]:
    admin = ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)
    start = threading.Barrier(len(bodies))

    def put(body: dict) -> str:
        start.wait()
        try:
            ledger.record_statements(admin, [body], V1, batch=False)
        except StatementConflictError:
            return "409"
        return "204"

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(put, bodies))


def test_eight_concurrent_puts_of_one_new_statement_store_exactly_one_event(pg_ledger):
    body = with_id()
    before = event_count(pg_ledger)
    outcomes = race(pg_ledger, [dict(body) for _ in range(8)])
    assert outcomes == ["204"] * 8
    assert event_count(pg_ledger) == before + 1


def test_concurrent_different_statements_under_one_id_store_one_and_conflict_the_rest(pg_ledger):
    base = with_id()
    bodies = [dict(base, result={"response": f"answer {n}"}) for n in range(8)]
    before = event_count(pg_ledger)
    outcomes = race(pg_ledger, bodies)
    assert outcomes.count("204") == 1 and outcomes.count("409") == 7
    assert event_count(pg_ledger) == before + 1
