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


#: Key prefixes `ifi_key` gives an Agent, in the order it tries the IFIs.
AGENT_KEY_PREFIXES = ("mbox:", "sha1:", "openid:", "account:", "account\\0:")


def agent_of_key(key: str) -> dict[str, Any]:
    """Return the Agent object an `ifi_key` key identifies (its IFI only, no name): the
    inverse of `ifi_key` for Agents."""
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
