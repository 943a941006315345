"""Test helpers: the learning tables on a test ledger's store, and rows put straight into them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.postgres import PostgresDatastore

from ledger.application import Ledger
from ledger.xapi.primitives import epoch_ms, parse_timestamp
from projections import learning_tables
from projections.recorders import schema_prefix


def _prefix(ledger: Ledger) -> str:
    datastore: Any = ledger.recorder.datastore  # type: ignore[attr-defined]
    return schema_prefix(datastore.schema) if isinstance(datastore, PostgresDatastore) else ""


@contextmanager
def writing(ledger: Ledger) -> Iterator[Any]:
    """A committed transaction's cursor on the ledger's store (`%s` placeholders on both)."""
    datastore: Any = ledger.recorder.datastore  # type: ignore[attr-defined]
    if isinstance(datastore, PostgresDatastore):
        with datastore.transaction(commit=True) as curs:
            yield curs
    else:
        with datastore.transaction(commit=True) as curs:
            yield _Qmark(curs)


class _Qmark:
    """Runs `%s`-placeholder SQL on SQLite."""

    def __init__(self, curs: Any) -> None:
        self.curs = curs

    def execute(self, sql: str, params: Any = ()) -> None:
        self.curs.execute(sql.replace("%s", "?"), params)


def create_learning_tables(ledger: Ledger) -> None:
    """Create the learning tables if the store's migration did not (idempotent)."""
    datastore: Any = ledger.recorder.datastore  # type: ignore[attr-defined]
    if isinstance(datastore, PostgresDatastore):
        statements = learning_tables.ddl(schema=_prefix(ledger))
    else:
        statements = learning_tables.ddl("INTEGER", "REAL", without_rowid=" WITHOUT ROWID")
    with writing(ledger) as curs:
        for statement in statements:
            curs.execute(statement)


def insert(ledger: Ledger, table: str, *rows: dict[str, Any]) -> None:
    """Insert rows (column → value) into a learning table."""
    prefix = _prefix(ledger)
    with writing(ledger) as curs:
        for row in rows:
            columns = ", ".join(row)
            marks = ", ".join(["%s"] * len(row))
            curs.execute(
                f"INSERT INTO {prefix}{table} ({columns}) VALUES ({marks})", list(row.values())
            )


def ms(timestamp: str) -> int:
    """An ISO 8601 timestamp as ms since the epoch."""
    return epoch_ms(parse_timestamp(timestamp))
