"""Queries of the documents read model: one document with its bytes, id lists, bulk targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ledger.blobs import BLOBS_TABLE
from ledger.documents import STATE, DocumentKey, DocumentScope
from ledger.xapi.primitives import format_timestamp, from_epoch_ms
from projections.documents import unescape_id
from projections.reading import StoreReader


@dataclass(frozen=True)
class StoredDocument:
    """A current document: its bytes, Content-Type, ETag value and last change."""

    content: bytes
    content_type: str
    etag: str
    updated_ms: int

    @property
    def updated(self) -> str:
        """The last change as an xAPI Timestamp."""
        return format_timestamp(from_epoch_ms(self.updated_ms))


class DocumentQueries(StoreReader):
    """Answers document reads from the documents read model of a Ledger's store."""

    def get(self, tenant: str, key: DocumentKey) -> StoredDocument | None:
        """Return the current document under `key`, or None (never stored, or deleted)."""
        p = self.prefix
        rows = self._rows(
            f"SELECT b.data, d.content_type, d.etag, d.updated_ms FROM {p}documents d "
            f"JOIN {p}{BLOBS_TABLE} b ON b.tenant = d.tenant AND b.sha2 = d.sha256 "
            "WHERE d.id = %s AND d.tenant = %s AND d.deleted = 0",
            [str(key.aggregate_id(tenant)), tenant],
        )
        if not rows:
            return None
        data, content_type, etag, updated_ms = rows[0]
        return StoredDocument(bytes(data), content_type, etag, int(updated_ms))

    def _scope_sql(self, tenant: str, scope: DocumentScope) -> tuple[str, list[Any]]:
        where = [
            "tenant = %s",
            "kind = %s",
            "activity = %s",
            "agent = %s",
            "deleted = 0",
        ]
        params: list[Any] = [tenant, scope.kind, scope.activity or "", scope.agent_key or ""]
        # §17 decision: a State list or DELETE without a registration covers every
        # registration (and none); the profile resources have no registration.
        if scope.kind != STATE or scope.registration is not None:
            where.append("registration = %s")
            params.append(scope.registration_key or "")
        return " AND ".join(where), params

    def ids(
        self, tenant: str, scope: DocumentScope, since_ms: int | None = None
    ) -> tuple[list[str], int | None]:
        """Return the ids of the current documents in `scope` changed strictly after
        `since_ms` (1.0.3 Comm §2.3, §2.6, §2.7), and the latest change among them."""
        where, params = self._scope_sql(tenant, scope)
        if since_ms is not None:
            where += " AND updated_ms > %s"
            params.append(since_ms)
        rows = self._rows(
            f"SELECT document_id, updated_ms FROM {self.prefix}documents WHERE {where} "
            "ORDER BY document_id",
            params,
        )
        ids = list(dict.fromkeys(unescape_id(row[0]) for row in rows))  # once per registration
        latest = max((int(row[1]) for row in rows), default=None)
        return ids, latest

    def aggregate_ids(self, tenant: str, scope: DocumentScope) -> list[UUID]:
        """Return the aggregate ids of the current documents in `scope`."""
        where, params = self._scope_sql(tenant, scope)
        rows = self._rows(f"SELECT id FROM {self.prefix}documents WHERE {where}", params)
        return [UUID(str(row[0])) for row in rows]
