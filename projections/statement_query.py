"""Queries of the statement_index: filters, keyset pages, the StatementRef rule, consistency."""

from __future__ import annotations

import base64
import hashlib
import hmac
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from eventsourcing.sqlite import SQLiteDatastore

from ledger.application import Ledger
from ledger.errors import InvalidInputError, Problem
from ledger.recorders import LedgerPostgresRecorder, LedgerSQLiteRecorder
from ledger.statements import statement_json
from ledger.xapi.primitives import format_timestamp, from_epoch_ms
from projections.reading import StoreReader

#: The most statements one page holds; `limit=0` asks for this many (Comm §2.1.3).
MAX_LIMIT = 500
_REF_CHUNK = 200

Key = tuple[int, int]  # (stored_ms, position): the order of results


@dataclass(frozen=True)
class StatementFilter:
    """The filters of a statement query (Comm §2.1.3); None means "not filtered"."""

    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since_ms: int | None = None
    until_ms: int | None = None
    ascending: bool = False

    @property
    def matches_everything(self) -> bool:
        """Whether only time bounds (or nothing) restrict the results."""
        return (self.agent, self.verb, self.activity, self.registration) == (None,) * 4


@dataclass(frozen=True)
class Page:
    """One page of results: the statements' log positions in order, and where to go on."""

    positions: list[int]
    keys: list[Key]
    next_key: Key | None


class StatementQueries(StoreReader):
    """Answers statement queries from the statement_index of a Ledger's store."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.ledger = ledger
        recorder = ledger.recorder
        if self.postgres:
            assert isinstance(recorder, LedgerPostgresRecorder)
            self.events_table = f"{self.prefix}{_quote(recorder.events_table_name)}"
        else:
            assert isinstance(recorder, LedgerSQLiteRecorder)
            self.events_table = recorder.events_table_name
        self.recorder = recorder

    # -- pages ---------------------------------------------------------------------------

    def select_page(
        self, tenant: str, query: StatementFilter, limit: int, after: Key | None = None
    ) -> Page:
        """Return the next page of statements matching `query`, after key `after`."""
        limit = min(limit or MAX_LIMIT, MAX_LIMIT)
        direct = self._direct(tenant, query, limit + 1, after)
        keys = dict(direct)
        if not query.matches_everything:
            bound = direct[limit][1] if len(direct) > limit else None
            keys.update(self._referencing(tenant, query, limit + 1, after, bound))
        ordered = sorted(keys.items(), key=lambda item: item[1], reverse=not query.ascending)
        page = ordered[:limit]
        return Page(
            positions=[position for position, _ in page],
            keys=[key for _, key in page],
            next_key=page[-1][1] if len(ordered) > limit else None,
        )

    def _filter_sql(
        self, tenant: str, query: StatementFilter, *, with_voided: bool
    ) -> tuple[str, str, list[Any]]:
        """FROM/JOIN and WHERE for the non-time filters, driven by the most selective index."""
        p = self.prefix
        params: list[Any] = [tenant]
        if query.agent is not None:
            source = (
                f"{p}statement_index_agents d JOIN {p}statement_index m ON m.position = d.position"
            )
            where = ["d.tenant = %s", "d.ifi = %s"]
            params.append(query.agent)
            if not query.related_agents:
                where.append("d.direct = 1")
        elif query.activity is not None and query.related_activities:
            source = (
                f"{p}statement_index_activities d "
                f"JOIN {p}statement_index m ON m.position = d.position"
            )
            where = ["d.tenant = %s", "d.activity = %s"]
            params.append(query.activity)
        else:
            source = f"{p}statement_index d"
            where = ["d.tenant = %s"]
        main = "d" if source == f"{p}statement_index d" else "m"
        if query.activity is not None:
            if query.agent is None and query.related_activities:
                pass  # the driving table filters it
            elif query.related_activities:
                where.append(
                    f"EXISTS (SELECT 1 FROM {p}statement_index_activities x "
                    "WHERE x.tenant = d.tenant AND x.activity = %s "
                    "AND x.stored_ms = d.stored_ms AND x.position = d.position)"
                )
                params.append(query.activity)
            else:
                where.append(f"{main}.activity = %s")
                params.append(query.activity)
        if query.verb is not None:
            where.append(f"{main}.verb = %s")
            params.append(query.verb)
        if query.registration is not None:
            where.append(f"{main}.registration = %s")
            params.append(query.registration)
        if not with_voided:
            where.append(f"{main}.voided = 0")
        return source, " AND ".join(where), params

    def _keyset(
        self, query: StatementFilter, after: Key | None, alias: str
    ) -> tuple[str, list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if query.since_ms is not None:
            where.append(f"{alias}.stored_ms > %s")
            params.append(query.since_ms)
        if query.until_ms is not None:
            where.append(f"{alias}.stored_ms <= %s")
            params.append(query.until_ms)
        if after is not None:
            op = ">" if query.ascending else "<"
            a = alias
            where.append(
                f"({a}.stored_ms {op} %s OR ({a}.stored_ms = %s AND {a}.position {op} %s))"
            )
            params.extend([after[0], after[0], after[1]])
        return " AND ".join(where), params

    def _order(self, query: StatementFilter, alias: str) -> str:
        direction = "ASC" if query.ascending else "DESC"
        return f"ORDER BY {alias}.stored_ms {direction}, {alias}.position {direction}"

    def _direct(
        self, tenant: str, query: StatementFilter, limit: int, after: Key | None
    ) -> list[tuple[int, Key]]:
        source, where, params = self._filter_sql(tenant, query, with_voided=False)
        keyset, keyset_params = self._keyset(query, after, "d")
        if keyset:
            where += " AND " + keyset
        rows = self._rows(
            f"SELECT d.position, d.stored_ms FROM {source} WHERE {where} "
            f"{self._order(query, 'd')} LIMIT %s",
            [*params, *keyset_params, limit],
        )
        return [(position, (stored, position)) for position, stored in rows]

    def _referencing(
        self,
        tenant: str,
        query: StatementFilter,
        limit: int,
        after: Key | None,
        bound: Key | None,
    ) -> dict[int, Key]:
        """Statements whose StatementRef target matches (Comm §2.1.3), not voided themselves.

        Only statements that refer to another are scanned, in result order, and no further
        than the last key of the page the direct matches already fill.
        """
        p = self.prefix
        found: dict[int, Key] = {}
        cursor = after
        while len(found) < limit:
            keyset, keyset_params = self._keyset(query, cursor, "r")
            rows = self._rows(
                f"SELECT r.position, r.stored_ms, r.ref_target FROM {p}statement_index r "
                "WHERE r.tenant = %s AND r.ref_target IS NOT NULL AND r.voided = 0"
                + (f" AND {keyset}" if keyset else "")
                + f" {self._order(query, 'r')} LIMIT %s",
                [tenant, *keyset_params, _REF_CHUNK],
            )
            if not rows:
                break
            for position, stored, target in rows:
                key = (stored, position)
                if bound is not None and (
                    (query.ascending and key > bound) or (not query.ascending and key < bound)
                ):
                    return found
                if self._target_matches(tenant, query, target):
                    found[position] = key
                    if len(found) >= limit:
                        return found
            cursor = (rows[-1][1], rows[-1][0])
            if len(rows) < _REF_CHUNK:
                break
        return found

    def _target_matches(self, tenant: str, query: StatementFilter, target: str) -> bool:
        """Whether the statement `target` (or the one it refers to, and so on) matches.

        The chain is followed to its end (1.0.3 Comm §2.1.3: "recursively"); a cycle of
        references, which clients can build by choosing ids, ends where it repeats.
        """
        p = self.prefix
        source, where, params = self._filter_sql(tenant, query, with_voided=True)
        seen: set[str] = set()
        while target not in seen:
            seen.add(target)
            rows = self._rows(
                f"SELECT position, ref_target FROM {p}statement_index "
                "WHERE tenant = %s AND statement_id = %s",
                [tenant, target],
            )
            if not rows:
                return False
            position, next_target = rows[0]
            if self._rows(
                f"SELECT 1 FROM {source} WHERE {where} AND d.position = %s",
                [*params, position],
            ):
                return True
            if next_target is None:
                return False
            target = next_target
        return False

    # -- statements, consistency -----------------------------------------------------------

    def statements_at(self, positions: Sequence[int]) -> list[dict[str, Any]]:
        """Return the statements recorded at the given log positions, in that order."""
        states = self.recorder.select_states_at(positions)
        return [orjson.loads(states[position])["statement"] for position in positions]

    def statement_json_at(self, positions: Sequence[int]) -> list[bytes]:
        """Return the statements' JSON as stored, unparsed where the layout allows."""
        states = self.recorder.select_states_at(positions)
        found = []
        for position in positions:
            state = states[position]
            raw = statement_json(state)
            found.append(raw if raw is not None else orjson.dumps(orjson.loads(state)["statement"]))
        return found

    def consistent_through(self) -> str:
        """Return a time before which every stored statement is in the index (Comm §2.1.3).

        `stored` is taken under the event table's write lock, so while no writer holds the
        lock, every statement stored before now is committed; while one does, every statement
        stored before the newest committed one is.
        """
        if self.postgres:
            rows = self._rows(
                "SELECT clock_timestamp(), EXISTS (SELECT 1 FROM pg_locks WHERE "
                "locktype = 'relation' AND relation = %s::regclass AND mode = 'ExclusiveLock' "
                "AND granted)",
                [self.events_table],
            )
            now, busy = rows[0]
        else:
            now, busy = datetime.now(UTC), self._sqlite_writer_active()
        if busy:
            rows = self._rows(f"SELECT max(stored_ms) FROM {self.prefix}statement_index_head", [])
            newest = rows[0][0]
            now = from_epoch_ms(newest) if newest else now
        return format_timestamp(now)

    def _sqlite_writer_active(self) -> bool:
        datastore = self.recorder.datastore
        assert isinstance(datastore, SQLiteDatastore)
        with datastore.get_connection(commit=False) as conn:
            raw: sqlite3.Connection = conn._sqlite_conn
            (timeout,) = raw.execute("PRAGMA busy_timeout").fetchone()
            raw.execute("PRAGMA busy_timeout = 0")
            try:
                raw.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return True
            else:
                raw.rollback()
                return False
            finally:
                raw.execute(f"PRAGMA busy_timeout = {int(timeout)}")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def encode_cursor(secret: bytes, tenant: str, params: dict[str, str], key: Key) -> str:
    """Return an opaque, signed `more` token: the query's parameters and where to go on."""
    payload = base64.urlsafe_b64encode(
        orjson.dumps({"t": tenant, "q": params, "k": list(key)})
    ).rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.new(secret, payload, hashlib.sha256).digest()[:18])
    return (payload + b"." + signature).decode()


def decode_cursor(secret: bytes, tenant: str, token: str) -> tuple[dict[str, str], Key]:
    """Return the parameters and key of a `more` token, or raise InvalidInputError.

    A token made for another tenant, changed, or made up fails the signature check.
    """
    try:
        payload, signature = token.encode().split(b".")
        expected = base64.urlsafe_b64encode(hmac.new(secret, payload, hashlib.sha256).digest()[:18])
        if not hmac.compare_digest(signature, expected):
            raise ValueError("signature")
        data = orjson.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
        if data["t"] != tenant:
            raise ValueError("tenant")
        stored, position = data["k"]
        return {str(k): str(v) for k, v in data["q"].items()}, (int(stored), int(position))
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise InvalidInputError(
            "the more token is not valid: it was changed, or made for another credential's "
            "tenant; start the query again",
            [Problem("?more", "not a token this ledger issued for this tenant")],
        ) from None
