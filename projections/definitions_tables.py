"""The definitions read model's tables on either store: DDL, the tracking row lock, rows.

Every change to the tables happens in `DefinitionsTables.locked`, which holds the tracking
row and commits the work with it (`projections.tracking.Tracking.locked`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import orjson

from ledger.recorders import LedgerPostgresRecorder, LedgerSQLiteRecorder
from projections.definitions import NAME, VERSION, Json, Row
from projections.tracking import Tracking, TrackingBusyError

__all__ = ["TABLES", "DefinitionsTables", "TrackingBusyError", "ddl"]

TABLES = ("definitions_activities", "definitions_persons")
_CHUNK = 500
_KEY_COLUMNS = {
    "definitions_activities": ("activity", "definition"),
    "definitions_persons": ("ifi", "person"),
}
_T = TypeVar("_T")

#: Rows by (tenant, Activity id or IFI key).
Rows = dict[tuple[str, str], Row]


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
        self.tracking = Tracking(recorder, "definitions_tracking")
        self.postgres = self.tracking.postgres
        self.prefix = self.tracking.prefix
        self.sql = self.tracking.sql
        self.read = self.tracking.read

    def locked(self, wait: float | None, work: Callable[[Any, int, int], _T]) -> _T:
        """Run `work(cursor, position, version)` holding the tracking row, then commit.

        Waits at most `wait` seconds for the row (None: the store's own lock timeout).

        Raises:
            TrackingBusyError: the row was not had in time.
        """
        return self.tracking.locked(
            wait, {NAME: VERSION}, lambda curs, held: work(curs, *held[NAME])
        )

    def state(self) -> tuple[int | None, int | None]:
        """Return the tracking row's (position, version); (None, None) before the first run."""
        found = self.tracking.states([NAME]).get(NAME)
        return found if found is not None else (None, None)

    def set_position(self, curs: Any, position: int) -> None:
        """Record the position processed (inside `locked`)."""
        self.tracking.set_position(curs, NAME, position)

    def reset(self, curs: Any, position: int, version: int) -> None:
        """Empty the tables and go back to position 0 at this version (inside `locked`)."""
        self.tracking.reset(curs, NAME, VERSION, TABLES)

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
