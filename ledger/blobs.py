"""Content-addressed bytes: attachment and document content, stored once per (tenant, hash).

Events name content by its SHA-2 hash (a Statement's attachment `sha2`, a document's
`sha256`) instead of carrying the bytes, so the log stays small, a part sent with several
Statements is stored once, and an auditor can check any content against the hash its event
recorded. Rows are written in the same transaction as the events that name them and are
never changed (the same hash means the same bytes).
"""

from __future__ import annotations

import hashlib

#: The table, created with the event tables (SQLite text/blob, PostgreSQL text/bytea).
BLOBS_TABLE = "ledger_blobs"


def blobs_ddl(schema_prefix: str = "", binary: str = "BLOB") -> str:
    """Return the CREATE TABLE statement of the blob table."""
    return (
        f"CREATE TABLE IF NOT EXISTS {schema_prefix}{BLOBS_TABLE} ("
        "tenant TEXT NOT NULL, sha2 TEXT NOT NULL, "
        f"data {binary} NOT NULL, PRIMARY KEY (tenant, sha2))"
    )


def sha256_hex(data: bytes) -> str:
    """Return the lowercase hex SHA-256 of `data` (the key documents are stored under)."""
    return hashlib.sha256(data).hexdigest()
