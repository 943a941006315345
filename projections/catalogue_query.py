"""The catalogue list: the current entries of a tenant's courses or learning paths.

Read from `learning_catalogue` (every revision of every entry, kept by the `learning_facts`
projection from the catalogue events): the latest revision of each entry. One entry is read
from its aggregate instead (`ledger.catalogue.Catalogue.get`), so it is never behind the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from projections.learning_tables import CATALOGUE
from projections.reading import StoreReader


@dataclass(frozen=True)
class CatalogueRow:
    """The latest revision of one catalogue entry, as the projection holds it."""

    catalogue_id: str
    revision: int
    document: dict[str, Any]
    retired: bool
    recorded_ms: int
    position: int


class CatalogueQueries(StoreReader):
    """Lists the catalogue's current entries from the `learning_catalogue` table."""

    def select_entries(
        self, tenant: str, kind: str, *, include_retired: bool = False
    ) -> list[CatalogueRow]:
        """Return the latest revision of each `kind` (`course` or `path`) entry of `tenant`,
        ordered by id; retired entries only when `include_retired`."""
        table = f"{self.prefix}{CATALOGUE}"
        sql = (
            f"SELECT c.id, c.revision, c.document, c.retired, c.recorded, c.position "
            f"FROM {table} c WHERE c.tenant = %s AND c.kind = %s AND c.revision = ("
            f"SELECT MAX(m.revision) FROM {table} m "
            "WHERE m.tenant = c.tenant AND m.kind = c.kind AND m.id = c.id)"
        )
        if not include_retired:
            sql += " AND c.retired = 0"
        sql += " ORDER BY c.id"
        return [
            CatalogueRow(
                catalogue_id=str(row[0]),
                revision=int(row[1]),
                document=orjson.loads(row[2]),
                retired=bool(row[3]),
                recorded_ms=int(row[4]),
                position=int(row[5]),
            )
            for row in self._rows(sql, (tenant, kind))
        ]
