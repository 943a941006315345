"""Keeping the caught-up read models current: woken by new events, stopped gracefully.

`Runner(ledger)` keeps the learning projections (both stages) and the definitions read model
caught up with the log. On PostgreSQL it listens on a dedicated connection for the
`ledger_events` notification the events table's trigger sends after each write (and polls
every few seconds as a safety net); on SQLite it polls the log's head every 100 ms.

With `exclusive=True` (the `learning-ledger worker` command) a runner on PostgreSQL is active
for a projection group only while it holds that group's advisory lock
(`pg_try_advisory_lock`, on the same dedicated connection); the others stand by and try
again every few seconds. Catching up is exactly-once whatever runs, so this only saves work.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from eventsourcing.persistence import PersistenceError
from psycopg.sql import SQL, Identifier

from ledger.application import Ledger
from projections.definitions_store import DefinitionsProjection
from projections.learning_store import REBUILD_BATCH, LearningProjections
from projections.recorders import CHANNEL
from projections.tracking import TrackingBusyError

log = logging.getLogger("ledger.runner")

#: Seconds between head checks on SQLite.
SQLITE_POLL = 0.1
#: Seconds between catch-ups on PostgreSQL when no notification came (a safety net).
POSTGRES_POLL = 3.0
#: Seconds between a standing-by runner's tries for an advisory lock.
STANDBY_RETRY = 3.0
#: Seconds a catch-up runs before the runner checks whether it is asked to stop.
ROUND = 2.0
#: Seconds to wait after a failed round before the next (the store may be restarting).
BACKOFF = 1.0

LEARNING, DEFINITIONS = "learning", "definitions"
GROUPS = (LEARNING, DEFINITIONS)


def postgres_dsn(database_url: str) -> str:
    """Return a libpq connection URL for the store (without the ledger's `schema` query)."""
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def lock_key(schema: str, group: str) -> int:
    """Return the advisory lock key of a projection group in a schema (a signed 64-bit int)."""
    digest = hashlib.blake2b(f"learning-ledger:{schema}:{group}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


@dataclass
class _Group:
    """A projection group: how to bring it up to date on start and to catch it up."""

    name: str
    ensure: Callable[[], object]
    catch_up: Callable[[], bool]
    active: bool = False


class Runner:
    """Keeps the learning projections and the definitions read model caught up.

    Args:
        ledger: the ledger whose read models to keep.
        exclusive: on PostgreSQL, be active for a group only while holding its advisory lock.
        say: where to report standing by / becoming active (a line at a time).
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        exclusive: bool = False,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.exclusive = exclusive
        self.say = say or log.info
        self.stopping = threading.Event()
        learning = LearningProjections(ledger)
        definitions = DefinitionsProjection(ledger)
        self.learning = learning
        self.definitions = definitions
        self.groups = [
            _Group(
                LEARNING,
                learning.ensure,
                lambda: learning.catch_up(ROUND, batch_size=REBUILD_BATCH, follow=True).complete,
            ),
            _Group(
                DEFINITIONS,
                definitions.ensure,
                lambda: definitions.catch_up(ROUND, batch_size=REBUILD_BATCH).complete,
            ),
        ]
        self.postgres = ledger.settings.is_postgres
        self._standing_by: set[str] = set()

    def stop(self) -> None:
        """Ask the runner to stop (from a signal handler or another thread)."""
        self.stopping.set()

    def catch_up(self) -> bool:
        """Catch up every active group once; return whether all reached the head.

        On PostgreSQL the groups catch up side by side, each in a thread of its own (their
        transactions are independent, and one waits on the database while the other
        computes), so a long catch-up of one does not hold the other back.
        """
        active = [group for group in self.groups if group.active]
        if self.postgres and len(active) > 1:
            with ThreadPoolExecutor(len(active), thread_name_prefix="runner") as pool:
                return all(list(pool.map(self._catch_up_group, active)))
        return all([self._catch_up_group(group) for group in active])

    def _catch_up_group(self, group: _Group) -> bool:
        """Catch a group up until it reaches the head (True) or the runner is stopped."""
        while not self.stopping.is_set():
            if group.catch_up():
                return True
        return False

    def run(self) -> None:
        """Keep the read models caught up until `stop` is called."""
        while not self.stopping.is_set():
            try:
                if self.postgres:
                    self._run_postgres()
                else:
                    self._run_sqlite()
            except (
                psycopg.Error,
                sqlite3.Error,
                PersistenceError,
                OSError,
                TrackingBusyError,
            ) as ex:
                log.warning("projection runner: %s; trying again in %.0f s", ex, BACKOFF)
                for group in self.groups:
                    group.active = False
                self.stopping.wait(BACKOFF)

    def _activate(self, group: _Group) -> None:
        group.ensure()
        group.active = True

    def _run_sqlite(self) -> None:
        for group in self.groups:
            if not group.active:
                self._activate(group)
        seen = -1
        while not self.stopping.is_set():
            head = int(self.ledger.recorder.max_notification_id() or 0)
            if head != seen:
                self.catch_up()
                seen = head
            self.stopping.wait(SQLITE_POLL)

    def _run_postgres(self) -> None:
        schema = self.ledger.settings.eventsourcing_env()["POSTGRES_SCHEMA"]
        with psycopg.connect(
            postgres_dsn(self.ledger.settings.database_url), autocommit=True
        ) as conn:
            conn.execute(SQL("LISTEN {}").format(Identifier(CHANNEL)))
            retry_at = 0.0
            clock = 0.0
            while not self.stopping.is_set():
                if clock >= retry_at:
                    self._take_locks(conn, schema)
                    retry_at = clock + STANDBY_RETRY
                self.catch_up()
                waited = self._wait(conn, min(POSTGRES_POLL, STANDBY_RETRY))
                clock += waited

    def _take_locks(self, conn: psycopg.Connection[Any], schema: str) -> None:
        """Become active for the groups whose advisory lock this runner gets."""
        for group in self.groups:
            if group.active:
                continue
            if self.exclusive:
                row = conn.execute(
                    "SELECT pg_try_advisory_lock(%s)", (lock_key(schema, group.name),)
                ).fetchone()
                if not (row and row[0]):
                    if group.name not in self._standing_by:
                        self.say(
                            f"Learning Ledger: another worker keeps the {group.name} "
                            f"projections; standing by (trying again every {STANDBY_RETRY:.0f} s)"
                        )
                        self._standing_by.add(group.name)
                    continue
                self.say(f"Learning Ledger: keeping the {group.name} projections.")
                self._standing_by.discard(group.name)
            self._activate(group)

    def _wait(self, conn: psycopg.Connection[Any], most: float) -> float:
        """Wait for a notification, at most `most` seconds, in slices (so `stop` is prompt);
        return the seconds waited (a notification ends the wait early)."""
        waited = 0.0
        step = 0.25
        while waited < most and not self.stopping.is_set():
            woke = False
            for _ in conn.notifies(timeout=step, stop_after=1):
                woke = True
            waited += step
            if woke:
                for _ in conn.notifies(timeout=0.001):  # fold the others in
                    pass
                break
        return waited
