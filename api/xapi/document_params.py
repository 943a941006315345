"""Parsing the document id parameter and the precondition headers of the document resources."""

from __future__ import annotations

import falcon

from api.xapi.params import bad_param
from ledger.documents import Preconditions


def document_id_param(params: dict[str, str], name: str) -> str:
    """Read `stateId` / `profileId`: any non-empty string."""
    value = params[name]
    if not value:
        raise bad_param(name, "must not be empty")
    return value


def _entity_tags(value: str | None, *, weak: bool) -> frozenset[str] | None:
    """The entity tags of an If-Match / If-None-Match header, unquoted (`*` kept).

    Weak tags (`W/"…"`) count only where `weak` comparison applies (If-None-Match). An
    unquoted value is taken as it is (it then simply does not match).
    """
    if value is None:
        return None
    tags: set[str] = set()
    for part in value.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            if not weak:
                continue  # RFC 7232 §3.1: If-Match uses strong comparison
            tag = tag[2:]
        if len(tag) >= 2 and tag[0] == tag[-1] == '"':
            tag = tag[1:-1]
        if tag:
            tags.add(tag if tag == "*" else tag.lower())
    return frozenset(tags)


def preconditions(req: falcon.Request) -> Preconditions:
    """Read If-Match and If-None-Match (1.0.3 Comm §3.1, 2.0 LRS §4.1.4)."""
    return Preconditions(
        if_match=_entity_tags(req.get_header("If-Match"), weak=False),
        if_none_match=_entity_tags(req.get_header("If-None-Match"), weak=True),
    )
