"""Reading read-model tables on either store: one cursor and one row shape for both."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.postgres import PostgresDatastore

from ledger.application import Ledger
from ledger.recorders import LedgerPostgresRecorder
from projections.recorders import schema_prefix


class StoreReader:
    """Runs read-only SQL against a Ledger's store, written with `%s` placeholders.

    `prefix` is the quoted schema (PostgreSQL) to put before table names, or ''.
    """

    def __init__(self, ledger: Ledger) -> None:
        recorder: Any = ledger.recorder
        self.datastore = recorder.datastore
        self.postgres = isinstance(recorder, LedgerPostgresRecorder)
        self.prefix = schema_prefix(recorder.datastore.schema) if self.postgres else ""

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        if isinstance(self.datastore, PostgresDatastore):
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                yield curs
        else:
            with self.datastore.transaction(commit=False) as curs:
                yield curs

    def _rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run `sql` and return its rows as tuples."""
        if not self.postgres:
            sql = sql.replace("%s", "?")
        with self._cursor() as curs:
            curs.execute(sql, params)
            return [
                tuple(row.values()) if isinstance(row, dict) else tuple(row)
                for row in curs.fetchall()
            ]
