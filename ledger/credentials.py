"""Credentials: API keys with hashed secrets and scopes, and the Principal a request acts as."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ledger.ids import credential_aggregate_id

#: scrypt cost: about 30-60 ms per verification on a 2-core machine; the cache below makes it
#: a once-per-minute cost per credential rather than a per-request one.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}

ADMIN_SCOPES = ("all", "admin")


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    """Return `scrypt$<salt hex>$<hash hex>` for `secret`."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str) -> bool:
    """Check `secret` against a `hash_secret` value in constant time."""
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
        salt, expected = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    actual = hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)
    return hmac.compare_digest(actual, expected)


def new_key() -> str:
    """Return a fresh, unguessable API key id (no ':' so it fits HTTP Basic)."""
    return "k_" + secrets.token_urlsafe(12)


def new_secret() -> str:
    """Return a fresh secret."""
    return secrets.token_urlsafe(32)


class Credential(Aggregate):
    """An API key of one tenant: its hashed secret, its scopes, and who issued it."""

    @classmethod
    def create_id(
        cls, key: str, tenant: str, secret_hash: str, scopes: list[str], label: str, issued_by: str
    ) -> UUID:
        """Return the aggregate id for API key `key`."""
        return credential_aggregate_id(key)

    @event("Issued")
    def __init__(
        self, key: str, tenant: str, secret_hash: str, scopes: list[str], label: str, issued_by: str
    ) -> None:
        self.key = key
        self.tenant = tenant
        self.secret_hash = secret_hash
        self.scopes = list(scopes)
        self.label = label
        self.issued_by = issued_by


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a credential of one tenant, with its scopes and xAPI authority."""

    tenant: str
    key: str
    scopes: frozenset[str]
    authority: dict[str, Any]

    def has_any_scope(self, scopes: tuple[str, ...]) -> bool:
        """Whether the credential holds at least one of `scopes`."""
        return not self.scopes.isdisjoint(scopes)


def authority_for(key: str, label: str, home_page: str) -> dict[str, Any]:
    """Return the xAPI authority Agent of a credential (xAPI 1.0.3 Data §2.4.9).

    Deterministic: the same credential always yields the same authority (2.0 LRS §4.2.4.2).
    """
    return {
        "objectType": "Agent",
        "name": label,
        "account": {"homePage": home_page, "name": key},
    }


class VerifiedCache:
    """Remembers recently verified (key, secret) pairs so a request skips the slow hash.

    Entries are keyed by the key and a SHA-256 of the secret (never the secret itself) and
    expire after `ttl` seconds, so a revoked credential stops working within `ttl`.
    """

    def __init__(self, ttl: float, clock: Any = time.monotonic, max_entries: int = 10_000):
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[tuple[str, bytes], tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _fingerprint(key: str, secret: str) -> tuple[str, bytes]:
        return key, hashlib.sha256(secret.encode()).digest()

    def get(self, key: str, secret: str) -> Principal | None:
        """Return the cached principal for this key and secret, if still fresh."""
        entry = self._entries.get(self._fingerprint(key, secret))
        if entry is None or entry[0] < self.clock():
            return None
        return entry[1]

    def put(self, key: str, secret: str, principal: Principal) -> None:
        """Remember a verified key and secret for `ttl` seconds."""
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[self._fingerprint(key, secret)] = (self.clock() + self.ttl, principal)
