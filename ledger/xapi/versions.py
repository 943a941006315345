"""Negotiation of the xAPI version named by the X-Experience-API-Version request header."""

from __future__ import annotations

import re
from typing import Final

from ledger.errors import UnsupportedVersionError

#: The 1.0.x rule set and the value answered to 1.0.x requests (§2.1).
V1: Final = "1.0.3"
#: The 2.0.x rule set and the value answered to 2.0.x requests (§16.1).
V2: Final = "2.0.0"
#: Every version the ledger serves, oldest first (the /about `version` list).
SUPPORTED: Final = (V1, V2)

_VERSION_RE: Final = re.compile(r"([0-9]+)\.([0-9]+)(?:\.([0-9]+))?", re.ASCII)


def negotiate_version(header: str | None) -> str:
    """Return the rule set for a request's `X-Experience-API-Version` header.

    `1.0` and `1.0.x` select 1.0.3 (§2.1); `2.0` and `2.0.x` select 2.0.0 (§16.1).

    Args:
        header: The header value, or None when the request has none.

    Returns:
        `V1` or `V2`.

    Raises:
        UnsupportedVersionError: The header is missing, malformed, or names a version the
            ledger does not serve (0.9, 0.95, 1.1.0, 2.1.0, …); the message says why.
    """
    if header is None:
        raise UnsupportedVersionError("X-Experience-API-Version header is required")
    value = header.strip()
    match = _VERSION_RE.fullmatch(value)
    if match is None:
        shown = value if len(value) <= 40 and value.isprintable() else repr(value[:40])
        raise UnsupportedVersionError(
            f"X-Experience-API-Version {shown!s} is not a version number; send 1.0.x or 2.0.x"
        )
    major, minor = int(match[1]), int(match[2])
    if major == 1 and minor == 0:
        return V1
    if major == 2 and minor == 0:
        return V2
    reason = "is older than 1.0.0 and not supported" if major < 1 else "is not supported"
    raise UnsupportedVersionError(
        f"X-Experience-API-Version {value} {reason}; supported: 1.0.x (served as {V1}) "
        f"and 2.0.x (served as {V2})"
    )
