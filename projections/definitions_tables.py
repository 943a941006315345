"""The definitions read model's tables on either store: DDL, the tracking row lock, rows.

Every change to the tables happens in `DefinitionsTables.locked`, which holds the tracking
row (PostgreSQL: `SELECT … FOR UPDATE`, waiting at most a given time; SQLite: `BEGIN
IMMEDIATE` on the pool's writer connection, likewise bounded) and commits the work with it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import orjson
import psycopg
from eventsourcing.persistence import ConnectionUnavailableError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.rows import tuple_row

from ledger.recorders import LedgerPostgresRecorder, LedgerSQLiteRecorder
from projections.definitions import NAME, VERSION, Json, Row

TABLES = ("definitions_activities", "definitions_persons")
_CHUNK = 500
_KEY_COLUMNS = {
    "definitions_activities": ("activity", "definition"),
    "definitions_persons": ("ifi", "person"),
}
_T = TypeVar("_T")

#: Rows by (tenant, Activity id or IFI key).
Rows = dict[tuple[str, str], Row]


class TrackingBusyError(Exception):
    """Raised when the tracking row could not be had within the time allowed."""


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


class DefinitionsTables:
    """The read model's tables in the ledger's own database."""

    def __init__(self, recorder: LedgerSQLiteRecorder | LedgerPostgresRecorder) -> None:
        self.recorder = recorder
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

    def locked(self, wait: float | None, work: Callable[[Any, int, int], _T]) -> _T:
        """Run `work(cursor, position, version)` holding the tracking row, then commit.

        Waits at most `wait` seconds for the row (None: the store's own lock timeout).

        Raises:
            TrackingBusyError: the row was not had in time.
        """
        datastore = self.recorder.datastore
        if isinstance(datastore, PostgresDatastore):
            return self._locked_postgres(datastore, wait, work)
        assert isinstance(datastore, SQLiteDatastore)
        return self._locked_sqlite(datastore, wait, work)

    def _tracking(self, curs: Any, lock: str) -> tuple[int, int]:
        curs.execute(
            self.sql(
                "INSERT INTO {s}definitions_tracking (name, position, version) "
                "VALUES (%s, 0, %s) ON CONFLICT (name) DO NOTHING"
            ),
            (NAME, VERSION),
        )
        curs.execute(
            self.sql("SELECT position, version FROM {s}definitions_tracking WHERE name = %s")
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
                raise TrackingBusyError from None
            return work(curs, position, version)

    def _locked_sqlite(
        self, datastore: SQLiteDatastore, wait: float | None, work: Callable[[Any, int, int], _T]
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
                result = work(cursor, *self._tracking(cursor, ""))
            except BaseException:
                raw.rollback()
                raise
            raw.commit()
            return result
        finally:
            datastore.pool.put_connection(conn)

    def state(self) -> tuple[int | None, int | None]:
        """Return the tracking row's (position, version); (None, None) before the first run."""
        rows = self.read(
            "SELECT position, version FROM {s}definitions_tracking WHERE name = %s", (NAME,)
        )
        return (int(rows[0][0]), int(rows[0][1])) if rows else (None, None)

    def set_position(self, curs: Any, position: int) -> None:
        """Record the position processed (inside `locked`)."""
        curs.execute(
            self.sql("UPDATE {s}definitions_tracking SET position = %s WHERE name = %s"),
            (position, NAME),
        )

    def reset(self, curs: Any, position: int, version: int) -> None:
        """Empty the tables and go back to position 0 at this version (inside `locked`)."""
        for table in TABLES:
            curs.execute(self.sql(f"DELETE FROM {{s}}{table}"))
        curs.execute(
            self.sql(
                "UPDATE {s}definitions_tracking SET position = 0, version = %s WHERE name = %s"
            ),
            (VERSION, NAME),
        )

    def load(self, curs: Any, table: str, keys: dict[str, set[str]]) -> Rows:
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
                    self.sql(
                        f"SELECT {key}, {value}, statements, position FROM {{s}}{table} "
                        f"WHERE tenant = %s AND {where}"
                    ),
                    params,
                )
                for name, data, statements, at in curs.fetchall():
                    found[(tenant, name)] = Row(orjson.loads(data), int(statements), int(at))
        return found

    def store(self, curs: Any, table: str, rows: Rows) -> None:
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
                self.sql(
                    f"INSERT INTO {{s}}{table} ({columns}) SELECT * FROM unnest("
                    f"%s::text[], %s::text[], %s::text[], %s::bigint[], %s::bigint[]) {conflict}"
                ),
                [list(column) for column in zip(*data, strict=True)],
            )
        else:
            curs.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (?, ?, ?, ?, ?) {conflict}", data
            )

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
            rows = self.read(
                "SELECT activity, definition FROM {s}definitions_activities "
                f"WHERE tenant = %s AND {where}",
                params,
            )
            found.update((activity, orjson.loads(data)) for activity, data in rows)
        return found

    def select_person(self, tenant: str, ifi: str) -> Json | None:
        """Return the Person (without objectType) kept for an IFI key, or None if never seen."""
        rows = self.read(
            "SELECT person FROM {s}definitions_persons WHERE tenant = %s AND ifi = %s",
            (tenant, ifi),
        )
        return orjson.loads(rows[0][0]) if rows else None

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the read model's tables, sorted (for checks and tests)."""
        return {
            table: sorted(
                self.read(f"SELECT * FROM {{s}}{table}", ()), key=lambda row: (row[0], row[1])
            )
            for table in TABLES
        }
