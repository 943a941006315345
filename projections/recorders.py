"""Event recorders that keep the statement_index inline, in the events' own transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from psycopg.sql import SQL

from ledger.recorders import (
    COPY_THRESHOLD,
    LedgerPostgresRecorder,
    LedgerSQLiteRecorder,
    StatementWrite,
)
from projections.statement_index import (
    MAIN_COLUMNS,
    NAME,
    SIDE_COLUMNS,
    IndexEntry,
    IndexRows,
    ddl,
    index_entry,
    stored_ms,
)

#: Marks statements voided: of `ids` (new statements and targets of new voiding statements),
#: those a voiding statement targets and that are not voiding themselves (1.0.3 Data §2.3.2:
#: arrival order does not matter).
_MARK_VOIDED = (
    "UPDATE {s}statement_index SET voided = 1 WHERE tenant = {p} AND is_voiding = 0 "
    "AND voided = 0 AND statement_id IN (SELECT v.ref_target FROM {s}statement_index v "
    "WHERE v.tenant = {p} AND v.ref_target IS NOT NULL AND v.ref_target {ids} "
    "AND v.is_voiding = 1)"
)
_FLOOR = "SELECT stored_ms AS floor FROM {s}statement_index_head WHERE id = 1"
#: Remembers the newest `stored` (the floor of the next write, and Consistent-Through's).
_HEAD = (
    "INSERT INTO {s}statement_index_head (id, stored_ms) VALUES (1, {p}) "
    "ON CONFLICT (id) DO UPDATE SET stored_ms = excluded.stored_ms "
    "WHERE excluded.stored_ms > {s}statement_index_head.stored_ms"
)
_SELECT_VERSION = "SELECT version FROM {s}statement_index_tracking WHERE name = {p}"
_DELETE_VERSION = "DELETE FROM {s}statement_index_tracking WHERE name = {p}"
_INSERT_VERSION = "INSERT INTO {s}statement_index_tracking (name, version) VALUES ({p}, {p})"
INDEX_TABLES = ("statement_index", "statement_index_agents", "statement_index_activities")
_MAIN_TYPES = ["int8", "text", "text", "int8", "text", "text", "text", "text", "int2"]
_SIDE_TYPES = ["text", "text", "int8", "int8", "int2"]


def schema_prefix(schema: str) -> str:
    """Return the quoted schema prefix for table names on PostgreSQL."""
    return '"' + schema.replace('"', '""') + '".'


def entries_of(write: StatementWrite) -> list[IndexEntry]:
    """Index entries of a write's statements (worked out before the lock is taken)."""
    return [index_entry(statement) for statement in write.statements]


def rows_of(
    tenant: str, entries: list[IndexEntry], positions: list[int], stored: str
) -> tuple[IndexRows, dict[str, list[str]]]:
    """The index rows of a write, and per tenant the ids whose voided flag may change."""
    rows = IndexRows()
    millis = stored_ms(stored)
    for position, entry in zip(positions, entries, strict=False):
        rows.add(tenant, position, millis, entry)
    return rows, {tenant: affected_ids(entries)}


def affected_ids(entries: list[IndexEntry]) -> list[str]:
    """Statement ids whose voided flag may change: the statements and what they void."""
    return [e.statement_id for e in entries] + [
        e.ref_target for e in entries if e.is_voiding and e.ref_target
    ]


class IndexedSQLiteRecorder(LedgerSQLiteRecorder):
    """SQLite recorder that writes statement_index rows with the statement events."""

    def construct_create_table_statements(self) -> list[str]:
        """The library's tables and the index's."""
        return [
            *super().construct_create_table_statements(),
            *ddl("INTEGER", without_rowid=" WITHOUT ROWID"),
        ]

    def _prepare_index(self, write: StatementWrite) -> Any:
        return entries_of(write)

    def _stored_floor_ms(self, cursor: sqlite3.Cursor) -> int | None:
        cursor.execute(_FLOOR.format(s=""))
        row = cursor.fetchone()
        return int(row[0]) if row is not None else None

    def _index_statements(
        self,
        cursor: sqlite3.Cursor,
        write: StatementWrite,
        prepared: Any,
        positions: list[int],
        stored: str,
    ) -> None:
        self._insert_index(cursor, *rows_of(write.tenant, prepared, positions, stored))

    def _insert_index(self, cursor: Any, rows: IndexRows, affected: dict[str, list[str]]) -> None:
        insert_rows(cursor, rows)
        if rows.main:
            cursor.execute(_HEAD.format(s="", p="?"), (max(row[3] for row in rows.main),))
        for tenant, ids in affected.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = "IN (" + ",".join("?" * len(chunk)) + ")"
                cursor.execute(
                    _MARK_VOIDED.format(s="", p="?", ids=marks), [tenant, tenant, *chunk]
                )

    def write_index_rows(self, rows: IndexRows, affected: dict[str, list[str]]) -> None:
        """Insert index rows (a rebuild's batch) in a transaction of their own."""
        with self.datastore.transaction(commit=True) as cursor:
            self._insert_index(cursor, rows, affected)

    def reset_index(self, head: int) -> None:
        """Delete the index rows of every position up to `head` (a rebuild starts here)."""
        with self.datastore.transaction(commit=True) as cursor:
            for table in INDEX_TABLES:
                cursor.execute(f"DELETE FROM {table} WHERE position <= ?", (head,))

    def index_version(self) -> int | None:
        """The statement_index version the rows were built with (None: never built)."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(_SELECT_VERSION.format(s="", p="?"), (NAME,))
            row = cursor.fetchone()
        return int(row[0]) if row else None

    def set_index_version(self, version: int) -> None:
        """Record that the rows are built with `version`."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(_DELETE_VERSION.format(s="", p="?"), (NAME,))
            cursor.execute(_INSERT_VERSION.format(s="", p="?"), (NAME, version))


def insert_rows(cursor: sqlite3.Cursor, rows: IndexRows) -> None:
    """Insert index rows on SQLite."""
    cursor.executemany(
        f"INSERT INTO statement_index ({MAIN_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)", rows.main
    )
    cursor.executemany(
        "INSERT INTO statement_index_agents (" + SIDE_COLUMNS.format(key="ifi") + ") "
        "VALUES (?,?,?,?,?)",
        rows.agents,
    )
    cursor.executemany(
        "INSERT INTO statement_index_activities (" + SIDE_COLUMNS.format(key="activity") + ") "
        "VALUES (?,?,?,?,?)",
        rows.activities,
    )


class IndexedPostgresRecorder(LedgerPostgresRecorder):
    """PostgreSQL recorder that writes statement_index rows with the statement events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefix = self._prefix = schema_prefix(self.datastore.schema)
        self.sql_create_statements.extend(
            SQL(statement).format() for statement in ddl(schema=prefix)
        )
        self._insert_main = SQL(
            f"INSERT INTO {prefix}statement_index ({MAIN_COLUMNS}) SELECT * FROM unnest("
            "%b::bigint[], %b::text[], %b::text[], %b::bigint[], %b::text[], %b::text[], "
            "%b::text[], %b::text[], %b::smallint[])"
        )
        self._insert_agents = SQL(
            f"INSERT INTO {prefix}statement_index_agents (" + SIDE_COLUMNS.format(key="ifi") + ") "
            "SELECT * FROM unnest(%b::text[], %b::text[], %b::bigint[], %b::bigint[], "
            "%b::smallint[])"
        )
        self._insert_activities = SQL(
            f"INSERT INTO {prefix}statement_index_activities ("
            + SIDE_COLUMNS.format(key="activity")
            + ") SELECT * FROM unnest(%b::text[], %b::text[], %b::bigint[], %b::bigint[], "
            "%b::smallint[])"
        )
        self._copy_main = SQL(
            f"COPY {prefix}statement_index ({MAIN_COLUMNS}) FROM STDIN (FORMAT BINARY)"
        )
        self._copy_agents = SQL(
            f"COPY {prefix}statement_index_agents ({SIDE_COLUMNS.format(key='ifi')}) "
            "FROM STDIN (FORMAT BINARY)"
        )
        self._copy_activities = SQL(
            f"COPY {prefix}statement_index_activities ({SIDE_COLUMNS.format(key='activity')}) "
            "FROM STDIN (FORMAT BINARY)"
        )
        self._mark_voided = SQL(_MARK_VOIDED.format(s=prefix, p="%s", ids="= ANY(%s)"))
        self._floor = SQL(_FLOOR.format(s=prefix))
        self._head = SQL(_HEAD.format(s=prefix, p="%s"))

    def _prepare_index(self, write: StatementWrite) -> Any:
        return entries_of(write)

    def _stored_floor_query(self) -> SQL:
        return self._floor

    def _index_statements(
        self,
        curs: psycopg.Cursor[Any],
        write: StatementWrite,
        prepared: Any,
        positions: list[int],
        stored: str,
    ) -> None:
        self._insert_index(curs, *rows_of(write.tenant, prepared, positions, stored))

    def _insert_index(
        self, curs: psycopg.Cursor[Any], rows: IndexRows, affected: dict[str, list[str]]
    ) -> None:
        """Insert the rows: INSERT … unnest for small writes (pipelined), COPY for large."""
        copy = len(rows.main) > COPY_THRESHOLD
        for statement, copy_statement, types, table in (
            (self._insert_main, self._copy_main, _MAIN_TYPES, rows.main),
            (self._insert_agents, self._copy_agents, _SIDE_TYPES, rows.agents),
            (self._insert_activities, self._copy_activities, _SIDE_TYPES, rows.activities),
        ):
            if not table:
                continue
            if copy:
                with curs.copy(copy_statement) as writer:
                    writer.set_types(types)
                    for row in table:
                        writer.write_row(row)
            else:
                curs.execute(statement, [list(column) for column in zip(*table, strict=True)])
        if rows.main:
            curs.execute(self._head, (max(row[3] for row in rows.main),), prepare=True)
        for tenant, ids in affected.items():
            curs.execute(self._mark_voided, (tenant, tenant, ids), prepare=True)

    def write_index_rows(self, rows: IndexRows, affected: dict[str, list[str]]) -> None:
        """Insert index rows (a rebuild's batch) in a transaction of their own."""
        with self.datastore.transaction(commit=True) as curs:
            self._insert_index(curs, rows, affected)

    def reset_index(self, head: int) -> None:
        """Delete the index rows of every position up to `head` (a rebuild starts here)."""
        with self.datastore.transaction(commit=True) as curs:
            for table in INDEX_TABLES:
                curs.execute(
                    SQL(f"DELETE FROM {self._prefix}{table} WHERE position <= %s"), (head,)
                )

    def index_version(self) -> int | None:
        """The statement_index version the rows were built with (None: never built)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL(_SELECT_VERSION.format(s=self._prefix, p="%s")), (NAME,))
            row: Any = curs.fetchone()
        return int(row["version"]) if row else None

    def set_index_version(self, version: int) -> None:
        """Record that the rows are built with `version`."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL(_DELETE_VERSION.format(s=self._prefix, p="%s")), (NAME,))
            curs.execute(SQL(_INSERT_VERSION.format(s=self._prefix, p="%s")), (NAME, version))
