"""Comparison keys of Agents' and Groups' inverse functional identifiers (IFIs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ledger.xapi.equivalence import normalise_iri

#: The inverse functional identifiers of an Agent or Group (1.0.3 Data §2.4.2.3).
IFIS: Final = ("mbox", "mbox_sha1sum", "openid", "account")


def ifi_only(agent: Mapping[str, Any]) -> dict[str, Any]:
    """Return the Agent or Group cut to its identifier (no name, objectType or members)."""
    return {name: agent[name] for name in IFIS if name in agent}


def normalise_mbox(mbox: str) -> str:
    """Lower-case the scheme and the domain of a mailto IRI (1.0.3 Data §2.4.2.3)."""
    at = mbox.rfind("@")
    colon = mbox.find(":")
    if at == -1:
        return mbox
    return mbox[: colon + 1].lower() + mbox[colon + 1 : at + 1] + mbox[at + 1 :].lower()


def ifi_key(agent: Mapping[str, Any]) -> str | None:
    """Return the comparison key of an Agent's or Group's IFI, or None for an anonymous Group."""
    if "mbox" in agent:
        return "mbox:" + normalise_mbox(agent["mbox"])
    if "mbox_sha1sum" in agent:
        return "sha1:" + agent["mbox_sha1sum"].lower()
    if "openid" in agent:
        return "openid:" + agent["openid"]
    if "account" in agent:
        account = agent["account"]
        name = account["name"]
        if "\x00" in name:
            # PostgreSQL text cannot hold U+0000, which a valid account name may contain: such
            # a name is keyed escaped, under a prefix no other key has (so none can collide).
            escaped = name.replace("\\", "\\\\").replace("\x00", "\\0")
            return "account\\0:" + normalise_iri(account["homePage"]) + "\x1f" + escaped
        return "account:" + normalise_iri(account["homePage"]) + "\x1f" + name
    return None
