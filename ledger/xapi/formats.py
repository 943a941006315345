"""Output formats of GET /statements (exact, ids, canonical) and Accept-Language parsing."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ledger.errors import InvalidInputError, Problem
from ledger.xapi.ifi import IFIS

FORMATS = ("exact", "ids", "canonical")

Languages = list[tuple[str, float]]
_Transform = Callable[[dict[str, Any]], dict[str, Any]]

_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
# RFC 7231 §5.3.5 language-range (RFC 4647 §2.1) and §5.3.1 qvalue.
_LANGUAGE_RANGE = re.compile(r"\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_QVALUE = re.compile(r"0(?:\.\d{0,3})?|1(?:\.0{0,3})?")


def format_statement(
    statement: dict[str, Any],
    fmt: str,
    languages: Languages | None = None,
    *,
    definitions: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return a stored Statement in the asked GET format (1.0.3 Comm §2.1.3; checklist §7.3).

    `exact` returns the Statement unchanged. `ids` cuts Agents and Groups to objectType + IFI
    (anonymous Groups keep their members, each cut the same way), Activities to id (objectType
    only when it was sent) and Verbs to id. `canonical` replaces each Activity definition by the
    canonical one from `definitions` when known (else keeps the Statement's own) and leaves one
    language in every language map of definitions and in verb display, chosen map by map from
    `languages`. The input is never modified.

    Args:
        statement: a stored Statement.
        fmt: "exact", "ids" or "canonical".
        languages: Accept-Language preferences from `parse_accept_language`; used by canonical.
        definitions: canonical Activity definitions by Activity id; used by canonical.

    Returns:
        The Statement in the asked format.

    Raises:
        InvalidInputError: `fmt` is not one of the three formats.
    """
    if fmt == "exact":
        return statement
    if fmt == "ids":
        return _statement(statement, _ids_agent, _ids_activity, _ids_verb)
    if fmt == "canonical":
        prefs = _Preferences(languages or [])

        def activity(value: dict[str, Any]) -> dict[str, Any]:
            return _canonical_activity(value, prefs, definitions)

        def verb(value: dict[str, Any]) -> dict[str, Any]:
            return _canonical_verb(value, prefs)

        return _statement(statement, None, activity, verb)
    raise InvalidInputError(
        f"format must be one of {', '.join(FORMATS)}",
        [Problem("/format", f"unknown format {fmt!r}")],
    )


def parse_accept_language(header: str | None) -> Languages:
    """Parse an Accept-Language header into (language range, q) pairs, best first.

    Follows RFC 7231 §5.3.5: items are `range[;q=value]`, q defaults to 1; items with q=0 are
    kept (they exclude a language). Malformed items are skipped; this never raises. Equal q
    values keep their header order.

    Args:
        header: the header value, or None when absent.

    Returns:
        The ranges sorted by descending q.
    """
    if not header:
        return []
    parsed: Languages = []
    for item in header.split(","):
        parts = [part.strip() for part in item.split(";")]
        if not _LANGUAGE_RANGE.fullmatch(parts[0]):
            continue
        q = 1.0
        if len(parts) == 2:
            name, _, value = parts[1].partition("=")
            if name.strip().lower() != "q" or not _QVALUE.fullmatch(value.strip()):
                continue
            q = float(value)
        elif len(parts) > 2:
            continue
        parsed.append((parts[0], q))
    parsed.sort(key=lambda pair: -pair[1])
    return parsed


def _statement(
    statement: dict[str, Any],
    agent: _Transform | None,
    activity: _Transform,
    verb: _Transform,
) -> dict[str, Any]:
    """Return a copy of a Statement (or SubStatement) with each part transformed."""
    out = dict(statement)
    if agent is not None:
        for key in ("actor", "authority"):
            if isinstance(out.get(key), dict):
                out[key] = agent(out[key])
    if isinstance(out.get("verb"), dict):
        out["verb"] = verb(out["verb"])
    obj = out.get("object")
    if isinstance(obj, dict):
        object_type = obj.get("objectType", "Activity")
        if object_type == "Activity":
            out["object"] = activity(obj)
        elif object_type in ("Agent", "Group") and agent is not None:
            out["object"] = agent(obj)
        elif object_type == "SubStatement":
            out["object"] = _statement(obj, agent, activity, verb)
    if isinstance(out.get("context"), dict):
        out["context"] = _context(out["context"], agent, activity)
    return out


def _context(
    context: dict[str, Any], agent: _Transform | None, activity: _Transform
) -> dict[str, Any]:
    out = dict(context)
    if agent is not None:
        for key in ("instructor", "team"):
            if isinstance(out.get(key), dict):
                out[key] = agent(out[key])
        # 2.0 LRS §4.2.2.5: contextAgents[].agent and contextGroups[].group (checklist §16.3).
        for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
            if isinstance(out.get(key), list):
                out[key] = [_replace(item, inner, agent) for item in out[key]]
    activities = out.get("contextActivities")
    if isinstance(activities, dict):
        out["contextActivities"] = {
            key: _each_activity(value, activity) for key, value in activities.items()
        }
    return out


def _each_activity(value: Any, activity: _Transform) -> Any:
    """Transform a contextActivities value, keeping its shape: one object or an array."""
    if isinstance(value, list):
        return [activity(item) if isinstance(item, dict) else item for item in value]
    if isinstance(value, dict):
        return activity(value)
    return value


def _replace(item: Any, key: str, transform: _Transform) -> Any:
    if isinstance(item, dict) and isinstance(item.get(key), dict):
        return {**item, key: transform(item[key])}
    return item


def _ids_agent(agent: dict[str, Any]) -> dict[str, Any]:
    """Cut an Agent or Group to objectType + IFI; anonymous Groups keep cut members."""
    object_type = agent.get("objectType", "Agent")
    out: dict[str, Any] = {"objectType": object_type}
    has_ifi = False
    for key in IFIS:
        if key in agent:
            out[key] = agent[key]
            has_ifi = True
    if object_type == "Group" and not has_ifi and isinstance(agent.get("member"), list):
        out["member"] = [_ids_agent(m) if isinstance(m, dict) else m for m in agent["member"]]
    return out


def _ids_activity(activity: dict[str, Any]) -> dict[str, Any]:
    out = {"objectType": activity["objectType"]} if "objectType" in activity else {}
    if "id" in activity:
        out["id"] = activity["id"]
    return out


def _ids_verb(verb: dict[str, Any]) -> dict[str, Any]:
    # 1.0.3 Data §2.4.3: no display in ids format.
    return {"id": verb["id"]} if "id" in verb else {}


class _Preferences:
    """Accept-Language preferences, matched against the keys of one language map at a time."""

    def __init__(self, languages: Languages) -> None:
        self.ranges = [r.lower() for r, q in languages if q > 0]
        self.excluded = {r.lower() for r, q in languages if q <= 0 and r != "*"}

    def choose(self, tags: list[str]) -> str:
        """Return the best tag of a non-empty list of language-map keys."""
        lowered = [tag.lower() for tag in tags]
        for wanted in self.ranges:
            if wanted == "*":
                for tag, low in zip(tags, lowered, strict=True):
                    if low not in self.excluded:
                        return tag
                continue
            # RFC 4647 §3.3.1 basic filtering: equal, or the range is a prefix ending at "-".
            for tag, low in zip(tags, lowered, strict=True):
                if (low == wanted or low.startswith(wanted + "-")) and low not in self.excluded:
                    return tag
            # RFC 4647 §3.4 lookup fallback: drop subtags from the range's end.
            truncated = wanted
            while "-" in truncated:
                truncated = truncated.rsplit("-", 1)[0]
                if truncated in lowered and truncated not in self.excluded:
                    return tags[lowered.index(truncated)]
        return tags[0]

    def reduce(self, language_map: Any) -> Any:
        """Return a language map cut to its single best language (maps of <= 1 stay as is)."""
        if not isinstance(language_map, dict) or len(language_map) <= 1:
            return language_map
        tag = self.choose(list(language_map))
        return {tag: language_map[tag]}


def _canonical_verb(verb: dict[str, Any], prefs: _Preferences) -> dict[str, Any]:
    # 1.0.3 Comm §2.1.3: canonical verb display, one language only (checklist §7.3).
    if "display" not in verb:
        return verb
    return {**verb, "display": prefs.reduce(verb["display"])}


def _canonical_activity(
    activity: dict[str, Any],
    prefs: _Preferences,
    definitions: Mapping[str, dict[str, Any]] | None,
) -> dict[str, Any]:
    """Return an Activity with the canonical definition, each language map cut to one."""
    definition = activity.get("definition")
    if definitions is not None and activity.get("id") in definitions:
        definition = definitions[activity["id"]]
    if not isinstance(definition, dict):
        return activity
    out = dict(definition)
    for key in ("name", "description"):
        if key in out:
            out[key] = prefs.reduce(out[key])
    for key in _COMPONENT_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_canonical_component(c, prefs) for c in out[key]]
    return {**activity, "definition": out}


def _canonical_component(component: Any, prefs: _Preferences) -> Any:
    if isinstance(component, dict) and "description" in component:
        return {**component, "description": prefs.reduce(component["description"])}
    return component
