"""Opening the ledger with its inline read models (the statement index) attached."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ledger.application import Ledger
from ledger.settings import Settings

_RECORDERS = {
    True: "projections.recorders:IndexedPostgresRecorder",
    False: "projections.recorders:IndexedSQLiteRecorder",
}


def open_ledger(
    settings: Settings,
    *,
    create_tables: bool = False,
    clock: Callable[[], datetime] | None = None,
) -> Ledger:
    """Open the Ledger whose recorder keeps the statement index in the events' transaction."""
    return Ledger(
        settings,
        create_tables=create_tables,
        clock=clock,
        recorder_topic=_RECORDERS[settings.is_postgres],
    )
