"""Rebuilding the statement_index from the event log, in batches, with progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, cast

import orjson

from ledger.application import Ledger
from ledger.statements import RECORDED_TOPIC
from projections.recorders import IndexedPostgresRecorder, IndexedSQLiteRecorder
from projections.statement_index import VERSION, IndexRows, index_entry, stored_ms

Progress = Callable[[int, int, int], None]  # (position, head, statements done)


def indexed_recorder(ledger: Ledger) -> IndexedSQLiteRecorder | IndexedPostgresRecorder:
    """The ledger's recorder, which must be one that keeps the statement index."""
    recorder: Any = ledger.recorder
    if not isinstance(recorder, IndexedSQLiteRecorder | IndexedPostgresRecorder):
        raise TypeError("open the ledger with projections.store.open_ledger to rebuild")
    return cast(IndexedSQLiteRecorder | IndexedPostgresRecorder, recorder)


def rebuild_statement_index(
    ledger: Ledger, progress: Progress | None = None, batch_size: int = 10_000
) -> int:
    """Derive the statement_index again from every `Statement.Recorded` event.

    Under the write lock the index is emptied, its indexes dropped and the log's head read;
    statements written from then on are indexed by their own writes as usual. The rows up
    to the head are then inserted batch by batch (on PostgreSQL a second thread inserts one
    batch while this one reads and derives the next), the indexes built once, and the voided
    flags set in one statement. Queries see an incomplete index while a rebuild runs, and
    the index's version is unset until it ends, so a rebuild that stops part way is done
    again by the next `db migrate`. Run one rebuild at a time. Returns the statements indexed.
    """
    recorder = indexed_recorder(ledger)
    head = recorder.begin_rebuild()
    done = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rebuild-insert") as inserter:
        pending: Future[None] | None = None
        for batch in _batches(recorder, head, batch_size):
            rows = _rows_of(batch)
            if pending is not None:
                pending.result()
            if recorder.overlap_inserts:
                pending = inserter.submit(recorder.insert_rebuilt_rows, rows)
            else:
                recorder.insert_rebuilt_rows(rows)
            done += len(batch)
            if progress is not None:
                progress(batch[-1][0], head, done)
        if pending is not None:
            pending.result()
    recorder.finish_rebuild(VERSION, done)
    return done


def _batches(
    recorder: IndexedSQLiteRecorder | IndexedPostgresRecorder, head: int, size: int
) -> Iterator[list[tuple[int, bytes]]]:
    """The `Recorded` events up to `head`, read `size` positions at a time.

    Each read is bounded on both sides by position, not by LIMIT alone, so that it touches
    at most `size` events whatever plan the database picks: with statistics of a smaller
    log, PostgreSQL sorted every event after the start position for each batch.
    """
    position = 0
    while position < head:
        stop = min(position + size, head)
        batch = recorder.select_states_after(position, stop, RECORDED_TOPIC, size)
        position = stop
        if batch:
            yield batch


def _rows_of(batch: list[tuple[int, bytes]]) -> IndexRows:
    rows = IndexRows()
    millis: dict[str, int] = {}  # a write's statements share one `stored`
    for position, state_json in batch:
        state = orjson.loads(state_json)
        statement = state["statement"]
        stored = statement["stored"]
        at = millis.get(stored)
        if at is None:
            at = millis[stored] = stored_ms(stored)
        rows.add(state["tenant"], position, at, index_entry(statement))
    return rows


def ensure_statement_index(ledger: Ledger, progress: Progress | None = None) -> bool:
    """Rebuild the index when its rows were built by another version; return whether it did."""
    recorder = indexed_recorder(ledger)
    built = recorder.index_version()
    if built == VERSION:
        return False
    if built is None and not recorder.max_notification_id():
        recorder.finish_rebuild(VERSION, 0)  # an empty ledger: nothing to build
        return False
    rebuild_statement_index(ledger, progress)
    return True
