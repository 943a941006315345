"""Where each read model stands against the event log (`learning-ledger projections status`,
`GET /v1/projections`): position, head, lag in events and in seconds."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.application import Ledger
from ledger.xapi.primitives import epoch_ms
from projections import definitions, documents, statement_index
from projections.definitions_store import DefinitionsProjection
from projections.learning_store import LearningProjections
from projections.rebuild import indexed_recorder
from projections.statement_index import stored_ms

INLINE = "inline"
CAUGHT_UP = "caught up"


@dataclass(frozen=True)
class ProjectionStatus:
    """One read model: how it is kept, the version its rows were built with and the code's,
    the log position it has processed, the log's head, and how many positions it is behind.

    Inline read models (written in their events' own transaction) are never behind once built.
    """

    name: str
    kept: str  # INLINE or CAUGHT_UP
    built_version: int | None
    version: int
    position: int | None
    head: int
    #: Seconds between now and the stored time of the oldest event not processed (0 when
    #: caught up).
    lag_seconds: float = 0.0

    @property
    def behind(self) -> int | None:
        """Log positions not yet processed (None: an inline model never built)."""
        if self.position is None:
            return self.head if self.kept == CAUGHT_UP else None
        return max(self.head - self.position, 0)

    @property
    def summary(self) -> str:
        """A few words on what, if anything, needs doing."""
        if self.built_version is None and self.kept == CAUGHT_UP:
            if not self.head:
                return "up to date"
            return (
                f"{self.head:,} log positions behind: nothing processed yet (the next read or "
                "`learning-ledger db migrate` catches up)"
            )
        if self.built_version is None:
            return "never built: run `learning-ledger db migrate`"
        if self.built_version != self.version:
            return (
                f"built by version {self.built_version}, the code is version {self.version}: "
                "`learning-ledger db migrate` rebuilds it"
            )
        if self.behind:
            return f"{self.behind:,} log positions behind ({self.lag_seconds:,.1f} s; {_WHO})"
        return "up to date"


_WHO = "the next read or the projection runner catches up"


def oldest_unprocessed_ms(ledger: Ledger, position: int) -> int | None:
    """Return when the first event after `position` was stored (ms), or None if none is."""
    found = ledger.recorder.select_notifications(position, 1, inclusive_of_start=False)
    if not found:
        return None
    state: Any = orjson.loads(found[0].state)
    statement = state.get("statement")
    if isinstance(statement, dict) and isinstance(statement.get("stored"), str):
        return stored_ms(statement["stored"])
    timestamp = ledger.mapper.transcoder.decode(found[0].state).get("timestamp")
    return epoch_ms(timestamp) if timestamp is not None else None


def projection_status(ledger: Ledger, now_ms: int | None = None) -> list[ProjectionStatus]:
    """Return the status of every read model of the ledger's store.

    Args:
        now_ms: the time to measure lag in seconds from (default: the clock).
    """
    now = int(time.time() * 1000) if now_ms is None else now_ms
    recorder = indexed_recorder(ledger)
    head = int(recorder.max_notification_id() or 0)
    index_version = recorder.index_version()
    documents_version = recorder.documents_version()
    position, definitions_version = DefinitionsProjection(ledger).state()
    lags: dict[int, float] = {}

    def lag(at: int | None) -> float:
        at = at or 0
        if at >= head:
            return 0.0
        if at not in lags:
            oldest = oldest_unprocessed_ms(ledger, at)
            lags[at] = 0.0 if oldest is None else max(now - oldest, 0) / 1000
        return lags[at]

    learning = LearningProjections(ledger)
    learning_rows = [
        ProjectionStatus(
            name,
            CAUGHT_UP,
            built,
            learning.versions[name],
            at,
            head,
            lag(at),
        )
        for name, (at, built) in learning.state().items()
    ]
    return [
        ProjectionStatus(
            statement_index.NAME,
            INLINE,
            index_version,
            statement_index.VERSION,
            head if index_version is not None else None,
            head,
        ),
        ProjectionStatus(
            documents.NAME,
            INLINE,
            documents_version,
            documents.VERSION,
            head if documents_version is not None else None,
            head,
        ),
        ProjectionStatus(
            definitions.NAME,
            CAUGHT_UP,
            definitions_version,
            definitions.VERSION,
            position,
            head,
            lag(position),
        ),
        *learning_rows,
    ]
