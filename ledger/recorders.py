"""Event recorders with the ledger's statement write path, on SQLite and PostgreSQL.

Both subclass the eventsourcing library's application recorders, so everything the library
does (aggregates, notification log, projections) still works. They add:

- `write_statements`: one transaction that takes the event table's write lock, *then* reads
  the clock for `stored`, builds the events, appends them with notification ids drawn under
  the lock, lets an inline read model index them (`_index_statements`, a hook for
  subclasses), and commits. Because `stored` is taken under the lock, `stored` never
  decreases along the log: ordering by (`stored`, position) is commit order, and a reader
  can tell which `stored` times are complete.
- `select_events_of`: the events of many aggregates in one query.
- `is_duplicate_event`: whether an IntegrityError is the events primary key (an aggregate
  version that exists already) rather than any other constraint.
- `write_documents`: the same for document events (State, Activity Profile, Agent Profile):
  lock, `updated` read from the clock under the lock, content blobs, events, the inline
  read model's rows (`_index_documents`, a hook for subclasses), commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

from ledger.blobs import BLOBS_TABLE, blobs_ddl
from ledger.xapi.primitives import epoch_ms, from_epoch_ms
from ledger.xapi.primitives import format_timestamp as format_stored

#: Writes of more events than this use COPY on PostgreSQL; fewer a pipelined INSERT.
COPY_THRESHOLD = 50


@dataclass
class EventWrite:
    """One all-or-nothing append of events, prepared outside the lock.

    `build(now)` returns the `event_count` events to append, given the time read under the
    lock (never earlier than the last such time written: see the floor hooks). `blobs`
    (content by lowercase SHA-2 hex) are stored in the same transaction.
    """

    tenant: str
    event_count: int
    build: Callable[[str], list[StoredEvent]]
    blobs: dict[str, bytes] = field(default_factory=dict)


@dataclass
class StatementWrite(EventWrite):
    """An append of statements (all or nothing).

    `statements` are complete but for `stored` (and `timestamp`, when the sender left it out,
    which defaults to `stored`). `build(stored)` fills those in and returns the events to
    append: first one `Recorded` per statement, in order, then any `Voided` events.
    """

    statements: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Written:
    """What a write appended: each event's notification id, and the time read under the lock
    (a statement's `stored`, a document's `updated`)."""

    positions: list[int]
    stored: str


@dataclass
class DocumentWrite(EventWrite):
    """An append of document events (all or nothing); `build(updated)` makes them."""


class LedgerSQLiteRecorder(SQLiteApplicationRecorder):
    """The SQLite recorder with the ledger's statement write path."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        self._insert_with_rowid = (
            f"INSERT INTO {self.events_table_name} "
            "(rowid, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)"
        )
        self._max_rowid = f"SELECT max(rowid) FROM {self.events_table_name}"

    def construct_create_table_statements(self) -> list[str]:
        """The library's tables and the blob table."""
        return [*super().construct_create_table_statements(), blobs_ddl()]

    def insert_blobs(self, cursor: sqlite3.Cursor, tenant: str, blobs: Mapping[str, bytes]) -> None:
        """Store content by hash inside the caller's transaction (a known hash is kept)."""
        cursor.executemany(
            f"INSERT INTO {BLOBS_TABLE} (tenant, sha2, data) VALUES (?, ?, ?) "
            "ON CONFLICT (tenant, sha2) DO NOTHING",
            [(tenant, sha2, data) for sha2, data in blobs.items()],
        )

    def select_blobs(self, tenant: str, hashes: Sequence[str]) -> dict[str, bytes]:
        """Return the stored content of the given hashes (those that are stored)."""
        found: dict[str, bytes] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            with self.datastore.transaction(commit=False) as c:
                c.execute(
                    f"SELECT sha2, data FROM {BLOBS_TABLE} WHERE tenant = ? AND sha2 IN ({marks})",
                    [tenant, *chunk],
                )
                found.update((row[0], bytes(row[1])) for row in c.fetchall())
        return found

    def write_statements(self, write: StatementWrite) -> Written:
        """Append a statement write in one `BEGIN IMMEDIATE` transaction."""
        prepared = self._prepare_index(write)

        def index(
            cursor: sqlite3.Cursor, _: list[StoredEvent], positions: list[int], at: str
        ) -> None:
            self._index_statements(cursor, write, prepared, positions, at)

        return self._append(write, self._stored_floor_ms, index)

    def _append(
        self,
        write: EventWrite,
        floor_ms: Callable[[sqlite3.Cursor], int | None],
        index: Callable[[sqlite3.Cursor, list[StoredEvent], list[int], str], None],
    ) -> Written:
        """Take the write lock, store the blobs, read the clock (not below `floor_ms`), append
        the events with the next rowids, let `index` write read-model rows, commit."""
        with self.datastore.get_connection(commit=True) as conn:
            raw: sqlite3.Connection = conn._sqlite_conn
            try:
                cursor = raw.cursor()
                cursor.execute("BEGIN IMMEDIATE")
                if write.blobs:
                    self.insert_blobs(cursor, write.tenant, write.blobs)
                cursor.execute(self._max_rowid)
                first = int(cursor.fetchone()[0] or 0) + 1
                at = _stored_at(datetime.now(UTC), floor_ms(cursor))
                events = write.build(at)
                positions = list(range(first, first + len(events)))
                cursor.executemany(
                    self._insert_with_rowid,
                    [
                        (p, e.originator_id.hex, e.originator_version, e.topic, e.state)  # type: ignore[union-attr]
                        for p, e in zip(positions, events, strict=True)
                    ],
                )
                index(cursor, events, positions, at)
                raw.commit()
            except sqlite3.IntegrityError as ex:
                raw.rollback()
                raise IntegrityError(ex) from ex
            except sqlite3.OperationalError as ex:
                raw.rollback()
                raise OperationalError(ex) from ex
            except BaseException:
                raw.rollback()
                raise
        return Written(positions, at)

    def _prepare_index(self, write: StatementWrite) -> Any:
        """Work out inline read-model rows before the lock is taken (a hook; none here)."""
        return None

    def _stored_floor_ms(self, cursor: sqlite3.Cursor) -> int | None:
        """Return the latest `stored` already written, in ms, so `stored` never goes back."""
        return None

    def _index_statements(
        self,
        cursor: sqlite3.Cursor,
        write: StatementWrite,
        prepared: Any,
        positions: list[int],
        stored: str,
    ) -> None:
        """Write inline read-model rows for the statements, in the same transaction."""

    # -- documents ------------------------------------------------------------------------

    def write_documents(self, write: DocumentWrite) -> Written:
        """Append document events in one `BEGIN IMMEDIATE` transaction (see `DocumentWrite`).

        A version that exists already (a racing writer) raises the events primary key's
        IntegrityError and nothing is written.
        """

        def index(
            cursor: sqlite3.Cursor, events: list[StoredEvent], positions: list[int], _: str
        ) -> None:
            self._index_documents(cursor, events, positions)

        return self._append(write, self._document_floor_ms, index)

    def _document_floor_ms(self, cursor: sqlite3.Cursor) -> int | None:
        """Return the latest `updated` already written, in ms, so `updated` never goes back."""
        return None

    def _index_documents(
        self, cursor: sqlite3.Cursor, events: list[StoredEvent], positions: list[int]
    ) -> None:
        """Write inline read-model rows for document events, in the same transaction."""

    def select_states_at(self, positions: Sequence[int]) -> dict[int, bytes]:
        """Return the stored state of the events at the given notification ids."""
        found: dict[int, bytes] = {}
        for start in range(0, len(positions), 500):
            chunk = list(positions[start : start + 500])
            marks = ",".join("?" * len(chunk))
            with self.datastore.transaction(commit=False) as c:
                c.execute(
                    f"SELECT rowid, state FROM {self.events_table_name} WHERE rowid IN ({marks})",
                    chunk,
                )
                found.update((row[0], row[1]) for row in c.fetchall())
        return found

    def select_states_after(
        self, position: int, stop: int, topic: str, limit: int
    ) -> list[tuple[int, bytes]]:
        """Return (notification id, state) of up to `limit` events of `topic` after `position`
        and at most `stop`, in log order (a lean `select_notifications` for replays)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, state FROM {self.events_table_name} WHERE rowid > ? "
                "AND rowid <= ? AND topic = ? ORDER BY rowid LIMIT ?",
                (position, stop, topic, limit),
            )
            return [(row[0], row[1]) for row in c.fetchall()]

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Return the events of the given aggregates, by aggregate then version."""
        found: list[StoredEvent] = []
        ids = [i.hex for i in originator_ids]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            with self.datastore.transaction(commit=False) as c:
                c.execute(
                    "SELECT originator_id, originator_version, topic, state "
                    f"FROM {self.events_table_name} WHERE originator_id IN ({marks}) "
                    "ORDER BY originator_id, originator_version",
                    chunk,
                )
                found.extend(
                    StoredEvent(
                        originator_id=UUID(row["originator_id"]),
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=row["state"],
                    )
                    for row in c.fetchall()
                )
        return found

    def is_duplicate_event(self, ex: IntegrityError) -> bool:
        """Whether `ex` was raised by the events table's primary key."""
        cause = ex.__cause__
        return isinstance(cause, sqlite3.IntegrityError) and (
            f"{self.events_table_name}.originator_id" in str(cause)
        )


class LedgerPostgresRecorder(PostgresApplicationRecorder):
    """The PostgreSQL recorder with the ledger's statement write path."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        table = Identifier(self.datastore.schema, self.events_table_name)
        self._qualified_name = f"{self.datastore.schema}.{self.events_table_name}"
        self._clock_and_positions = SQL(
            "SELECT clock_timestamp() AS now, ARRAY(SELECT nextval(pg_get_serial_sequence("
            "%s, 'notification_id')) FROM generate_series(1, %s)) AS positions"
        )
        columns = "notification_id, originator_id, originator_version, topic, state"
        self._insert_rows = SQL(
            "INSERT INTO {} (" + columns + ") "
            "SELECT * FROM unnest(%b::bigint[], %b::uuid[], %b::bigint[], %b::text[], %b::bytea[])"
        ).format(table)
        self._copy_rows = SQL("COPY {} (" + columns + ") FROM STDIN (FORMAT BINARY)").format(table)
        self._select_many = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(table)
        self._primary_key_name = f"{self.events_table_name}_pkey"
        self._select_states = SQL(
            "SELECT notification_id, state FROM {} WHERE notification_id = ANY(%s)"
        ).format(table)
        self._select_after = SQL(
            "SELECT notification_id, state FROM {} WHERE notification_id > %s "
            "AND notification_id <= %s AND topic = %s ORDER BY notification_id LIMIT %s"
        ).format(table)
        prefix = '"' + self.datastore.schema.replace('"', '""') + '".'
        self.sql_create_statements.append(SQL(blobs_ddl(prefix, "BYTEA")).format())
        self._insert_blob = SQL(
            f"INSERT INTO {prefix}{BLOBS_TABLE} (tenant, sha2, data) VALUES (%s, %s, %b) "
            "ON CONFLICT (tenant, sha2) DO NOTHING"
        )
        self._select_blobs = SQL(
            f"SELECT sha2, data FROM {prefix}{BLOBS_TABLE} WHERE tenant = %s AND sha2 = ANY(%s)"
        )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def write_statements(self, write: StatementWrite) -> Written:
        """Append a statement write in one transaction, two round trips for small writes.

        First round trip: BEGIN, the library's lock statements, NOTIFY, then the clock and
        the notification ids, read under the lock. Second: the rows (pipelined INSERT for
        small writes, binary COPY for large ones), the index rows, COMMIT.
        """
        prepared = self._prepare_index(write)

        def index(
            curs: psycopg.Cursor[Any], _: list[StoredEvent], positions: list[int], at: str
        ) -> None:
            self._index_statements(curs, write, prepared, positions, at)

        return self._append(write, self._stored_floor_query(), index)

    def _append(
        self,
        write: EventWrite,
        floor_query: Composed | SQL | None,
        index: Callable[[psycopg.Cursor[Any], list[StoredEvent], list[int], str], None],
    ) -> Written:
        """Append a write in one transaction; roll back on any failure."""
        with self.datastore.get_connection() as conn:
            try:
                return self._write(conn, write, floor_query, index)
            except BaseException:
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.rollback()
                raise

    def _write(
        self,
        conn: psycopg.Connection[Any],
        write: EventWrite,
        floor_query: Composed | SQL | None,
        index: Callable[[psycopg.Cursor[Any], list[StoredEvent], list[int], str], None],
    ) -> Written:
        with conn.cursor() as curs, conn.cursor() as clock:
            with conn.pipeline() as pipeline:
                curs.execute(_BEGIN)
                if write.blobs:  # before the lock: writing them holds up no other writer
                    self.insert_blobs(curs, write.tenant, write.blobs)
                self._lock_table(curs)
                self._notify_channel(curs)
                clock.execute(
                    self._clock_and_positions,
                    (self._qualified_name, write.event_count),
                    prepare=True,
                )
                if floor_query is not None:
                    curs.execute(floor_query, prepare=True)
                pipeline.sync()
                row: Any = clock.fetchone()
                floor_row: Any = curs.fetchone() if floor_query is not None else None
            at = _stored_at(row["now"], floor_row["floor"] if floor_row else None)
            events = write.build(at)
            positions: list[int] = list(row["positions"])
            if len(events) != len(positions):
                raise ValueError("a write built a different number of events than it declared")
            if len(events) <= COPY_THRESHOLD:
                with conn.pipeline():
                    curs.execute(
                        self._insert_rows,
                        (
                            positions,
                            [e.originator_id for e in events],
                            [e.originator_version for e in events],
                            [e.topic for e in events],
                            [e.state for e in events],
                        ),
                        prepare=True,
                    )
                    index(curs, events, positions, at)
                    curs.execute(_COMMIT)
            else:
                with curs.copy(self._copy_rows) as copy:
                    copy.set_types(["int8", "uuid", "int8", "text", "bytea"])
                    for position, e in zip(positions, events, strict=True):
                        copy.write_row(
                            (position, e.originator_id, e.originator_version, e.topic, e.state)
                        )
                index(curs, events, positions, at)
                curs.execute(_COMMIT)
        return Written(positions, at)

    def _prepare_index(self, write: StatementWrite) -> Any:
        """Work out inline read-model rows before the lock is taken (a hook; none here)."""
        return None

    def _stored_floor_query(self) -> Composed | SQL | None:
        """A query for the latest `stored` already written, in ms, as `floor` (or None)."""
        return None

    def _index_statements(
        self,
        curs: psycopg.Cursor[Any],
        write: StatementWrite,
        prepared: Any,
        positions: list[int],
        stored: str,
    ) -> None:
        """Write inline read-model rows for the statements, in the same transaction."""

    # -- documents ------------------------------------------------------------------------

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def write_documents(self, write: DocumentWrite) -> Written:
        """Append document events in one transaction (see `DocumentWrite`), like statements.

        A version that exists already (a racing writer) raises the events primary key's
        IntegrityError and nothing is written.
        """

        def index(
            curs: psycopg.Cursor[Any], events: list[StoredEvent], positions: list[int], _: str
        ) -> None:
            self._index_documents(curs, events, positions)

        return self._append(write, self._document_floor_query(), index)

    def _document_floor_query(self) -> Composed | SQL | None:
        """A query for the latest `updated` already written, in ms, as `floor` (or None)."""
        return None

    def _index_documents(
        self, curs: psycopg.Cursor[Any], events: list[StoredEvent], positions: list[int]
    ) -> None:
        """Write inline read-model rows for document events, in the same transaction."""

    def insert_blobs(
        self, curs: psycopg.Cursor[Any], tenant: str, blobs: Mapping[str, bytes]
    ) -> None:
        """Store content by hash inside the caller's transaction (a known hash is kept)."""
        curs.executemany(self._insert_blob, [(tenant, sha2, data) for sha2, data in blobs.items()])

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_blobs(self, tenant: str, hashes: Sequence[str]) -> dict[str, bytes]:
        """Return the stored content of the given hashes (those that are stored)."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self._select_blobs, (tenant, list(dict.fromkeys(hashes))), binary=True)
            return {row[0]: bytes(row[1]) for row in curs.fetchall()}

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_states_at(self, positions: Sequence[int]) -> dict[int, bytes]:
        """Return the stored state of the events at the given notification ids."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_states, (list(positions),), prepare=True)
            return {row["notification_id"]: bytes(row["state"]) for row in curs.fetchall()}

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_states_after(
        self, position: int, stop: int, topic: str, limit: int
    ) -> list[tuple[int, bytes]]:
        """Return (notification id, state) of up to `limit` events of `topic` after `position`
        and at most `stop`, in log order (a lean `select_notifications` for replays)."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(
                self._select_after, (position, stop, topic, limit), prepare=True, binary=True
            )
            return [(row[0], bytes(row[1])) for row in curs.fetchall()]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Return the events of the given aggregates, by aggregate then version."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_many, (list(originator_ids),), prepare=True)
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    def is_duplicate_event(self, ex: IntegrityError) -> bool:
        """Whether `ex` was raised by the events table's primary key."""
        cause = ex.__cause__
        return (
            isinstance(cause, psycopg.errors.UniqueViolation)
            and cause.diag.constraint_name == self._primary_key_name
        )


_BEGIN, _COMMIT = SQL("BEGIN"), SQL("COMMIT")


def _stored_at(now: datetime, floor_ms: int | None) -> str:
    """Return `stored` for a write: the clock, but never before the latest `stored` written."""
    if floor_ms is not None and epoch_ms(now) < floor_ms:
        now = from_epoch_ms(floor_ms)
    return format_stored(now)
