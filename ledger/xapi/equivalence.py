"""Statement equivalence: the comparison used for id reuse and for signed Statements."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any

from ledger.xapi.primitives import format_timestamp, parse_timestamp

# Canonical forms are built from str, int/float, None and tagged tuples/frozensets, so they are
# hashable and compare with ==. Tags keep a JSON object, array and boolean apart from each other
# (in Python True == 1 and hash(True) == hash(1)); ints and floats stay untagged so that 1 ≡ 1.0.
_OBJECT = "{}"
_ARRAY = "[]"
_BOOL = "bool"
_MULTISET = "multiset"

EquivalenceKey = Any  # a canonical form: hashable, compared with ==
_Handler = Callable[[Any], EquivalenceKey]

_first = itemgetter(0)
_PERCENT_ESCAPE = re.compile(r"%[0-9a-f]{2}", re.IGNORECASE)
# A seconds figure at the end of a duration, with its fraction (ISO 8601 allows "," or ".").
_DURATION_SECONDS = re.compile(r"(\d+)[.,](\d*)S\Z")

# Top-level properties the LRS may fill or that are not part of the Statement: 1.0.3 Data
# §2.3.1 immutability exceptions; checklist §5.3, §16.5.
_IGNORED_TOP = frozenset({"id", "stored", "timestamp", "authority", "version", "attachments"})


def equivalence_key(statement: dict[str, Any]) -> EquivalenceKey:
    """Return a hashable canonical form of a Statement; equivalent Statements share it.

    Ignored: id, stored, timestamp, authority, version, attachments; verb display; every
    Activity definition; Group member order. Case-insensitive parts are case-normalised (IRI scheme
    and host, percent-escape hex, mbox domain, mbox_sha1sum, UUIDs, language tags). Durations
    count to 0.01 s, a lone contextActivities object equals a one-item array, numbers compare
    by value. result and context are compared (checklist §17). 1.0.3 Data §2.3.1, §4.6;
    2.0 LRS §4.2; checklist §4.17, §5.3, §16.5.

    Args:
        statement: a Statement (normally one that passed validation).

    Returns:
        An opaque value, equal for equivalent Statements and usable as a dict key.
    """
    return _object(statement, _STATEMENT_HANDLERS)


def equivalent(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Tell whether two Statements are equivalent (same equivalence key).

    Args:
        a: one Statement.
        b: the other Statement.

    Returns:
        True when the Statements differ only where the immutability exceptions allow.
    """
    return equivalence_key(a) == equivalence_key(b)


@functools.lru_cache(maxsize=32768)
def normalise_iri(iri: str) -> str:
    """Return an IRI with RFC 3987 §5.3.2.1 case normalisation applied.

    Lower-cases the scheme and the host, and upper-cases the hex digits of percent-escapes;
    nothing scheme- or protocol-specific (1.0.3 Data §3.1; 2.0 LRS §4.2.7).

    Args:
        iri: an absolute IRI.

    Returns:
        The IRI in comparison form.

    Cached: the same verbs and activities recur in statement after statement.
    """
    colon = iri.find(":")
    if colon <= 0:
        return iri
    rest = iri[colon + 1 :]
    if rest.startswith("//"):
        end = len(rest)
        for delimiter in "/?#":
            found = rest.find(delimiter, 2)
            if found != -1 and found < end:
                end = found
        authority = rest[2:end]
        at = authority.rfind("@") + 1  # userinfo stays case-sensitive
        rest = "//" + authority[:at] + authority[at:].lower() + rest[end:]
    if "%" in rest:
        rest = _PERCENT_ESCAPE.sub(_upper_match, rest)
    return iri[:colon].lower() + ":" + rest


def _upper_match(match: re.Match[str]) -> str:
    return match.group().upper()


def _mbox(value: Any) -> EquivalenceKey:
    """Return a mailto IRI with scheme and e-mail domain lower-cased (1.0.3 Data §2.4.2.3)."""
    if not isinstance(value, str):
        return _json(value)
    at = value.rfind("@")
    if at == -1:
        return value
    colon = value.find(":")
    return value[: colon + 1].lower() + value[colon + 1 : at + 1] + value[at + 1 :].lower()


def _iri(value: Any) -> EquivalenceKey:
    return normalise_iri(value) if isinstance(value, str) else _json(value)


def _lower(value: Any) -> EquivalenceKey:
    return value.lower() if isinstance(value, str) else _json(value)


def _duration(value: Any) -> EquivalenceKey:
    """Return a duration with seconds truncated to 0.01 s (1.0.3 Data §4.6; checklist §4.17)."""
    if not isinstance(value, str):
        return _json(value)
    match = _DURATION_SECONDS.search(value)
    if match is None:
        return value
    fraction = match.group(2)[:2].rstrip("0")
    seconds = match.group(1) + ("." + fraction if fraction else "")
    return value[: match.start()] + seconds + "S"


def _timestamp(value: Any) -> EquivalenceKey:
    """Return the instant of a timestamp, so only its zone serialization is ignored."""
    if not isinstance(value, str):
        return _json(value)
    try:
        return format_timestamp(parse_timestamp(value))
    except ValueError:
        return value


def _json(value: Any) -> EquivalenceKey:
    """Return the canonical form of any JSON value: key order is ignored, array order kept."""
    if isinstance(value, dict):
        return (_OBJECT, tuple(sorted([(k, _json(v)) for k, v in value.items()], key=_first)))
    if isinstance(value, list):
        return (_ARRAY, tuple([_json(item) for item in value]))
    if isinstance(value, bool):
        return (_BOOL, value)
    return value


def _object(value: Any, handlers: Mapping[str, _Handler | None]) -> EquivalenceKey:
    """Return the canonical form of a JSON object, keys mapped by `handlers` (None = ignore)."""
    if not isinstance(value, dict):
        return _json(value)
    items = []
    for key, item in value.items():
        handler = handlers.get(key, _json)
        if handler is not None:
            items.append((key, handler(item)))
    items.sort(key=_first)
    return (_OBJECT, tuple(items))


def _extensions(value: Any) -> EquivalenceKey:
    """Return extensions with IRI keys normalised and values compared as JSON (§4.17)."""
    if not isinstance(value, dict):
        return _json(value)
    items = sorted([(normalise_iri(k), _json(v)) for k, v in value.items()], key=_first)
    return (_OBJECT, tuple(items))


def _account(value: Any) -> EquivalenceKey:
    return _object(value, _ACCOUNT_HANDLERS)


def _member_list(value: Any) -> EquivalenceKey:
    """Return Group members as a multiset: order never counts (1.0.3 Data §2.4.2.2)."""
    if not isinstance(value, list):
        return _json(value)
    return (_MULTISET, frozenset(Counter([_agent(member) for member in value]).items()))


_AGENT_HANDLERS: dict[str, _Handler | None] = {
    "objectType": None,  # added back below with its default
    "mbox": _mbox,
    "mbox_sha1sum": _lower,
    "openid": _iri,
    "account": _account,
    "member": _member_list,
}


def _agent(value: Any) -> EquivalenceKey:
    """Return an Agent or Group; an absent objectType means Agent (1.0.3 Data §2.4.2.1)."""
    if not isinstance(value, dict):
        return _json(value)
    return (value.get("objectType", "Agent"), _object(value, _AGENT_HANDLERS))


def _activity(value: Any) -> EquivalenceKey:
    """Return an Activity by its id alone: definitions are not part of a Statement (§5.3)."""
    if not isinstance(value, dict):
        return _json(value)
    return ("Activity", _object(value, _ACTIVITY_HANDLERS))


def _verb(value: Any) -> EquivalenceKey:
    # Verb display is not part of the Statement (1.0.3 Data §2.3.1, §2.4.3).
    return _object(value, _VERB_HANDLERS)


def _statement_ref(value: Any) -> EquivalenceKey:
    return _object(value, _STATEMENT_REF_HANDLERS)


def _activity_list(value: Any) -> EquivalenceKey:
    """Return a contextActivities value; a lone Activity equals a one-item array (§4.12)."""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return _json(value)
    return (_ARRAY, tuple([_activity(item) for item in value]))


def _context_activities(value: Any) -> EquivalenceKey:
    if not isinstance(value, dict):
        return _json(value)
    items = sorted([(k, _activity_list(v)) for k, v in value.items()], key=_first)
    return (_OBJECT, tuple(items))


def _relevant_types(value: Any) -> EquivalenceKey:
    if not isinstance(value, list):
        return _json(value)
    return (_ARRAY, tuple([_iri(item) for item in value]))


def _context_agents(value: Any) -> EquivalenceKey:
    # 2.0 LRS §4.2.2.5 contextAgents / contextGroups.
    if not isinstance(value, list):
        return _json(value)
    return (_ARRAY, tuple([_object(item, _CONTEXT_AGENT_HANDLERS) for item in value]))


_ACCOUNT_HANDLERS: dict[str, _Handler | None] = {"homePage": _iri}
_ACTIVITY_HANDLERS: dict[str, _Handler | None] = {
    "objectType": None,
    "id": _iri,
    "definition": None,
}
_VERB_HANDLERS: dict[str, _Handler | None] = {"id": _iri, "display": None}
_STATEMENT_REF_HANDLERS: dict[str, _Handler | None] = {"id": _lower}
_CONTEXT_AGENT_HANDLERS: dict[str, _Handler | None] = {
    "agent": _agent,
    "group": _agent,
    "relevantTypes": _relevant_types,
}
_CONTEXT_HANDLERS: dict[str, _Handler | None] = {
    "registration": _lower,
    "instructor": _agent,
    "team": _agent,
    "contextActivities": _context_activities,
    "language": _lower,
    "statement": _statement_ref,
    "extensions": _extensions,
    "contextAgents": _context_agents,
    "contextGroups": _context_agents,
}

_RESULT_HANDLERS: dict[str, _Handler | None] = {
    "duration": _duration,
    "extensions": _extensions,
}


def _context(value: Any) -> EquivalenceKey:
    return _object(value, _CONTEXT_HANDLERS)


def _result(value: Any) -> EquivalenceKey:
    return _object(value, _RESULT_HANDLERS)


def _sub_statement(value: Any) -> EquivalenceKey:
    return ("SubStatement", _object(value, _SUB_STATEMENT_HANDLERS))


def _statement_object(value: Any) -> EquivalenceKey:
    """Dispatch on objectType; no objectType means Activity (1.0.3 Data §2.4.4)."""
    if not isinstance(value, dict):
        return _json(value)
    object_type = value.get("objectType", "Activity")
    if object_type == "Activity":
        return _activity(value)
    if object_type in ("Agent", "Group"):
        return _agent(value)
    if object_type == "StatementRef":
        return _statement_ref(value)
    if object_type == "SubStatement":
        return _sub_statement(value)
    return _json(value)


_STATEMENT_HANDLERS: dict[str, _Handler | None] = {
    "actor": _agent,
    "verb": _verb,
    "object": _statement_object,
    "result": _result,
    "context": _context,
    **dict.fromkeys(_IGNORED_TOP),
}

# SubStatements have no id/stored/authority/version (validation refuses them); its timestamp is
# its author's data, not LRS-filled, so only the zone serialization is ignored (1.0.3 Data §2.3.1).
_SUB_STATEMENT_HANDLERS: dict[str, _Handler | None] = {
    **_STATEMENT_HANDLERS,
    "timestamp": _timestamp,
}
