"""Learner ids of the reports and transcripts: the IFI key, URL-safe, and the Agent it names.

The learning projections key a learner by the comparison key of their inverse functional
identifier (`ledger.xapi.ifi.ifi_key`). Reports and the transcript URL show it as
`learner_id`: the key's UTF-8 bytes in base64url without padding (RFC 4648 §5), and as
`learner`: an xAPI Agent object rebuilt from the key (1.0.3 Data §2.4.2.3).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ledger.errors import InvalidInputError, Problem

#: Key prefixes `ifi_key` gives an Agent, in the order it tries the IFIs.
_PREFIXES = ("mbox:", "sha1:", "openid:", "account:", "account\\0:")


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
    if not key or learner_id(key) != value or not key.startswith(_PREFIXES) or "\x00" in key:
        name = pointer.lstrip("?/")
        raise InvalidInputError(f"{name} is not a learner id", [Problem(pointer, problem)])
    return key


def agent_of(key: str) -> dict[str, Any]:
    """Return the xAPI Agent object an IFI key identifies (its IFI only, no name)."""
    agent: dict[str, Any] = {"objectType": "Agent"}
    kind, _, rest = key.partition(":")
    if kind == "mbox":
        agent["mbox"] = rest
    elif kind == "sha1":
        agent["mbox_sha1sum"] = rest
    elif kind == "openid":
        agent["openid"] = rest
    else:
        home_page, _, name = rest.partition("\x1f")
        if kind == "account\\0":
            name = _unescape(name)
        agent["account"] = {"homePage": home_page, "name": name}
    return agent


def _unescape(name: str) -> str:
    """Undo `ifi_key`'s escaping of an account name holding U+0000."""
    out: list[str] = []
    chars = iter(name)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append("\x00" if following == "0" else following)
        else:
            out.append(char)
    return "".join(out)
