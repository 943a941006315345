"""Event recorders that keep the statement_index and the documents read model inline, in the
events' own transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Identifier

from ledger.recorders import (
    COPY_THRESHOLD,
    LedgerPostgresRecorder,
    LedgerSQLiteRecorder,
    StatementWrite,
)
from projections import documents as documents_model
from projections.definitions_tables import ddl as definitions_ddl
from projections.learning_tables import ddl as learning_ddl
from projections.statement_index import (
    MAIN_COLUMNS,
    NAME,
    PRIMARY_KEYS,
    SECONDARY_INDEXES,
    SIDE_COLUMNS,
    IndexEntry,
    IndexRows,
    ddl,
    index_ddl,
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
#: After a rebuild's rows are in: mark every statement a voiding statement targets, at once.
_MARK_ALL_VOIDED = (
    "UPDATE {s}statement_index SET voided = 1 WHERE is_voiding = 0 AND voided = 0 "
    "AND (tenant, statement_id) IN (SELECT v.tenant, v.ref_target FROM {s}statement_index v "
    "WHERE v.is_voiding = 1)"
)
_SELECT_VERSION = "SELECT version FROM {s}statement_index_tracking WHERE name = {p}"
_DELETE_VERSION = "DELETE FROM {s}statement_index_tracking WHERE name = {p}"
_INSERT_VERSION = "INSERT INTO {s}statement_index_tracking (name, version) VALUES ({p}, {p})"
#: A rebuild of fewer statements leaves planner statistics to the database. Statistics taken
#: of a near-empty index (a fresh ledger's `db migrate`) make PostgreSQL plan the voided-flag
#: update of every later write as a sequential scan, so that writes slow down as the index
#: grows until the next ANALYZE (measured: 4 ms → 230 ms per write over 1,500 statements,
#: with autovacuum off).
ANALYZE_AFTER = 10_000
INDEX_TABLES = ("statement_index", "statement_index_agents", "statement_index_activities")
_MAIN_TYPES = ["int8", "text", "text", "int8", "text", "text", "text", "text", "int2"]
_SIDE_TYPES = ["text", "text", "int8", "int8", "int2"]


#: The channel a PostgreSQL store notifies after every insert into the events table.
CHANNEL = "ledger_events"


def notify_ddl(prefix: str, events_table: str) -> list[str]:
    """Return the statements making the events table `NOTIFY ledger_events` on insert.

    A statement-level AFTER INSERT trigger: one notification per write (delivered when it
    commits, and folded with the write's others), whoever writes: the ledger's statement and
    document paths, or the library's own aggregates (the catalogue).
    """
    quoted = '"' + events_table.replace('"', '""') + '"'
    return [
        f"CREATE OR REPLACE FUNCTION {prefix}ledger_events_notify() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN NOTIFY {CHANNEL}; RETURN NULL; END $$",
        f"CREATE OR REPLACE TRIGGER ledger_events_notify AFTER INSERT ON {prefix}{quoted} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {prefix}ledger_events_notify()",
    ]


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


class DocumentRowsMixin:
    """The documents read model's rebuild rows and version, the same SQL on both stores.

    The recorder using it sets `_document_upsert` and `_document_versions` (select, delete,
    insert of the version row) in its store's dialect.
    """

    datastore: Any
    _document_upsert: Any
    _document_versions: Sequence[Any]

    def insert_document_rows(self, rows: list[tuple[Any, ...]]) -> None:
        """Write a rebuild's batch of rows (the newer version of each row wins)."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.executemany(self._document_upsert, rows)

    def finish_documents_rebuild(self, version: int) -> None:
        """Record the version the rows were built with."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(self._document_versions[1], (documents_model.NAME,))
            cursor.execute(self._document_versions[2], (documents_model.NAME, version))

    def documents_version(self) -> int | None:
        """The documents read model's version the rows were built with (None: never built)."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self._document_versions[0], (documents_model.NAME,))
            row = cursor.fetchone()
        return int(row["version"]) if row else None


class IndexedSQLiteRecorder(DocumentRowsMixin, LedgerSQLiteRecorder):
    """SQLite recorder that writes statement_index rows with the statement events."""

    def construct_create_table_statements(self) -> list[str]:
        """The library's tables and the index's."""
        return [
            *super().construct_create_table_statements(),
            *ddl("INTEGER", without_rowid=" WITHOUT ROWID"),
            *documents_model.ddl("INTEGER"),
            # The definitions read model (caught up from the log, not written here).
            *definitions_ddl("INTEGER", without_rowid=" WITHOUT ROWID"),
            # The learning projections (caught up from the log, not written here).
            *learning_ddl("INTEGER", "REAL", without_rowid=" WITHOUT ROWID"),
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

    @contextmanager
    def _write_locked(self) -> Iterator[sqlite3.Cursor]:
        """A transaction holding the write lock (`BEGIN IMMEDIATE`), committed on success."""
        with self.datastore.get_connection(commit=True) as conn:
            raw: sqlite3.Connection = conn._sqlite_conn
            cursor = raw.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                raw.rollback()
                raise
            raw.commit()

    #: SQLite inserts in this process: a second thread would only contend for the GIL.
    overlap_inserts = False

    def begin_rebuild(self) -> int:
        """Empty the index and drop its secondary indexes; return the log's head.

        Under the write lock, so every statement at or below the head is the rebuild's to
        index and every one above it is indexed by its own write.
        """
        with self._write_locked() as cursor:
            cursor.execute(self._max_rowid)
            head = int(cursor.fetchone()[0] or 0)
            cursor.execute(_DELETE_VERSION.format(s="", p="?"), (NAME,))
            for name, _, _ in SECONDARY_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
            for table in INDEX_TABLES:
                cursor.execute(f"DELETE FROM {table}")
        return head

    def insert_rebuilt_rows(self, rows: IndexRows) -> None:
        """Insert a rebuild's batch of rows in a transaction of its own.

        The side tables' rows go in in key order: neighbouring b-tree inserts are cheaper.
        """
        rows.agents.sort()
        rows.activities.sort()
        with self.datastore.transaction(commit=True) as cursor:
            insert_rows(cursor, rows)

    def finish_rebuild(self, version: int, statements: int) -> None:
        """Build the secondary indexes, mark voided statements, record the version.

        ANALYZE after a large rebuild (see `ANALYZE_AFTER`).
        """
        with self.datastore.transaction(commit=True) as cursor:
            for statement in index_ddl():
                cursor.execute(statement)
        with self._write_locked() as cursor:
            cursor.execute(_MARK_ALL_VOIDED.format(s=""))
            cursor.execute(_INSERT_VERSION.format(s="", p="?"), (NAME, version))
        if statements >= ANALYZE_AFTER:
            with self.datastore.transaction(commit=True) as cursor:
                cursor.execute("ANALYZE")

    def index_version(self) -> int | None:
        """The statement_index version the rows were built with (None: never built)."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(_SELECT_VERSION.format(s="", p="?"), (NAME,))
            row = cursor.fetchone()
        return int(row[0]) if row else None

    # -- the documents read model ----------------------------------------------------------

    _document_upsert = documents_model.upsert_sql("", "?")
    _document_versions = documents_model.version_sql("", "?")

    def _document_floor_ms(self, cursor: sqlite3.Cursor) -> int | None:
        cursor.execute(documents_model.floor_sql(""))
        row = cursor.fetchone()
        return int(row[0]) if row is not None and row[0] is not None else None

    def _index_documents(
        self, cursor: sqlite3.Cursor, events: list[StoredEvent], positions: list[int]
    ) -> None:
        cursor.executemany(self._document_upsert, documents_model.rows_of_events(events, positions))

    def begin_documents_rebuild(self) -> int:
        """Empty the documents read model under the write lock; return the log's head."""
        with self._write_locked() as cursor:
            cursor.execute(self._max_rowid)
            head = int(cursor.fetchone()[0] or 0)
            cursor.execute(self._document_versions[1], (documents_model.NAME,))
            cursor.execute("DELETE FROM documents")
        return head


def insert_rows(cursor: Any, rows: IndexRows) -> None:
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


class IndexedPostgresRecorder(DocumentRowsMixin, LedgerPostgresRecorder):
    """PostgreSQL recorder that writes statement_index rows with the statement events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefix = self._prefix = schema_prefix(self.datastore.schema)
        self.sql_create_statements.extend(
            SQL(statement).format() for statement in ddl(schema=prefix)
        )
        # The definitions read model (caught up from the log, not written here).
        self.sql_create_statements.extend(
            SQL(statement).format() for statement in definitions_ddl(schema=prefix)
        )
        # The learning projections (caught up from the log, not written here), and the
        # wake-up their runner listens for.
        self.sql_create_statements.extend(
            SQL(statement).format() for statement in learning_ddl(schema=prefix)
        )
        self.sql_create_statements.extend(
            SQL(statement).format() for statement in notify_ddl(prefix, self.events_table_name)
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
        self.sql_create_statements.extend(
            SQL(statement).format() for statement in documents_model.ddl(schema=prefix)
        )
        self._document_upsert = SQL(documents_model.upsert_sql(prefix, "%s"))
        self._document_floor = SQL(documents_model.floor_sql(prefix))
        self._document_versions = [
            SQL(statement) for statement in documents_model.version_sql(prefix, "%s")
        ]
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
            # Never prepared: a generic plan (psycopg prepares a statement run five times)
            # of this update can scan the whole index when the planner has no statistics
            # yet (measured: 1.5 s per 100-statement write at 50,000 statements); a plan
            # made for the ids at hand uses the indexes.
            curs.execute(self._mark_voided, (tenant, tenant, ids), prepare=False)

    #: A rebuild inserts one batch in a second thread while it derives the next: COPY's work
    #: happens in the server.
    overlap_inserts = True

    def begin_rebuild(self) -> int:
        """Empty the index and drop its keys and secondary indexes; return the log's head.

        Under the events table's write lock, so every statement at or below the head is the
        rebuild's to index and every one above it is indexed by its own write.
        """
        p = self._prefix
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)
            curs.execute(
                SQL("SELECT max(notification_id) AS head FROM {}").format(
                    Identifier(self.datastore.schema, self.events_table_name)
                )
            )
            row: Any = curs.fetchone()
            curs.execute(SQL(_DELETE_VERSION.format(s=p, p="%s")), (NAME,))
            for name, _, _ in SECONDARY_INDEXES:
                curs.execute(SQL(f"DROP INDEX IF EXISTS {p}{name}"))
            curs.execute(SQL("TRUNCATE " + ", ".join(p + table for table in INDEX_TABLES)))
            for table in PRIMARY_KEYS:
                curs.execute(SQL(f"ALTER TABLE {p}{table} DROP CONSTRAINT IF EXISTS {table}_pkey"))
        return int(row["head"] or 0)

    def insert_rebuilt_rows(self, rows: IndexRows) -> None:
        """Insert a rebuild's batch of rows (binary COPY) in a transaction of its own."""
        with self.datastore.transaction(commit=True) as curs:
            for copy_statement, types, table in (
                (self._copy_main, _MAIN_TYPES, rows.main),
                (self._copy_agents, _SIDE_TYPES, rows.agents),
                (self._copy_activities, _SIDE_TYPES, rows.activities),
            ):
                with curs.copy(copy_statement) as writer:
                    writer.set_types(types)
                    for item in table:
                        writer.write_row(item)

    def finish_rebuild(self, version: int, statements: int) -> None:
        """Build the keys and secondary indexes, mark voided statements, record the version.

        Building the keys once, by sorting, is several times faster than keeping them while
        the rows go in (the side tables' keys come in random order). After a large rebuild
        (see `ANALYZE_AFTER`), VACUUM ANALYZE the tables: fresh statistics for the planner,
        and visibility information written now rather than by the first queries.
        """
        p = self._prefix
        with self.datastore.transaction(commit=True) as curs:
            for table, key in PRIMARY_KEYS.items():
                curs.execute(
                    SQL(
                        f"ALTER TABLE {p}{table} DROP CONSTRAINT IF EXISTS {table}_pkey, "
                        f"ADD CONSTRAINT {table}_pkey PRIMARY KEY ({key})"
                    )
                )
            for statement in index_ddl(p):
                curs.execute(SQL(statement).format())
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)
            curs.execute(SQL(_MARK_ALL_VOIDED.format(s=p)))
            curs.execute(SQL(_INSERT_VERSION.format(s=p, p="%s")), (NAME, version))
        if statements >= ANALYZE_AFTER:
            with self.datastore.get_connection() as conn:
                for table in INDEX_TABLES:
                    conn.execute(SQL(f"VACUUM ANALYZE {p}{table}"))

    def index_version(self) -> int | None:
        """The statement_index version the rows were built with (None: never built)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL(_SELECT_VERSION.format(s=self._prefix, p="%s")), (NAME,))
            row: Any = curs.fetchone()
        return int(row["version"]) if row else None

    # -- the documents read model ----------------------------------------------------------

    def _document_floor_query(self) -> SQL:
        return self._document_floor

    def _index_documents(
        self, curs: psycopg.Cursor[Any], events: list[StoredEvent], positions: list[int]
    ) -> None:
        rows = documents_model.rows_of_events(events, positions)
        if rows:
            curs.executemany(self._document_upsert, rows)

    def begin_documents_rebuild(self) -> int:
        """Empty the documents read model under the write lock; return the log's head."""
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)
            curs.execute(
                SQL("SELECT max(notification_id) AS head FROM {}").format(
                    Identifier(self.datastore.schema, self.events_table_name)
                )
            )
            row: Any = curs.fetchone()
            curs.execute(self._document_versions[1], (documents_model.NAME,))
            curs.execute(SQL(f"TRUNCATE {self._prefix}documents"))
        return int(row["head"] or 0)
