"""The definitions read model's tables, its exactly-once catch-up from the log, and its queries.

A tracked projection: its rows and its tracking row (the last log position processed) change
in one transaction per batch, so a batch is applied exactly once however many catch-ups run.
Nothing is done under the event table's write lock. A catch-up reads a batch of
`Statement.Recorded` events and parses them without any lock, then takes the tracking row
(PostgreSQL: `SELECT … FOR UPDATE`; SQLite: `BEGIN IMMEDIATE`), checks the position is still
the one it read from (else another catch-up applied the batch: it goes on from where that one
got), loads the rows the batch touches, folds the statements in (`projections.definitions`),
writes the rows and the new position, and commits.

Positions are safe to advance over: ledger writes draw their positions under the event
table's lock and commit before releasing it, so once position N is visible every event at or
below N is (PostgreSQL's gaps from failed writes are never filled in later).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
import psycopg
from eventsourcing.persistence import ConnectionUnavailableError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.rows import tuple_row

from ledger.application import Ledger
from ledger.recorders import LedgerPostgresRecorder, LedgerSQLiteRecorder
from ledger.statements import RECORDED_TOPIC
from ledger.xapi.equivalence import normalise_iri
from projections.definitions import (
    NAME,
    VERSION,
    Batch,
    Contribution,
    Json,
    Row,
    activities_of,
    contribution,
)

#: Batch size for catch-ups that answer a request; rebuilds use `REBUILD_BATCH`.
BATCH = 1000
REBUILD_BATCH = 10_000
#: Seconds a request spends at most bringing the read model up to date before it answers.
REQUEST_BUDGET = 2.0
TABLES = ("definitions_activities", "definitions_persons")
_CHUNK = 500

Progress = Callable[[int, int, int], None]  # (position, head, statements done)
_T = TypeVar("_T")


def ddl(bigint: str = "BIGINT", schema: str = "", without_rowid: str = "") -> list[str]:
    """Return the CREATE statements of the read model's tables (the same on both stores).

    Args:
        bigint: the 64-bit integer type name.
        schema: a prefix for table names (`"myschema".` on PostgreSQL, empty on SQLite).
        without_rowid: `" WITHOUT ROWID"` on SQLite.
    """
    return [
        f"CREATE TABLE IF NOT EXISTS {schema}definitions_activities ("
        "tenant TEXT NOT NULL, activity TEXT NOT NULL, definition TEXT NOT NULL, "
        f"statements {bigint} NOT NULL, position {bigint} NOT NULL, "
        f"PRIMARY KEY (tenant, activity)){without_rowid}",
        f"CREATE TABLE IF NOT EXISTS {schema}definitions_persons ("
        "tenant TEXT NOT NULL, ifi TEXT NOT NULL, person TEXT NOT NULL, "
        f"statements {bigint} NOT NULL, position {bigint} NOT NULL, "
        f"PRIMARY KEY (tenant, ifi)){without_rowid}",
        f"CREATE TABLE IF NOT EXISTS {schema}definitions_tracking ("
        f"name TEXT PRIMARY KEY, position {bigint} NOT NULL, version INTEGER NOT NULL)",
    ]


@dataclass(frozen=True)
class CatchUp:
    """What a catch-up did: where the read model stands, the log head it aimed for, how many
    statements it applied, and whether it reached the head (False: out of time, or the
    tracking row was held by another catch-up longer than the time left)."""

    position: int
    head: int
    statements: int
    complete: bool


class _Busy(Exception):
    """The tracking row could not be had within the time left."""


_KEY_COLUMNS = {"definitions_activities": ("activity", "definition")}
_KEY_COLUMNS["definitions_persons"] = ("ifi", "person")


class DefinitionsProjection:
    """Canonical Activity definitions and Persons of a Ledger's store, kept up from its log.

    `catch_up` is what a request calls before it answers (bounded by a time budget) and what a
    background runner can call in a loop; `rebuild` derives everything again from position 0.
    """

    def __init__(self, ledger: Ledger) -> None:
        recorder: Any = ledger.recorder
        if not isinstance(recorder, LedgerSQLiteRecorder | LedgerPostgresRecorder):
            raise TypeError("the definitions read model needs the ledger's own recorders")
        self.recorder: LedgerSQLiteRecorder | LedgerPostgresRecorder = recorder
        self.postgres = isinstance(recorder, LedgerPostgresRecorder)
        datastore = recorder.datastore
        if isinstance(datastore, PostgresDatastore):
            self.prefix = '"' + datastore.schema.replace('"', '""') + '".'
        else:
            self.prefix = ""

    # -- running SQL on either store ------------------------------------------------------

    def _sql(self, sql: str) -> str:
        sql = sql.replace("{s}", self.prefix)
        return sql if self.postgres else sql.replace("%s", "?")

    def _read(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        datastore = self.recorder.datastore
        if isinstance(datastore, PostgresDatastore):
            with datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
                curs.execute(self._sql(sql), params)
                return list(curs.fetchall())
        with datastore.transaction(commit=False) as curs:
            curs.execute(self._sql(sql), params)
            return [tuple(row) for row in curs.fetchall()]

    def _locked(self, wait: float | None, work: Callable[[Any, int, int], _T]) -> _T:
        """Run `work(cursor, position, version)` holding the tracking row, then commit.

        Waits at most `wait` seconds for the row (None: the store's own lock timeout).

        Raises:
            _Busy: the row was not had in time.
        """
        datastore = self.recorder.datastore
        if isinstance(datastore, PostgresDatastore):
            return self._locked_postgres(datastore, wait, work)
        assert isinstance(datastore, SQLiteDatastore)
        return self._locked_sqlite(datastore, wait, work)

    def _tracking(self, curs: Any, lock: str) -> tuple[int, int]:
        curs.execute(
            self._sql(
                "INSERT INTO {s}definitions_tracking (name, position, version) "
                "VALUES (%s, 0, %s) ON CONFLICT (name) DO NOTHING"
            ),
            (NAME, VERSION),
        )
        curs.execute(
            self._sql("SELECT position, version FROM {s}definitions_tracking WHERE name = %s")
            + lock,
            (NAME,),
        )
        row = curs.fetchone()
        return int(row[0]), int(row[1])

    def _locked_postgres(
        self, datastore: PostgresDatastore, wait: float | None, work: Callable[[Any, int, int], _T]
    ) -> _T:
        with (
            datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            if wait is not None:
                curs.execute(f"SET LOCAL lock_timeout = '{max(1, int(wait * 1000))}ms'")
            try:
                position, version = self._tracking(curs, " FOR UPDATE")
            except psycopg.errors.LockNotAvailable:
                raise _Busy from None
            return work(curs, position, version)

    def _locked_sqlite(
        self, datastore: SQLiteDatastore, wait: float | None, work: Callable[[Any, int, int], _T]
    ) -> _T:
        try:
            conn = datastore.pool.get_connection(timeout=wait, is_writer=True)
        except ConnectionUnavailableError:
            raise _Busy from None
        raw: sqlite3.Connection = conn._sqlite_conn
        try:
            (busy_ms,) = raw.execute("PRAGMA busy_timeout").fetchone()
            if wait is not None:
                raw.execute(f"PRAGMA busy_timeout = {max(1, int(wait * 1000))}")
            try:
                raw.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                raise _Busy from None
            finally:
                raw.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
            try:
                cursor = raw.cursor()
                result = work(cursor, *self._tracking(cursor, ""))
            except BaseException:
                raw.rollback()
                raise
            raw.commit()
            return result
        finally:
            datastore.pool.put_connection(conn)

    # -- keeping up -------------------------------------------------------------------------

    def state(self) -> tuple[int | None, int | None]:
        """Return the tracking row's (position, version); (None, None) before the first run."""
        rows = self._read(
            "SELECT position, version FROM {s}definitions_tracking WHERE name = %s", (NAME,)
        )
        return (int(rows[0][0]), int(rows[0][1])) if rows else (None, None)

    def head(self) -> int:
        """Return the log's newest position (0 for an empty log)."""
        return int(self.recorder.max_notification_id() or 0)

    def catch_up(
        self,
        budget: float | None = None,
        *,
        batch_size: int = BATCH,
        progress: Progress | None = None,
    ) -> CatchUp:
        """Apply the statements recorded since the tracking position, batch by batch.

        Aims for the log's head as it is when called (so a statement acknowledged before the
        call is included). Each batch is one transaction, applied exactly once even when
        several catch-ups run at once (in threads or processes).

        Args:
            budget: seconds to spend at most, waiting for the tracking row included (None:
                until the head is reached). At least one batch is tried; after the time is
                up the catch-up stops between batches and reports `complete=False`.
            batch_size: log positions per batch.
            progress: called with (position, head, statements applied) after each batch.
        """
        started = time.monotonic()
        head = self.head()
        position = self.state()[0] or 0
        done = 0
        tried = False
        while position < head:
            left = None if budget is None else budget - (time.monotonic() - started)
            if left is not None and left <= 0 and tried:
                break
            tried = True
            stop = min(position + batch_size, head)
            events = self.recorder.select_states_after(position, stop, RECORDED_TOPIC, batch_size)
            parsed = [_parse(at, state) for at, state in events]  # before the lock
            try:
                wait = None if left is None else max(left, 0.01)
                now = self._locked(wait, _Apply(self, position, stop, parsed))
            except _Busy:
                break
            if now is None:  # applied
                position = stop
                done += len(parsed)
            else:  # another catch-up moved the position (or a rebuild reset it)
                position = now
            if progress is not None:
                progress(position, head, done)
        return CatchUp(position, head, done, position >= head)

    def rebuild(self, progress: Progress | None = None, batch_size: int = REBUILD_BATCH) -> int:
        """Empty the read model and derive it again from position 0; return statements applied.

        Safe while the ledger serves: a request's catch-up meanwhile applies the next batch
        itself (each batch still exactly once), and answers from the partial rows until the
        rebuild is through. A rebuild cut short is simply continued by the next catch-up.
        """
        self._locked(None, self._reset)
        done = 0
        while True:
            result = self.catch_up(batch_size=batch_size, progress=progress)
            done += result.statements
            if result.complete:
                return done

    def _reset(self, curs: Any, position: int, version: int) -> None:
        for table in TABLES:
            curs.execute(self._sql(f"DELETE FROM {{s}}{table}"))
        curs.execute(
            self._sql(
                "UPDATE {s}definitions_tracking SET position = 0, version = %s WHERE name = %s"
            ),
            (VERSION, NAME),
        )

    def ensure(self, progress: Progress | None = None) -> bool:
        """Bring the read model up to date (`db migrate`); rebuild it when its version changed.

        Returns whether it was rebuilt.
        """
        version = self.state()[1]
        if version is not None and version != VERSION:
            self.rebuild(progress)
            return True
        while not self.catch_up(batch_size=REBUILD_BATCH, progress=progress).complete:
            pass
        return False

    # -- applying one batch ---------------------------------------------------------------

    def _load(self, curs: Any, table: str, keys: dict[str, set[str]]) -> dict[tuple[str, str], Row]:
        key, value = _KEY_COLUMNS[table]
        found: dict[tuple[str, str], Row] = {}
        for tenant, names in keys.items():
            ordered = sorted(names)
            for start in range(0, len(ordered), _CHUNK):
                chunk = ordered[start : start + _CHUNK]
                if self.postgres:
                    where, params = f"{key} = ANY(%s)", [tenant, chunk]
                else:
                    where, params = f"{key} IN ({','.join('?' * len(chunk))})", [tenant, *chunk]
                curs.execute(
                    self._sql(
                        f"SELECT {key}, {value}, statements, position FROM {{s}}{table} "
                        f"WHERE tenant = %s AND {where}"
                    ),
                    params,
                )
                for name, data, statements, at in curs.fetchall():
                    found[(tenant, name)] = Row(orjson.loads(data), int(statements), int(at))
        return found

    def _store(self, curs: Any, table: str, rows: dict[tuple[str, str], Row]) -> None:
        if not rows:
            return
        key, value = _KEY_COLUMNS[table]
        data = [
            (tenant, name, orjson.dumps(row.value).decode(), row.statements, row.position)
            for (tenant, name), row in sorted(rows.items())
        ]
        conflict = (
            f"ON CONFLICT (tenant, {key}) DO UPDATE SET {value} = excluded.{value}, "
            "statements = excluded.statements, position = excluded.position"
        )
        columns = f"tenant, {key}, {value}, statements, position"
        if self.postgres:
            curs.execute(
                self._sql(
                    f"INSERT INTO {{s}}{table} ({columns}) SELECT * FROM unnest("
                    f"%s::text[], %s::text[], %s::text[], %s::bigint[], %s::bigint[]) {conflict}"
                ),
                [list(column) for column in zip(*data, strict=True)],
            )
        else:
            curs.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (?, ?, ?, ?, ?) {conflict}", data
            )

    # -- queries ------------------------------------------------------------------------------

    def select_definitions(self, tenant: str, activity_ids: Iterable[str]) -> dict[str, Json]:
        """Return the canonical definitions of the given Activity ids (comparison form)."""
        wanted = sorted(set(activity_ids))
        found: dict[str, Json] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            if self.postgres:
                where, params = "activity = ANY(%s)", [tenant, chunk]
            else:
                where, params = f"activity IN ({','.join('?' * len(chunk))})", [tenant, *chunk]
            rows = self._read(
                "SELECT activity, definition FROM {s}definitions_activities "
                f"WHERE tenant = %s AND {where}",
                params,
            )
            found.update((activity, orjson.loads(data)) for activity, data in rows)
        return found

    def select_person(self, tenant: str, ifi: str) -> Json | None:
        """Return the Person (without objectType) kept for an IFI key, or None if never seen."""
        rows = self._read(
            "SELECT person FROM {s}definitions_persons WHERE tenant = %s AND ifi = %s",
            (tenant, ifi),
        )
        return orjson.loads(rows[0][0]) if rows else None

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the read model's tables, sorted (for checks and tests)."""
        return {
            table: sorted(
                self._read(f"SELECT * FROM {{s}}{table}", ()), key=lambda row: (row[0], row[1])
            )
            for table in TABLES
        }


def _parse(position: int, state: bytes) -> Contribution:
    decoded = orjson.loads(state)
    return contribution(decoded["tenant"], position, decoded["statement"])


class _Apply:
    """The work of one batch, run holding the tracking row."""

    def __init__(
        self,
        projection: DefinitionsProjection,
        expected: int,
        stop: int,
        contributions: list[Contribution],
    ) -> None:
        self.projection = projection
        self.expected = expected
        self.stop = stop
        self.contributions = contributions
        self.activity_keys: dict[str, set[str]] = {}
        self.person_keys: dict[str, set[str]] = {}
        for given in contributions:  # worked out before the lock is taken
            activities = self.activity_keys.setdefault(given.tenant, set())
            activities.update(key for key, _ in given.definitions)
            self.person_keys.setdefault(given.tenant, set()).update(k for k, _ in given.agents)

    def __call__(self, curs: Any, position: int, version: int) -> int | None:
        """Apply the batch and return None, or return the position found if it moved."""
        if position != self.expected:
            return position
        projection = self.projection
        batch = Batch(
            activities=projection._load(curs, "definitions_activities", self.activity_keys),
            persons=projection._load(curs, "definitions_persons", self.person_keys),
        )
        for given in self.contributions:
            batch.apply(given)
        projection._store(curs, "definitions_activities", batch.activities)
        projection._store(curs, "definitions_persons", batch.persons)
        curs.execute(
            projection._sql("UPDATE {s}definitions_tracking SET position = %s WHERE name = %s"),
            (self.stop, NAME),
        )
        return None


def canonical_definitions(
    projection: DefinitionsProjection,
    tenant: str,
    statements: Iterable[Json],
    budget: float | None = REQUEST_BUDGET,
) -> dict[str, Json]:
    """Catch up, then return the canonical definition of each Activity the statements carry,
    keyed by the id as each statement spells it (what `format_statement` looks up)."""
    spelled: dict[str, str] = {}
    for statement in statements:
        for activity in activities_of(statement):
            spelled.setdefault(activity["id"], normalise_iri(activity["id"]))
    if not spelled:
        return {}
    projection.catch_up(budget)
    found = projection.select_definitions(tenant, spelled.values())
    return {raw: found[key] for raw, key in spelled.items() if key in found}
