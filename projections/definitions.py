"""Canonical Activity definitions and Persons from statements: what counts, how they merge.

The `definitions` read model keeps, per tenant:

- one canonical **Activity definition** per Activity id, the ids compared as statements
  compare IRIs (scheme and host case-insensitive, `normalise_iri`), and
- one **Person** per Agent identifier (IFI, compared as the statement filters compare them,
  `ifi_key`): the names and the identifier the statements gave that Agent.

What a statement contributes, in this order (later wins where a rule says "later"):

- Activities: the object, then the context's `contextActivities` lists (parent, grouping,
  category, other), then inside a SubStatement its object and its context's lists. An Activity
  without a definition (or with `{}`) contributes nothing.
- Agents ("seen"): the actor, an Agent object, the context's instructor and team, 2.0
  `contextAgents[].agent` and `contextGroups[].group`, the same places inside a SubStatement,
  and the members of every Group found there. A Group itself is not a Person (`/agents` takes
  Agents only), and `authority` is not looked at: the ledger fills it from the credential, so it
  tells nothing about a learner.
- Voided statements keep their contributions (xAPI 1.0.3 Data §2.3.2 makes undoing them a MAY):
  voiding retracts a statement's claim about an experience, not what it said an Activity is,
  and undoing would make a definition depend on statements that arrive later.

Merge rules for a definition (1.0.3 Data §2.4.4.1; checklist §5.5; CTS v2_0 4.1.6.4):

- `name`, `description`: language maps merged key by key; a later statement's value wins for a
  language it gives (tags compared case-insensitively; the later spelling is kept). Small fixes
  such as spelling are applied (§5.5 MAY).
- `type`, `moreInfo`: a later statement that gives one replaces it.
- `extensions`: merged key by key (keys compared as IRIs); a later value wins for its key.
- `interactionType`: set by the first definition that gives one and never changed.
  `correctResponsesPattern` and the component lists (`choices`, `scale`, `source`, `target`,
  `steps`) are set by the first definition that gives them with that same interactionType, and
  never replaced afterwards: these are the "significant changes" §5.5 says not to apply.
  Component descriptions are language maps too: merged key by key for components of the same
  `id` when the later definition has the same interactionType; no component is added or removed.

A Person keeps the identifier as first seen (`mbox`, `mbox_sha1sum`, `openid` or `account`) and
the distinct names seen with it, in the order first seen, at most `MAX_NAMES`. Without identity
links (a later issue) a Person has exactly one identifier.

Every rule depends only on the statements and their log order, so deriving again from position
0 gives the same rows as keeping up batch by batch. For the same reason two SHOULDs are not
followed: an Activity id that is a URL is not fetched for its metadata (1.0.3 Data §3.2: the
rows would depend on the network and on when they were built, and the ledger would fetch any
URL a client names; it would have to be recorded as events first), and the OAuth `define`
scope (1.0.3 Comm §4.2, gone in 2.0) is not consulted: any credential that may write
statements contributes, since the events do not carry the writer's scopes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.xapi.equivalence import normalise_iri
from ledger.xapi.ifi import IFIS, ifi_key

NAME = "definitions"
#: Bump when the rules change: `db migrate` then derives the rows again from the log.
VERSION = 1
#: The most names a Person keeps (the first ones seen): one agent seen under ever new names
#: must not grow a row without bound.
MAX_NAMES = 100

_CONTEXT_LISTS = ("parent", "grouping", "category", "other")
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
#: The keys of a Person, in the order they are answered (1.0.3 Comm §2.4).
PERSON_KEYS = ("name", *IFIS)

Json = dict[str, Any]


# -- what a statement carries -----------------------------------------------------------------


def _context_activities(context: Any) -> Iterator[Json]:
    if not isinstance(context, dict):
        return
    lists = context.get("contextActivities")
    if not isinstance(lists, dict):
        return
    for name in _CONTEXT_LISTS:
        value = lists.get(name)
        for activity in value if isinstance(value, list) else (value,) if value else ():
            if isinstance(activity, dict):
                yield activity


def activities_of(statement: Mapping[str, Any]) -> Iterator[Json]:
    """Yield the Activity objects of a statement in merge order (see the module docstring)."""
    obj = statement["object"]
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        yield obj
    yield from _context_activities(statement.get("context"))
    if kind == "SubStatement":
        inner = obj["object"]
        if inner.get("objectType", "Activity") == "Activity":
            yield inner
        yield from _context_activities(obj.get("context"))


def definitions_of(statement: Mapping[str, Any]) -> Iterator[tuple[str, Json]]:
    """Yield (Activity id in comparison form, definition) for each non-empty definition."""
    for activity in activities_of(statement):
        definition = activity.get("definition")
        if isinstance(definition, dict) and definition:
            yield normalise_iri(activity["id"]), definition


def _actors(part: Mapping[str, Any]) -> Iterator[Json]:
    """Agents and Groups of a statement or SubStatement, without looking inside Groups."""
    yield part["actor"]
    obj = part["object"]
    if obj.get("objectType") in ("Agent", "Group"):
        yield obj
    context = part.get("context")
    if isinstance(context, dict):
        for key in ("instructor", "team"):
            if isinstance(context.get(key), dict):
                yield context[key]
        for item in context.get("contextAgents", ()):
            yield item["agent"]
        for item in context.get("contextGroups", ()):
            yield item["group"]
    if obj.get("objectType") == "SubStatement":
        yield from _actors(obj)


def agents_of(statement: Mapping[str, Any]) -> Iterator[Json]:
    """Yield every Agent a statement mentions (Group members included; Groups not)."""
    for actor in _actors(statement):
        if actor.get("objectType") == "Group":
            yield from (m for m in actor.get("member", ()) if isinstance(m, dict))
        else:
            yield actor


# -- merging ------------------------------------------------------------------------------


def _merge_map(
    old: Mapping[str, Any] | None, new: Mapping[str, Any], norm: Callable[[str], str]
) -> Json:
    """Merge `new` into `old` key by key, keys compared by `norm`; `new` wins, order kept."""
    if not old:
        return dict(new)
    incoming = {norm(key): key for key in new}
    out: Json = {}
    for key, value in old.items():
        replacing = incoming.pop(norm(key), None)
        if replacing is None:
            out[key] = value
        else:
            out[replacing] = new[replacing]
    for key in incoming.values():
        out[key] = new[key]
    return out


def _lower(tag: str) -> str:
    return tag.lower()


def _merge_components(old: list[Any], new: list[Any]) -> list[Any]:
    """Merge the descriptions of components with the same id; the list stays as it was."""
    given = {c["id"]: c for c in new if isinstance(c, dict) and "description" in c}
    out = []
    for component in old:
        later = given.get(component.get("id")) if isinstance(component, dict) else None
        if later is None:
            out.append(component)
        else:
            description = _merge_map(component.get("description"), later["description"], _lower)
            out.append({**component, "description": description})
    return out


def merge_definition(canonical: Mapping[str, Any] | None, incoming: Mapping[str, Any]) -> Json:
    """Return the canonical definition after a later statement's `incoming` definition.

    See the module docstring for the rules; neither argument is modified.
    """
    # Shallow: nested maps and lists are replaced, never changed in place.
    out: Json = dict(canonical) if canonical else {}
    for key in ("name", "description"):
        if key in incoming:
            out[key] = _merge_map(out.get(key), incoming[key], _lower)
    for key in ("type", "moreInfo"):
        if key in incoming:
            out[key] = incoming[key]
    if "extensions" in incoming:
        out["extensions"] = _merge_map(out.get("extensions"), incoming["extensions"], normalise_iri)
    interaction = incoming.get("interactionType")
    if interaction is None:
        return out
    # 1.0.3 Data §2.4.4.1: significant changes (interaction type, correct responses,
    # components) from later statements are not applied (checklist §5.5 SHOULD NOT).
    out.setdefault("interactionType", interaction)
    if out["interactionType"] != interaction:
        return out
    if "correctResponsesPattern" in incoming and "correctResponsesPattern" not in out:
        out["correctResponsesPattern"] = list(incoming["correctResponsesPattern"])
    for key in _COMPONENT_LISTS:
        if key not in incoming:
            continue
        if key in out:
            out[key] = _merge_components(out[key], incoming[key])
        else:
            out[key] = copy.deepcopy(incoming[key])
    return out


def ifi_of(agent: Mapping[str, Any]) -> tuple[str, Any]:
    """Return the (property, value) of an Agent's identifier; it has exactly one (§4.2)."""
    for key in IFIS:
        if key in agent:
            return key, agent[key]
    raise ValueError("an Agent without an identifier")


def merge_person(person: Mapping[str, Any] | None, agent: Mapping[str, Any]) -> Json:
    """Return a Person (without objectType) after seeing `agent` once more.

    The identifier is kept as first seen; a name not seen before is added, up to `MAX_NAMES`.
    """
    if person is None:
        key, value = ifi_of(agent)
        out: Json = {"name": [], key: [copy.deepcopy(value)]}
    else:
        out = {**person, "name": list(person.get("name", ()))}
    name = agent.get("name")
    if isinstance(name, str) and name not in out["name"] and len(out["name"]) < MAX_NAMES:
        out["name"].append(name)
    return out


def person_object(person: Mapping[str, Any]) -> Json:
    """Return the Person object of the Agents resource: only keys with values (Comm §2.4)."""
    out: Json = {"objectType": "Person"}
    for key in PERSON_KEYS:
        if person.get(key):
            out[key] = person[key]
    return out


# -- folding a batch ----------------------------------------------------------------------


@dataclass
class Row:
    """One row of the read model: its JSON value, how many statements fed it, the last one."""

    value: Json
    statements: int
    position: int


@dataclass(frozen=True)
class Contribution:
    """What one statement gives the read model, worked out once and before any lock."""

    tenant: str
    position: int
    #: (Activity id in comparison form, definition), in merge order.
    definitions: list[tuple[str, Json]]
    #: (IFI key, Agent), in the order seen.
    agents: list[tuple[str, Json]]


def contribution(tenant: str, position: int, statement: Mapping[str, Any]) -> Contribution:
    """Return what a statement recorded at `position` contributes (module docstring)."""
    agents = [(key, agent) for agent in agents_of(statement) if (key := ifi_key(agent))]
    return Contribution(tenant, position, list(definitions_of(statement)), agents)


@dataclass
class Batch:
    """The rows a batch of statements changes, folded in log order.

    `activities` and `persons` are keyed by (tenant, key); the caller first fills them with
    the stored rows of the keys the contributions name.
    """

    activities: dict[tuple[str, str], Row] = field(default_factory=dict)
    persons: dict[tuple[str, str], Row] = field(default_factory=dict)

    def apply(self, given: Contribution) -> None:
        """Fold one statement's contribution in; a statement counts once per row it feeds."""
        tenant, position = given.tenant, given.position
        touched: set[str] = set()
        for activity_id, definition in given.definitions:
            row = self.activities.get((tenant, activity_id))
            merged = merge_definition(row.value if row else None, definition)
            count = (row.statements if row else 0) + (activity_id not in touched)
            self.activities[(tenant, activity_id)] = Row(merged, count, position)
            touched.add(activity_id)
        seen: set[str] = set()
        for key, agent in given.agents:
            row = self.persons.get((tenant, key))
            count = (row.statements if row else 0) + (key not in seen)
            merged = merge_person(row.value if row else None, agent)
            self.persons[(tenant, key)] = Row(merged, count, position)
            seen.add(key)
