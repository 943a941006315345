"""The error statuses the ledger answers with (checklist §2.8)."""

from __future__ import annotations

from api.errors import _STATUS, status_of
from ledger.errors import LedgerError

#: xAPI 1.0.3 Comm §3.2 / 2.0 LRS §4.1.5: the codes an LRS answers errors with.
XAPI_STATUSES = {400, 401, 403, 404, 409, 412, 413, 429, 500}
#: Decided (docs/conformance.md §2.8): 503 + Retry-After when the store stays locked.
DECIDED = {503}


def test_every_mapped_error_status_is_one_xapi_names_or_a_decided_one() -> None:
    """(checklist §2.8; 1.0.3 Comm §3.1-3.2): never 428, nothing outside the list unexplained."""
    assert set(_STATUS.values()) <= XAPI_STATUSES | DECIDED
    assert 428 not in _STATUS.values()


def test_an_unmapped_ledger_error_is_a_500() -> None:
    """(checklist §2.8): an error the table does not know is a server fault, never a 2xx."""

    class Unmapped(LedgerError):
        """Raised when nothing maps it (test only)."""

    assert status_of(Unmapped("x")) == 500
