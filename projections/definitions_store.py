"""The definitions read model kept up from the log: exactly-once catch-up, rebuild, queries.

A tracked projection: its rows and its tracking row (the last log position processed) change
in one transaction per batch, so a batch is applied exactly once however many catch-ups run.
Nothing is done under the event table's write lock. A catch-up reads a batch of
`Statement.Recorded` events and works out what each statement contributes without any lock,
then takes the tracking row (`DefinitionsTables.locked`), checks the position is still the one
it read from (else another catch-up applied the batch: it goes on from where that one got),
loads the rows the batch touches, folds the statements in (`projections.definitions`), writes
the rows and the new position, and commits.

Positions are safe to advance over: ledger writes draw their positions under the event
table's lock and commit before releasing it, so once position N is visible every event at or
below N is (PostgreSQL's gaps from failed writes are never filled in later).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.application import Ledger
from ledger.recorders import LedgerPostgresRecorder, LedgerSQLiteRecorder
from ledger.statements import RECORDED_TOPIC
from ledger.xapi.equivalence import normalise_iri
from projections.definitions import VERSION, Batch, Contribution, Json, activities_of, contribution
from projections.definitions_tables import DefinitionsTables, TrackingBusyError

#: Batch size for catch-ups that answer a request; rebuilds use `REBUILD_BATCH`.
BATCH = 1000
REBUILD_BATCH = 10_000
#: Seconds a request spends at most bringing the read model up to date before it answers.
REQUEST_BUDGET = 2.0

Progress = Callable[[int, int, int], None]  # (position, head, statements done)


@dataclass(frozen=True)
class CatchUp:
    """What a catch-up did: where the read model stands, the log head it aimed for, how many
    statements it applied, and whether it reached the head (False: out of time, or the
    tracking row was held by another catch-up longer than the time left)."""

    position: int
    head: int
    statements: int
    complete: bool


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
        self.tables = DefinitionsTables(recorder)

    def state(self) -> tuple[int | None, int | None]:
        """Return the tracking row's (position, version); (None, None) before the first run."""
        return self.tables.state()

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
                now = self.tables.locked(wait, _Apply(self.tables, position, stop, parsed))
            except TrackingBusyError:
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
        self.tables.locked(None, self.tables.reset)
        done = 0
        while True:
            result = self.catch_up(batch_size=batch_size, progress=progress)
            done += result.statements
            if result.complete:
                return done

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

    # -- queries ------------------------------------------------------------------------------

    def select_definitions(self, tenant: str, activity_ids: Iterable[str]) -> dict[str, Json]:
        """Return the canonical definitions of the given Activity ids (comparison form)."""
        return self.tables.select_definitions(tenant, activity_ids)

    def select_person(self, tenant: str, ifi: str) -> Json | None:
        """Return the Person (without objectType) kept for an IFI key, or None if never seen."""
        return self.tables.select_person(tenant, ifi)

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the read model's tables, sorted (for checks and tests)."""
        return self.tables.rows()


def _parse(position: int, state: bytes) -> Contribution:
    decoded = orjson.loads(state)
    return contribution(decoded["tenant"], position, decoded["statement"])


class _Apply:
    """The work of one batch, run holding the tracking row."""

    def __init__(
        self,
        tables: DefinitionsTables,
        expected: int,
        stop: int,
        contributions: list[Contribution],
    ) -> None:
        self.tables = tables
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
        tables = self.tables
        batch = Batch(
            activities=tables.load(curs, "definitions_activities", self.activity_keys),
            persons=tables.load(curs, "definitions_persons", self.person_keys),
        )
        for given in self.contributions:
            batch.apply(given)
        tables.store(curs, "definitions_activities", batch.activities)
        tables.store(curs, "definitions_persons", batch.persons)
        tables.set_position(curs, self.stop)
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
