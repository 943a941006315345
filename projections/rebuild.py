"""Rebuilding the statement_index from the event log, in batches, with progress."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
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
    ledger: Ledger, progress: Progress | None = None, batch_size: int = 2000
) -> int:
    """Derive the statement_index again from every `Statement.Recorded` event.

    Rows for positions up to the log's head at the start are deleted and rebuilt batch by
    batch; statements written meanwhile are indexed by their own writes as usual. Queries
    see an incomplete index while a rebuild runs. Returns the number of statements indexed.
    """
    recorder = indexed_recorder(ledger)
    head = recorder.max_notification_id() or 0
    recorder.reset_index(head)
    position, done = 0, 0
    while position < head:
        notifications = recorder.select_notifications(
            start=position,
            limit=batch_size,
            stop=head,
            topics=[RECORDED_TOPIC],
            inclusive_of_start=False,
        )
        if not notifications:
            break
        rows = IndexRows()
        affected: dict[str, list[str]] = defaultdict(list)
        for notification in notifications:
            state = orjson.loads(notification.state)
            statement = state["statement"]
            entry = index_entry(statement)
            rows.add(state["tenant"], notification.id, stored_ms(statement["stored"]), entry)
            ids = affected[state["tenant"]]
            ids.append(entry.statement_id)
            if entry.is_voiding and entry.ref_target:
                ids.append(entry.ref_target)
        recorder.write_index_rows(rows, affected)
        position = notifications[-1].id
        done += len(notifications)
        if progress is not None:
            progress(position, head, done)
    recorder.set_index_version(VERSION)
    return done


def ensure_statement_index(ledger: Ledger, progress: Progress | None = None) -> bool:
    """Rebuild the index when its rows were built by another version; return whether it did."""
    recorder = indexed_recorder(ledger)
    built = recorder.index_version()
    if built == VERSION:
        return False
    if built is None and not recorder.max_notification_id():
        recorder.set_index_version(VERSION)  # an empty ledger: nothing to build
        return False
    rebuild_statement_index(ledger, progress)
    return True
