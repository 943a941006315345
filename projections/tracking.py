"""Tracked read models on either store: SQL in one dialect, reads, and the tracking-row lock.

A tracked read model keeps, in a tracking table of its own (`name`, `position`, `version`),
the last log position it has processed. Every change to its rows happens in `Tracking.locked`,
which holds the tracking rows named (PostgreSQL: `SELECT … FOR UPDATE`, waiting at most a
given time; SQLite: `BEGIN IMMEDIATE` on the pool's writer connection, likewise bounded) and
commits the work with them: the rows and the position move together, so a batch is applied
exactly once however many catch-ups run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import psycopg
from eventsourcing.persistence import ConnectionUnavailableError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.rows import tuple_row

from ledger.recorders import LedgerPostgresRecorder, LedgerSQLiteRecorder

_T = TypeVar("_T")
#: Chunk size of `IN (…)` lists on SQLite.
CHUNK = 500
#: Seconds the work under the lock may compute between two statements (PostgreSQL).
WORK_SECONDS = 120

#: The tracking rows held by `locked`: name → (position, version).
Positions = dict[str, tuple[int, int]]


class TrackingBusyError(Exception):
    """Raised when the tracking row could not be had within the time allowed."""


class Tracking:
    """The store plumbing of tracked read models kept in the ledger's own database.

    Args:
        recorder: the ledger's recorder (its datastore holds the read model's tables).
        table: the tracking table's name (without schema).
    """

    def __init__(self, recorder: LedgerSQLiteRecorder | LedgerPostgresRecorder, table: str) -> None:
        self.recorder = recorder
        self.table = table
        datastore = recorder.datastore
        self.postgres = isinstance(datastore, PostgresDatastore)
        if isinstance(datastore, PostgresDatastore):
            self.prefix = '"' + datastore.schema.replace('"', '""') + '".'
        else:
            self.prefix = ""

    def sql(self, sql: str) -> str:
        """Return `sql` for this store: `{s}` becomes the schema prefix, `%s` SQLite's `?`."""
        sql = sql.replace("{s}", self.prefix)
        return sql if self.postgres else sql.replace("%s", "?")

    def read(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run a query outside any lock and return its rows as tuples."""
        datastore = self.recorder.datastore
        if isinstance(datastore, PostgresDatastore):
            with datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
                curs.execute(self.sql(sql), params)
                return list(curs.fetchall())
        with datastore.transaction(commit=False) as curs:
            curs.execute(self.sql(sql), params)
            return [tuple(row) for row in curs.fetchall()]

    def analyze(self, tables: Sequence[str]) -> None:
        """Refresh the planner's statistics of `tables` (after a rebuild refilled them: until
        autovacuum gets to them, stale statistics can make keyset pages scan and sort)."""
        datastore = self.recorder.datastore
        statements = [self.sql(f"ANALYZE {{s}}{table}") for table in tables]
        if isinstance(datastore, PostgresDatastore):
            with datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
                for statement in statements:
                    curs.execute(statement)
            return
        with datastore.transaction(commit=True) as curs:
            for statement in statements:
                curs.execute(statement)

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """Return a `column IN …` condition and its parameters (`= ANY` on PostgreSQL).

        On SQLite pass at most `CHUNK` values.
        """
        if self.postgres:
            return f"{column} = ANY(%b)", [list(values)]
        return f"{column} IN ({','.join(['%s'] * len(values))})", list(values)

    def states(self, names: Sequence[str]) -> Positions:
        """Return the (position, version) of the named tracking rows that exist."""
        where, params = self.in_list("name", list(names))
        rows = self.read(
            f"SELECT name, position, version FROM {{s}}{self.table} WHERE {where}", params
        )
        return {str(name): (int(position), int(version)) for name, position, version in rows}

    def locked(
        self,
        wait: float | None,
        versions: Mapping[str, int],
        work: Callable[[Any, Positions], _T],
    ) -> _T:
        """Run `work(cursor, positions)` holding the named tracking rows, then commit.

        Rows that do not exist yet are made at position 0 with the version given. Waits at
        most `wait` seconds for the rows (None: the store's own lock timeout); rows are
        locked in name order, so two callers never deadlock.

        Raises:
            TrackingBusyError: the rows were not had in time.
        """
        datastore = self.recorder.datastore
        if isinstance(datastore, PostgresDatastore):
            return self._locked_postgres(datastore, wait, versions, work)
        assert isinstance(datastore, SQLiteDatastore)
        return self._locked_sqlite(datastore, wait, versions, work)

    def _hold(self, curs: Any, versions: Mapping[str, int], lock: str) -> Positions:
        names = sorted(versions)
        held = self._select(curs, names, lock)
        if len(held) < len(names):  # a first run: make the missing rows at position 0
            curs.executemany(
                self.sql(
                    f"INSERT INTO {{s}}{self.table} (name, position, version) "
                    "VALUES (%s, 0, %s) ON CONFLICT (name) DO NOTHING"
                ),
                [(name, versions[name]) for name in names if name not in held],
            )
            held = self._select(curs, names, lock)
        return held

    def _select(self, curs: Any, names: list[str], lock: str) -> Positions:
        where, params = self.in_list("name", names)
        curs.execute(
            self.sql(
                f"SELECT name, position, version FROM {{s}}{self.table} WHERE {where} ORDER BY name"
            )
            + lock,
            params,
        )
        return {str(name): (int(position), int(version)) for name, position, version in curs}

    def _locked_postgres(
        self,
        datastore: PostgresDatastore,
        wait: float | None,
        versions: Mapping[str, int],
        work: Callable[[Any, Positions], _T],
    ) -> _T:
        with (
            datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            if wait is not None:
                curs.execute(f"SET LOCAL lock_timeout = '{max(1, int(wait * 1000))}ms'")
            # The work may compute between its statements (evaluating learners) for longer
            # than the pool's idle-in-transaction limit allows an idle session.
            curs.execute(f"SET LOCAL idle_in_transaction_session_timeout = '{WORK_SECONDS}s'")
            # Read-model rows are derived from the log and committed with their position: a
            # commit lost in a crash is undone whole (rows and position) and done again, so it
            # need not wait for the WAL to reach the disk.
            curs.execute("SET LOCAL synchronous_commit = off")
            # Their statements are many short lookups: compiling them (JIT) costs more than it
            # saves.
            curs.execute("SET LOCAL jit = off")
            try:
                held = self._hold(curs, versions, " FOR UPDATE")
            except psycopg.errors.LockNotAvailable:
                raise TrackingBusyError from None
            return work(curs, held)

    def _locked_sqlite(
        self,
        datastore: SQLiteDatastore,
        wait: float | None,
        versions: Mapping[str, int],
        work: Callable[[Any, Positions], _T],
    ) -> _T:
        try:
            conn = datastore.pool.get_connection(timeout=wait, is_writer=True)
        except ConnectionUnavailableError:
            raise TrackingBusyError from None
        raw: sqlite3.Connection = conn._sqlite_conn
        try:
            (busy_ms,) = raw.execute("PRAGMA busy_timeout").fetchone()
            if wait is not None:
                raw.execute(f"PRAGMA busy_timeout = {max(1, int(wait * 1000))}")
            try:
                raw.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                raise TrackingBusyError from None
            finally:
                raw.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
            try:
                cursor = raw.cursor()
                result = work(cursor, self._hold(cursor, versions, ""))
            except BaseException:
                raw.rollback()
                raise
            raw.commit()
            return result
        finally:
            datastore.pool.put_connection(conn)

    def set_position(self, curs: Any, name: str, position: int) -> None:
        """Record the position a read model has processed (inside `locked`)."""
        curs.execute(
            self.sql(f"UPDATE {{s}}{self.table} SET position = %s WHERE name = %s"),
            (position, name),
        )

    def reset(self, curs: Any, name: str, version: int, tables: Sequence[str]) -> None:
        """Empty a read model's tables, back to position 0 at `version` (inside `locked`).

        PostgreSQL truncates (no dead rows left for the rebuild to step over).
        """
        if self.postgres and tables:
            curs.execute(self.sql("TRUNCATE " + ", ".join(f"{{s}}{table}" for table in tables)))
        for table in () if self.postgres else tables:
            curs.execute(self.sql(f"DELETE FROM {{s}}{table}"))
        curs.execute(
            self.sql(f"UPDATE {{s}}{self.table} SET position = 0, version = %s WHERE name = %s"),
            (version, name),
        )
