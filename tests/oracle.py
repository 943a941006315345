"""An in-memory reading of GET /xapi/statements filter semantics, written from the checklist."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

Json = Mapping[str, Any]

#: 1.0.3 Data §2.3.2 (checklist §6): the verb of a voiding Statement.
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
_CONTEXT_LISTS = ("parent", "grouping", "category", "other")
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:(Z)|([+-])(\d\d):(\d\d))$"
)
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- comparison keys ---------------------------------------------------------------------


def iri_key(iri: str) -> str:
    """Compare IRIs after RFC 3987 §5.3.2.1 case normalisation (checklist §16.4, 2.0 LRS §4.2.7).

    Scheme and host are case-insensitive, and so are the hex digits of percent-escapes;
    everything else (path, query, userinfo) is compared as written.
    """
    scheme, sep, rest = iri.partition(":")
    if not sep:
        return iri
    if rest.startswith("//"):
        authority, tail = rest[2:], ""
        for index, char in enumerate(authority):
            if char in "/?#":
                authority, tail = authority[:index], authority[index:]
                break
        userinfo, at, host = authority.rpartition("@")
        rest = "//" + userinfo + at + host.lower() + tail
    rest = _ESCAPE.sub(lambda m: m.group().upper(), rest)
    return scheme.lower() + ":" + rest


def uuid_key(value: str) -> str:
    """UUIDs are case-insensitive on input (RFC 4122 §3; checklist §4.1)."""
    return value.lower()


def ifi(agent: Json) -> tuple[str, ...] | None:
    """The identity of an Agent or Identified Group, None for an Anonymous Group (§4.3, §7.2).

    mbox: the e-mail domain (and the `mailto` scheme) compare case-insensitively, the local
    part as written; mbox_sha1sum: hex, either case; openid: as written; account: homePage
    as an IRI plus name as written.
    """
    if "mbox" in agent:
        scheme, _, address = agent["mbox"].partition(":")
        local, at, domain = address.rpartition("@")
        return ("mbox", scheme.lower() + ":" + local + at + domain.lower())
    if "mbox_sha1sum" in agent:
        return ("mbox_sha1sum", agent["mbox_sha1sum"].lower())
    if "openid" in agent:
        return ("openid", agent["openid"])
    if "account" in agent:
        account = agent["account"]
        return ("account", iri_key(account["homePage"]), account["name"])
    return None


def identities(agent: Json) -> Iterator[tuple[str, ...]]:
    """The identities an Agent/Group stands for: its own and its members' (§7.2)."""
    own = ifi(agent)
    if own is not None:
        yield own
    for member in agent.get("member", ()):
        key = ifi(member)
        if key is not None:
            yield key


def parse_instant(text: str) -> Fraction:
    """Return an ISO 8601 timestamp as exact seconds since the epoch (checklist §4.13)."""
    match = _TIMESTAMP.match(text)
    if match is None:
        raise ValueError(f"not a timestamp this oracle reads: {text!r}")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    if match.group(9):
        offset = timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        moment -= offset if match.group(9) == "+" else -offset
    whole = (moment - _EPOCH) // timedelta(seconds=1)
    fraction = match.group(7) or "0"
    return whole + Fraction(int(fraction), 10 ** len(fraction))


def format_instant(instant: Fraction, offset_minutes: int = 0, digits: int = 3) -> str:
    """Write exact seconds since the epoch as a timestamp with the given offset and digits."""
    whole = instant.numerator // instant.denominator
    rest = instant - whole
    local = _EPOCH + timedelta(seconds=whole, minutes=offset_minutes)
    fraction = str(int(rest * 10**digits)).rjust(digits, "0") if digits else ""
    if offset_minutes:
        sign = "+" if offset_minutes > 0 else "-"
        hours, minutes = divmod(abs(offset_minutes), 60)
        zone = f"{sign}{hours:02d}:{minutes:02d}"
    else:
        zone = "Z"
    return local.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "") + zone


# --- what a Statement holds --------------------------------------------------------------


def _is_agent(obj: Json) -> bool:
    return obj.get("objectType") in ("Agent", "Group")


def _is_activity(obj: Json) -> bool:
    return obj.get("objectType", "Activity") == "Activity"


def _listed(value: Any) -> list[Json]:
    """A contextActivities value: one Activity or an array of them (checklist §4.12)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _context_agents(context: Json) -> Iterator[Json]:
    """instructor, team (1.0.3) and contextAgents/contextGroups (2.0, checklist §16.3)."""
    for name in ("instructor", "team"):
        if name in context:
            yield context[name]
    for item in context.get("contextAgents", ()):
        yield item["agent"]
    for item in context.get("contextGroups", ()):
        yield item["group"]


def _context_activities(context: Json) -> Iterator[Json]:
    lists = context.get("contextActivities", {})
    for name in _CONTEXT_LISTS:
        yield from _listed(lists.get(name))


def agents_of(statement: Json, related: bool) -> set[tuple[str, ...]]:
    """Identities an `agent` filter finds in a Statement (checklist §7.2, §16.3).

    Plain: actor and an Agent/Group object (members included). related_agents=true adds
    authority, instructor, team, contextAgents, contextGroups, and inside a SubStatement its
    actor, Agent/Group object and the same context places.
    """
    places: list[Json] = [statement["actor"]]
    obj = statement["object"]
    if _is_agent(obj):
        places.append(obj)
    if related:
        if "authority" in statement:
            places.append(statement["authority"])
        places.extend(_context_agents(statement.get("context", {})))
        if obj.get("objectType") == "SubStatement":
            places.append(obj["actor"])
            if _is_agent(obj["object"]):
                places.append(obj["object"])
            places.extend(_context_agents(obj.get("context", {})))
    return {key for place in places for key in identities(place)}


def activities_of(statement: Json, related: bool) -> set[str]:
    """Activity ids an `activity` filter finds in a Statement (checklist §7.2).

    Plain: the object, when it is an Activity. related_activities=true adds the four
    contextActivities lists and a SubStatement's Activity object and context activities.
    """
    found: list[Json] = []
    obj = statement["object"]
    if _is_activity(obj):
        found.append(obj)
    if related:
        found.extend(_context_activities(statement.get("context", {})))
        if obj.get("objectType") == "SubStatement":
            if _is_activity(obj["object"]):
                found.append(obj["object"])
            found.extend(_context_activities(obj.get("context", {})))
    return {iri_key(activity["id"]) for activity in found}


def voiding_target(statement: Json) -> str | None:
    """The id a voiding Statement voids (verb voided + StatementRef object; checklist §6)."""
    obj = statement["object"]
    if statement["verb"]["id"] == VOIDED and obj.get("objectType") == "StatementRef":
        return uuid_key(obj["id"])
    return None


def voided_ids(statements: Iterable[Json]) -> set[str]:
    """Ids of voided Statements: targeted by a stored voiding Statement, not voiding (§6)."""
    statements = list(statements)
    targets = {t for s in statements if (t := voiding_target(s)) is not None}
    return {
        uuid_key(s["id"])
        for s in statements
        if uuid_key(s["id"]) in targets and voiding_target(s) is None
    }


# --- the query -----------------------------------------------------------------------------


def _flag(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name, False)
    return value is True or value == "true"


class _Filters:
    """The non-time filters of a query (checklist §7.2); they combine with AND."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        agent = params.get("agent")
        if isinstance(agent, str):
            agent = json.loads(agent)
        self.agent = ifi(agent) if agent is not None else None
        self.verb = iri_key(params["verb"]) if "verb" in params else None
        self.activity = iri_key(params["activity"]) if "activity" in params else None
        registration = params.get("registration")
        self.registration = uuid_key(registration) if registration is not None else None
        self.related_agents = _flag(params, "related_agents")
        self.related_activities = _flag(params, "related_activities")

    def direct(self, statement: Json) -> bool:
        """Whether the Statement itself satisfies every non-time filter."""
        if self.agent is not None and self.agent not in agents_of(statement, self.related_agents):
            return False
        if self.verb is not None and iri_key(statement["verb"]["id"]) != self.verb:
            return False
        if self.activity is not None and self.activity not in activities_of(
            statement, self.related_activities
        ):
            return False
        if self.registration is not None:
            registration = statement.get("context", {}).get("registration")
            if registration is None or uuid_key(registration) != self.registration:
                return False
        return True


def matching_ids(
    statements: Sequence[Json], params: Mapping[str, Any], *, statement_refs: bool = True
) -> list[str]:
    """Return the ids GET /xapi/statements must return for `params`, in order (checklist §7).

    Args:
        statements: every stored Statement of the tenant, as fetched back (with `stored`),
            in the order they were stored (ties of `stored` are broken by this order).
        params: the query parameters as sent (strings; `agent` as JSON) or parsed: agent,
            verb, activity, registration, related_agents, related_activities, since, until,
            ascending. `limit` and `format` are ignored: this is the whole, unpaged answer.
        statement_refs: False leaves out the StatementRef rule (to tell when it mattered).

    Returns:
        Lower-cased statement ids: not voided (§6), stored in (since, until] (§7.2), matching
        the non-time filters themselves or through the target of their StatementRef object,
        recursively (the StatementRef rule: the target may be voided, its time is not
        looked at, `context.statement` never counts); newest first unless ascending.
    """
    filters = _Filters(params)
    by_id = {uuid_key(s["id"]): s for s in statements}
    voided = voided_ids(statements)

    def matches(statement: Json, seen: frozenset[str]) -> bool:
        if filters.direct(statement):
            return True
        obj = statement["object"]
        if not statement_refs or obj.get("objectType") != "StatementRef":
            return False
        target_id = uuid_key(obj["id"])
        target = by_id.get(target_id)
        if target is None or target_id in seen:
            return False
        return matches(target, seen | {target_id})

    since = parse_instant(params["since"]) if "since" in params else None
    until = parse_instant(params["until"]) if "until" in params else None
    found: list[tuple[Fraction, int, str]] = []
    for order, statement in enumerate(statements):
        statement_id = uuid_key(statement["id"])
        if statement_id in voided:
            continue
        stored = parse_instant(statement["stored"])
        if since is not None and not stored > since:
            continue
        if until is not None and not stored <= until:
            continue
        if matches(statement, frozenset({statement_id})):
            found.append((stored, order, statement_id))
    found.sort(reverse=not _flag(params, "ascending"))
    return [statement_id for _, _, statement_id in found]
