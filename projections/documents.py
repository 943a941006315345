"""The documents read model: the current State and profile documents, kept inline.

One row per Document aggregate (a deleted document keeps a row, marked deleted, so that rows
written from the log in any order end at the newest version: every write keeps the row with
the higher version). The rows serve single GETs (joined with the blob table), id lists with
`since`, and the State resource's DELETE of many. The event recorder writes them in the
same transaction as the document events (see `IndexedSQLiteRecorder`,
`IndexedPostgresRecorder`); `rebuild_documents` derives the same rows from the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from ledger.documents import DELETED_TOPIC, DOCUMENT_TOPICS
from ledger.xapi.equivalence import normalise_iri
from ledger.xapi.ifi import ifi_key
from ledger.xapi.primitives import epoch_ms, parse_timestamp

NAME = "documents"
#: Bump when the rows change: `db migrate` then rebuilds the read model from the log.
VERSION = 1

COLUMNS = (
    "id, tenant, kind, activity, agent, registration, document_id, version, deleted, sha256, "
    "etag, content_type, length, updated_ms, position"
)
_MUTABLE = ("version", "deleted", "sha256", "etag", "content_type", "length", "updated_ms")

Progress = Callable[[int, int, int], None]  # (position, head, events done)


def ddl(bigint: str = "BIGINT", schema: str = "") -> list[str]:
    """Return the CREATE statements of the read model's tables and indexes (both stores)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {schema}documents ("
        "id TEXT PRIMARY KEY, tenant TEXT NOT NULL, kind TEXT NOT NULL, activity TEXT NOT NULL, "
        "agent TEXT NOT NULL, registration TEXT NOT NULL, document_id TEXT NOT NULL, "
        f"version {bigint} NOT NULL, deleted SMALLINT NOT NULL, sha256 TEXT, etag TEXT, "
        f"content_type TEXT, length {bigint} NOT NULL, updated_ms {bigint} NOT NULL, "
        f"position {bigint} NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS documents_scope ON {schema}documents "
        "(tenant, kind, activity, agent, registration, updated_ms)",
        f"CREATE INDEX IF NOT EXISTS documents_updated ON {schema}documents (updated_ms)",
        f"CREATE TABLE IF NOT EXISTS {schema}documents_tracking ("
        "name TEXT PRIMARY KEY, version INTEGER NOT NULL)",
    ]


def upsert_sql(schema: str, mark: str) -> str:
    """The insert of one row that keeps whichever of the old and new rows is newer."""
    marks = ", ".join([mark] * len(COLUMNS.split(", ")))
    updates = ", ".join(f"{column} = excluded.{column}" for column in (*_MUTABLE, "position"))
    return (
        f"INSERT INTO {schema}documents ({COLUMNS}) VALUES ({marks}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates} "
        f"WHERE excluded.version > {schema}documents.version"
    )


def floor_sql(schema: str) -> str:
    """The newest `updated` written, in ms, as `floor` (the next write never goes before it)."""
    return f"SELECT max(updated_ms) AS floor FROM {schema}documents"


def version_sql(schema: str, mark: str) -> tuple[str, str, str]:
    """Select, delete and insert statements of the read model's built version."""
    table = f"{schema}documents_tracking"
    return (
        f"SELECT version FROM {table} WHERE name = {mark}",
        f"DELETE FROM {table} WHERE name = {mark}",
        f"INSERT INTO {table} (name, version) VALUES ({mark}, {mark})",
    )


def escape_id(document_id: str) -> str:
    """The stored form of a document id: PostgreSQL text cannot hold U+0000, which a valid
    stateId or profileId may contain, so `\\` and U+0000 are written `\\\\` and `\\0`."""
    return document_id.replace("\\", "\\\\").replace("\x00", "\\0")


def unescape_id(stored: str) -> str:
    """The document id of a stored form (`escape_id` undone)."""
    if "\\" not in stored:
        return stored
    parts = stored.split("\\\\")
    return "\\".join(part.replace("\\0", "\x00") for part in parts)


def document_row(
    originator_id: UUID, version: int, topic: str, state: bytes, position: int
) -> tuple[Any, ...]:
    """Return the read-model row a document event leaves (its aggregate's state after it)."""
    event = orjson.loads(state)
    deleted = topic == DELETED_TOPIC
    activity = event["activity_id"]
    agent = event["agent"]
    return (
        str(originator_id),
        event["tenant"],
        event["kind"],
        normalise_iri(activity) if activity is not None else "",
        (ifi_key(agent) or "") if agent is not None else "",
        event["registration"] or "",
        escape_id(event["document_id"]),
        version,
        int(deleted),
        None if deleted else event["sha256"],
        None if deleted else event["etag"],
        None if deleted else event["content_type"],
        0 if deleted else event["length"],
        epoch_ms(parse_timestamp(event["updated"])),
        position,
    )


def rows_of_events(
    events: Sequence[StoredEvent], positions: Sequence[int]
) -> list[tuple[Any, ...]]:
    """The rows of a write's document events (other events leave none)."""
    return [
        document_row(
            e.originator_id,  # type: ignore[arg-type]
            e.originator_version,
            e.topic,
            e.state,
            position,
        )
        for e, position in zip(events, positions, strict=True)
        if e.topic in DOCUMENT_TOPICS
    ]


class DocumentsRecorder(Protocol):
    """What a rebuild needs of the recorder (both Indexed*Recorder classes provide it)."""

    def begin_documents_rebuild(self) -> int: ...

    def insert_document_rows(self, rows: list[tuple[Any, ...]]) -> None: ...

    def finish_documents_rebuild(self, version: int) -> None: ...

    def documents_version(self) -> int | None: ...

    def max_notification_id(self) -> int | None: ...

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Any]: ...


def rebuild_documents(
    recorder: DocumentsRecorder, progress: Progress | None = None, batch_size: int = 5_000
) -> int:
    """Derive the documents read model again from every document event; return how many.

    Under the write lock the rows are emptied and the log's head read; document writes from
    then on keep their rows as usual. The events up to the head are then replayed in
    batches; each row keeps the newer of the versions it is given, so replayed rows never
    undo a newer write. Reads see an incomplete model while it runs: run it in a quiet
    period, one at a time.
    """
    head = recorder.begin_documents_rebuild()
    done = 0
    for batch in _batches(recorder, head, batch_size):
        recorder.insert_document_rows(
            [
                document_row(n.originator_id, n.originator_version, n.topic, n.state, n.id)
                for n in batch
            ]
        )
        done += len(batch)
        if progress is not None:
            progress(batch[-1].id, head, done)
    recorder.finish_documents_rebuild(VERSION)
    if progress is not None and done == 0:
        progress(head, head, 0)
    return done


def _batches(recorder: DocumentsRecorder, head: int, size: int) -> Iterator[Sequence[Any]]:
    """The document events up to `head`, read by bounded ranges of positions."""
    position = 0
    while position < head:
        stop = min(position + size, head)
        batch = recorder.select_notifications(
            position, size, stop=stop, topics=DOCUMENT_TOPICS, inclusive_of_start=False
        )
        position = stop
        if batch:
            yield batch


def ensure_documents(recorder: DocumentsRecorder, progress: Progress | None = None) -> bool:
    """Rebuild the read model when its rows were built by another version; return whether."""
    built = recorder.documents_version()
    if built == VERSION:
        return False
    if built is None and not recorder.max_notification_id():
        recorder.finish_documents_rebuild(VERSION)  # an empty ledger: nothing to build
        return False
    rebuild_documents(recorder, progress)
    return True
