"""The content-addressed blob table on both stores."""

from __future__ import annotations

from ledger.application import Ledger
from ledger.blobs import sha256_hex


def test_blobs_are_stored_once_per_tenant_and_hash(ledger: Ledger) -> None:
    """Content written twice under one hash is kept once; other tenants do not see it."""
    data = b"\x00\xffbinary \r\n content"
    sha = sha256_hex(data)
    for _ in range(2):
        with ledger.bulk.datastore.transaction(commit=True) as cursor:
            ledger.bulk.insert_blobs(cursor, "default", {sha: data})
    assert ledger.bulk.select_blobs("default", [sha, sha, "0" * 64]) == {sha: data}
    assert ledger.bulk.select_blobs("other", [sha]) == {}
