"""Where each read model stands against the event log (`learning-ledger projections status`)."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.application import Ledger
from projections import definitions, documents, statement_index
from projections.definitions_store import DefinitionsProjection
from projections.rebuild import indexed_recorder

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
            return f"{self.behind:,} log positions behind (the next read catches up)"
        return "up to date"


def projection_status(ledger: Ledger) -> list[ProjectionStatus]:
    """Return the status of every read model of the ledger's store."""
    recorder = indexed_recorder(ledger)
    head = int(recorder.max_notification_id() or 0)
    index_version = recorder.index_version()
    documents_version = recorder.documents_version()
    position, definitions_version = DefinitionsProjection(ledger).state()
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
        ),
    ]
