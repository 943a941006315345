"""Fixtures shared by the test suite: settings and ledgers on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.postgres import PostgresDatastore
from falcon import testing
from hypothesis import Phase, settings

from api.app import create_app
from ledger.application import Ledger
from ledger.settings import Settings
from projections.recorders import INDEX_TABLES, schema_prefix
from projections.store import open_ledger


def on_ci() -> bool:
    """Whether this run is CI's (`CI=true`): PostgreSQL required, hypothesis reproducible."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


# On CI the examples are drawn from a fixed seed, so a run does not go red on a draw no other
# run made, and a failure is reported as found rather than shrunk for minutes; run the test
# locally (random draws, shrinking on) to get the smallest failing example.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)
if on_ci():
    settings.load_profile("ci")

ADMIN_KEY = "test-admin"
ADMIN_SECRET = "test-admin-secret"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    """The PostgreSQL database the tests may use (`LEDGER_TEST_POSTGRES_URL`)."""
    return os.environ.get("LEDGER_TEST_POSTGRES_URL", DEFAULT_PG_URL)


def _postgres_reachable() -> str | None:
    try:
        with psycopg.connect(postgres_url(), connect_timeout=3):
            return None
    except psycopg.Error as ex:
        return str(ex).strip()


_PG_PROBLEM = _postgres_reachable()


def require_postgres() -> None:
    """Skip (locally) or fail (CI=true) when PostgreSQL is unreachable."""
    if _PG_PROBLEM is None:
        return
    message = f"PostgreSQL at {postgres_url()} is unreachable: {_PG_PROBLEM}"
    if on_ci():
        pytest.fail(message + " (CI requires the PostgreSQL tests)")
    pytest.skip(message)


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards, so each test starts empty."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(postgres_url(), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for a test ledger with the known admin credential and no request log."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "bootstrap_key": ADMIN_KEY,
        "bootstrap_secret": ADMIN_SECRET,
        "request_log": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database URL of an empty store: each test runs once per store."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    schema = request.getfixturevalue("pg_schema")
    return f"{postgres_url()}?schema={schema}"


@pytest.fixture
def settings(store: str) -> Settings:
    """Settings for the store under test."""
    return make_settings(store)


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    """A migrated, bootstrapped ledger on the store under test."""
    app = open_ledger(settings, create_tables=True)
    app.bootstrap()
    yield app
    app.close()


@pytest.fixture
def client(settings: Settings, ledger: Ledger) -> testing.TestClient:
    """A Falcon test client around the ledger."""
    return testing.TestClient(create_app(settings, ledger=ledger))


def basic(key: str = ADMIN_KEY, secret: str = ADMIN_SECRET) -> str:
    """Return an `Authorization` header value for HTTP Basic."""
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def xapi_headers(version: str = "1.0.3", **extra: str) -> dict[str, str]:
    """Headers of an authenticated xAPI request."""
    headers = {
        "Authorization": basic(),
        "X-Experience-API-Version": version,
        "Content-Type": "application/json",
    }
    headers.update(extra)
    return headers


@contextmanager
def store_cursor(ledger: Ledger) -> Iterator[Any]:
    """A cursor on the ledger's own database (rows are dicts on PostgreSQL, tuples on SQLite)."""
    datastore: Any = ledger.recorder.datastore  # type: ignore[attr-defined]
    if isinstance(datastore, PostgresDatastore):
        with datastore.get_connection() as conn, conn.cursor() as curs:
            yield curs
    else:
        with datastore.transaction(commit=False) as curs:
            yield curs


def index_rows(ledger: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the three statement_index tables, sorted."""
    datastore: Any = ledger.recorder.datastore  # type: ignore[attr-defined]
    prefix = schema_prefix(datastore.schema) if isinstance(datastore, PostgresDatastore) else ""
    tables = {}
    with store_cursor(ledger) as curs:
        for table in INDEX_TABLES:
            curs.execute(f"SELECT * FROM {prefix}{table}")
            rows = [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in curs.fetchall()]
            tables[table] = sorted(rows, key=repr)
    return tables


def event_count(ledger: Ledger) -> int:
    """How many events the store holds."""
    return len(ledger.recorder.select_notifications(start=None, limit=10**7))


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `learning-ledger ARGS…` on the test's store; return what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env={"LEDGER_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server under test)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def race_catch_ups(
    projections: Sequence[Any], write_all: Callable[[], None], applied: Callable[[Any], int]
) -> list[int]:
    """Start a writer and a catch-up loop per projection at once; each loop catches up in
    tiny batches until it is complete after the writer finished. Returns what each loop
    applied (`applied(result)` of each catch-up, summed)."""
    writing = threading.Event()
    writing.set()
    start = threading.Barrier(len(projections) + 1)

    def write() -> None:
        start.wait()
        write_all()
        writing.clear()

    def catch_up(projection: Any) -> int:
        start.wait()
        total = 0
        while True:
            still_writing = writing.is_set()
            result = projection.catch_up(budget=0.5, batch_size=2)
            total += applied(result)
            if result.complete and not still_writing:
                return total

    with ThreadPoolExecutor(len(projections) + 1) as pool:
        writer = pool.submit(write)
        done = list(pool.map(catch_up, projections))
        writer.result()
    return done
