"""Learner ids of the reports and transcripts: the IFI key, URL-safe, and the Agent it names.

The learning projections key a learner by the comparison key of their inverse functional
identifier (`ledger.xapi.ifi.ifi_key`). Reports and the transcript URL show it as
`learner_id`: the key's UTF-8 bytes in base64url without padding (RFC 4648 §5), and as
`learner`: the xAPI Agent rebuilt from the key (`ledger.xapi.ifi.agent_of_key`).
"""

from __future__ import annotations

import base64
import binascii

from ledger.errors import InvalidInputError, Problem
from ledger.xapi.ifi import AGENT_KEY_PREFIXES


def learner_id(key: str) -> str:
    """Return the URL-safe learner id of an IFI key."""
    return base64.urlsafe_b64encode(key.encode()).rstrip(b"=").decode()


def learner_key(value: str, pointer: str = "?learner") -> str:
    """Return the IFI key a learner id names, or raise InvalidInputError at `pointer`.

    Only the canonical spelling is accepted (no padding, no other alphabet), so each learner
    has exactly one id.
    """
    problem = "must be a learner id: the learner's IFI key in base64url without padding"
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        key = raw.decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        key = ""
    if (
        not key
        or learner_id(key) != value
        or not key.startswith(AGENT_KEY_PREFIXES)
        or "\x00" in key
    ):
        name = pointer.lstrip("?/")
        raise InvalidInputError(f"{name} is not a learner id", [Problem(pointer, problem)])
    return key
