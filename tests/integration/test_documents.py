"""Document aggregates, the check-and-write race and the documents read model, on both stores."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import orjson
import pytest
from eventsourcing.postgres import PostgresDatastore

from ledger.documents import (
    ACTIVITY_PROFILE,
    AGENT_PROFILE,
    STATE,
    Document,
    DocumentKey,
    Documents,
    Preconditions,
)
from ledger.errors import PreconditionFailedError
from ledger.xapi import V1
from projections.document_query import DocumentQueries
from projections.documents import VERSION, ensure_documents, rebuild_documents
from projections.rebuild import indexed_recorder
from projections.recorders import schema_prefix
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, run_cli, store_cursor

ACTIVITY = "https://courses.example.com/integration"
AGENT = {"mbox": "mailto:grace@example.com"}


@pytest.fixture
def admin(ledger):
    return ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)


@pytest.fixture
def documents(ledger):
    return Documents(ledger)


def key(document_id: str = "doc", kind: str = STATE, **extra: Any) -> DocumentKey:
    context: dict[str, Any] = {
        STATE: {"activity_id": ACTIVITY, "agent": AGENT},
        ACTIVITY_PROFILE: {"activity_id": ACTIVITY},
        AGENT_PROFILE: {"agent": AGENT},
    }[kind]
    return DocumentKey(kind=kind, document_id=document_id, **{**context, **extra})


NONE = Preconditions()


def document_rows(ledger) -> list[tuple[Any, ...]]:
    """Every row of the documents read model, sorted."""
    datastore: Any = ledger.recorder.datastore
    prefix = schema_prefix(datastore.schema) if isinstance(datastore, PostgresDatastore) else ""
    with store_cursor(ledger) as curs:
        curs.execute(f"SELECT * FROM {prefix}documents")
        rows = [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in curs.fetchall()]
    return sorted(rows, key=repr)


def test_the_aggregate_is_rebuilt_from_its_events_and_goes_on_after_deletion(
    ledger, documents, admin
):
    """Put, Merged, Deleted, Put: the aggregate's state is its latest event's (checklist §9)."""
    k = key()
    documents.put(admin, k, b'{"a": 1}', "application/json", NONE, V1)
    documents.post(admin, k, b'{"b": 2}', "application/json", NONE)
    documents.delete(admin, k, NONE)
    aggregate = ledger.repository.get(k.aggregate_id("default"))
    assert aggregate.version == 3 and aggregate.deleted
    documents.put(admin, k, b"text", "text/plain", NONE, V1)
    aggregate = ledger.repository.get(k.aggregate_id("default"))
    assert isinstance(aggregate, Document)
    assert (aggregate.version, aggregate.deleted, aggregate.content_type) == (
        4,
        False,
        "text/plain",
    )
    assert aggregate.length == 4 and aggregate.agent == AGENT
    events = ledger.recorder.select_events(k.aggregate_id("default"))
    names = [e.topic.rsplit(".", 1)[-1] for e in events]
    assert names == ["Put", "Merged", "Deleted", "Put"]
    merged = orjson.loads(events[1].state)
    stored = ledger.bulk.select_blobs("default", [merged["sha256"]])
    assert orjson.loads(stored[merged["sha256"]]) == {"a": 1, "b": 2}


def racing(documents: Documents, monkeypatch, writers: int):
    """Make every writer read the document before any of them writes it."""
    barrier = threading.Barrier(writers, timeout=10)
    original = Documents.latest
    local = threading.local()

    def latest(self, aggregate_id):
        found = original(self, aggregate_id)
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()
        return found

    monkeypatch.setattr(Documents, "latest", latest)


@pytest.fixture
def pooled_ledger(settings):
    from projections.store import open_ledger

    app = open_ledger(replace(settings, db_pool_size=8), create_tables=True)
    app.bootstrap()
    yield app
    app.close()


def test_of_two_racing_if_match_writers_exactly_one_wins(pooled_ledger, monkeypatch):
    """Both read ETag E and write with If-Match: E; one stores, the other gets 412
    (checklist §9.1 PRACTICE: atomic check-and-write)."""
    ledger = pooled_ledger
    admin = ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)
    documents = Documents(ledger)
    k = key(kind=AGENT_PROFILE)
    etag = documents.put(admin, k, b'{"v": 0}', "application/json", NONE, V1).etag
    racing(documents, monkeypatch, 2)
    condition = Preconditions(if_match=frozenset({etag}))

    def write(n: int) -> str:
        body = orjson.dumps({"v": n})
        try:
            documents.put(admin, k, body, "application/json", condition, V1)
        except PreconditionFailedError:
            return "412"
        return "204"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(write, [1, 2]))
    assert outcomes == ["204", "412"]
    assert len(ledger.recorder.select_events(k.aggregate_id("default"))) == 2


def test_racing_unconditional_merges_both_take_effect(pooled_ledger, monkeypatch):
    """The loser of a race re-reads and merges into the winner's result (checklist §9.1)."""
    ledger = pooled_ledger
    admin = ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)
    documents = Documents(ledger)
    k = key()
    documents.put(admin, k, b'{"x": 0}', "application/json", NONE, V1)
    racing(documents, monkeypatch, 2)
    with ThreadPoolExecutor(2) as pool:
        list(
            pool.map(
                lambda body: documents.post(admin, k, body, "application/json", NONE),
                [b'{"a": 1}', b'{"b": 2}'],
            )
        )
    found = DocumentQueries(ledger).get("default", k)
    assert found is not None
    assert orjson.loads(found.content) == {"x": 0, "a": 1, "b": 2}


def write_some_documents(documents: Documents, admin) -> None:
    registration = str(uuid.uuid4())
    for n in range(4):
        documents.put(admin, key(f"s{n}"), b'{"n": %d}' % n, "application/json", NONE, V1)
    documents.put(admin, key("r", registration=registration), b"bytes", None, NONE, V1)
    documents.post(admin, key("s1"), b'{"more": true}', "application/json", NONE)
    documents.delete(admin, key("s2"), NONE)
    documents.put(admin, key("p", ACTIVITY_PROFILE), b"<xml/>", "text/xml", NONE, V1)
    documents.put(admin, key("q", AGENT_PROFILE), b"{}", "application/json", NONE, V1)
    documents.delete(admin, key("q", AGENT_PROFILE), NONE)
    documents.put(admin, key("q", AGENT_PROFILE), b"[]", "application/json", NONE, V1)


def test_rebuild_derives_the_rows_the_live_writes_left(ledger, documents, admin):
    """`rebuild_documents` == the inline read model, tombstones included (brief item 3)."""
    write_some_documents(documents, admin)
    live = document_rows(ledger)
    assert len(live) == 7
    seen: list[tuple[int, int, int]] = []
    recorder = indexed_recorder(ledger)
    count = rebuild_documents(recorder, lambda *progress: seen.append(progress), batch_size=3)
    assert count == 11
    assert seen and seen[-1][2] == 11
    assert document_rows(ledger) == live
    assert recorder.documents_version() == VERSION


def test_writes_during_a_rebuild_are_kept(ledger, documents, admin):
    """A write after the rebuild's head keeps its newer row; a deletion stays deleted."""
    write_some_documents(documents, admin)
    written = []

    def write_during_rebuild(position, head, done):
        if not written:
            documents.delete(admin, key("s0"), NONE)
            documents.put(admin, key("s3"), b'{"new": 1}', "application/json", NONE, V1)
            written.append(True)

    rebuild_documents(indexed_recorder(ledger), write_during_rebuild, batch_size=2)
    queries = DocumentQueries(ledger)
    assert queries.get("default", key("s0")) is None
    found = queries.get("default", key("s3"))
    assert found is not None and found.content == b'{"new": 1}'
    rows = document_rows(ledger)
    rebuild_documents(indexed_recorder(ledger))
    assert document_rows(ledger) == rows


def test_migrate_builds_the_read_model_when_its_version_is_unset(ledger, documents, admin):
    """`db migrate` (ensure_documents) rebuilds when the version is missing, then not again."""
    write_some_documents(documents, admin)
    live = document_rows(ledger)
    recorder = indexed_recorder(ledger)
    datastore: Any = ledger.recorder.datastore
    prefix = schema_prefix(datastore.schema) if isinstance(datastore, PostgresDatastore) else ""
    with datastore.transaction(commit=True) as curs:
        curs.execute(f"DELETE FROM {prefix}documents_tracking")
    assert recorder.documents_version() is None
    assert ensure_documents(recorder) is True
    assert document_rows(ledger) == live
    assert ensure_documents(recorder) is False


def test_the_rebuild_command_rebuilds_documents_with_progress(ledger, settings, documents, admin):
    """`learning-ledger projections rebuild documents` (and `--all`) shows progress and the
    total."""
    write_some_documents(documents, admin)
    live = document_rows(ledger)
    done = run_cli(settings, "projections", "rebuild", "documents")
    assert done.returncode == 0, done.stderr
    assert "rebuilt documents: 11 document events" in done.stdout
    assert "documents:" in done.stderr  # the progress line
    assert document_rows(ledger) == live
    every = run_cli(settings, "projections", "rebuild", "--all")
    assert every.returncode == 0, every.stderr
    assert "rebuilt statement_index" in every.stdout
    assert "rebuilt documents: 11 document events" in every.stdout
    assert document_rows(ledger) == live
