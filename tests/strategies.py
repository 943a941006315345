"""Hypothesis strategies for valid xAPI Statements and for single-fault invalid ones."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from hypothesis import strategies as st

Json = dict[str, Any]
Draw = Callable[..., Any]

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
INTERACTION_TYPES = (
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
)
# Component lists that fit each interactionType (1.0.3 Data §2.4.4.1; checklist §4.8).
_COMPONENTS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "choice": ("choices",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "matching": ("source", "target"),
    "performance": ("steps",),
}


# Strategies drawn inside composites are built once here: building one per draw is slow.
_BOOL = st.booleans()
_NAMES = st.text(max_size=10)
_ONE_IN_FOUR = st.integers(0, 3).map(lambda n: n == 0)
_ONE_IN_TEN = st.integers(0, 9).map(lambda n: n == 0)
_FRACTION_DIGITS = st.text("0123456789", min_size=1, max_size=9)


def _is_v2(version: str) -> bool:
    return version.startswith("2.")


# --- primitives -----------------------------------------------------------------------------

_SEGMENT_CHARS = [*"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"]
_SEGMENT_CHARS += ["é", "ß", "日本", "%20", "%C3%A9"]
_segments = st.lists(st.sampled_from(_SEGMENT_CHARS), min_size=1, max_size=6).map("".join)
_hosts = st.sampled_from(
    ["example.com", "Example.ORG", "lrs.example.net:8080", "xn--bcher-kva.example", "例え.jp"]
)
_SCHEMES = st.sampled_from(["http", "https", "HTTPS"])
_PATHS = st.lists(_segments, max_size=3)


@cache
@st.composite
def irls(draw: Draw) -> str:
    """Draw an absolute http(s) IRL, sometimes with query and fragment (checklist §4.17)."""
    scheme = draw(_SCHEMES)
    path = "/".join(draw(_PATHS))
    iri = f"{scheme}://{draw(_hosts)}/{path}"
    if draw(_BOOL):
        iri += "?" + draw(_segments) + "=" + draw(_segments)
    if draw(_BOOL):
        iri += "#" + draw(_segments)
    return iri


@cache
def iris() -> st.SearchStrategy[str]:
    """Return a strategy for absolute IRIs: IRLs, URNs and tag URIs (checklist §3, §4.17)."""
    return st.one_of(
        irls(),
        _segments.map(lambda s: f"urn:example:{s}"),
        _segments.map(lambda s: f"tag:example.com,2024:{s}"),
    )


_language_tags = st.builds(
    lambda lang, script, region, variant: "-".join(
        part for part in (lang, script, region, variant) if part
    ),
    st.sampled_from(["en", "fr", "de", "zh", "es", "sr", "ast", "und"]),
    st.sampled_from(["", "", "Latn", "Hans", "Cyrl"]),
    st.sampled_from(["", "", "US", "GB", "CH", "419", "cn"]),
    st.sampled_from(["", "", "", "1996", "oxendict"]),
) | st.sampled_from(["en-x-private", "EN-us", "zh-Hant-TW", "de-DE-u-co-phonebk"])


def language_tags() -> st.SearchStrategy[str]:
    """Return a strategy for well-formed BCP 47 tags (RFC 5646; checklist §4.12, §4.17)."""
    return _language_tags


@cache
def language_maps(min_size: int = 0) -> st.SearchStrategy[Json]:
    """Return a strategy for language maps; keys never differ only by case (checklist §4.17)."""
    return st.lists(
        st.tuples(_language_tags, st.text(max_size=12)),
        min_size=min_size,
        max_size=3,
        unique_by=lambda pair: pair[0].lower(),
    ).map(dict)


@cache
def uuids() -> st.SearchStrategy[str]:
    """Return a strategy for UUIDs of any version, hyphenated, either case (checklist §4.1)."""
    return st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper())


_json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


@cache
def extensions() -> st.SearchStrategy[Json]:
    """Return a strategy for extensions: IRI keys, any JSON values incl. null (§4.17)."""
    return st.dictionaries(iris(), _json_values, max_size=3)


_MOMENTS = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1))
_ZONES = st.sampled_from(["Z", "Z", "offset", "offset", "+00:00", ""])
_OFFSET_MINUTES = st.integers(-12 * 60, 14 * 60).filter(lambda m: m != 0)


@cache
@st.composite
def timestamps(draw: Draw) -> str:
    """Draw an ISO 8601 / RFC 3339 timestamp with various fractions and offsets (§4.13)."""
    moment = draw(_MOMENTS)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if draw(_BOOL):
        text += "." + draw(_FRACTION_DIGITS)
    zone = draw(_ZONES)
    if zone == "offset":
        minutes = draw(_OFFSET_MINUTES)
        sign = "+" if minutes > 0 else "-"
        hours, rest = divmod(abs(minutes), 60)
        zone = f"{sign}{hours:02d}:{rest:02d}"
    return text + zone


_DURATION_NUMBERS = st.integers(0, 999).map(str)


@cache
@st.composite
def durations(draw: Draw) -> str:
    """Draw an ISO 8601 §4.4.3.2 duration, seconds possibly finer than 0.01 s (§4.17)."""
    if draw(_ONE_IN_TEN):
        return f"P{draw(_DURATION_NUMBERS)}W"
    date = "".join(f"{draw(_DURATION_NUMBERS)}{unit}" for unit in "YMD" if draw(_BOOL))
    time = "".join(f"{draw(_DURATION_NUMBERS)}{unit}" for unit in "HM" if draw(_BOOL))
    if draw(_BOOL) or not (date or time):
        seconds = draw(_DURATION_NUMBERS)
        if draw(_BOOL):
            seconds += "." + draw(_FRACTION_DIGITS)
        time += seconds + "S"
    return "P" + date + ("T" + time if time else "")


# --- agents and groups ----------------------------------------------------------------------

_mboxes = st.builds(
    lambda local, domain: f"mailto:{local}@{domain}",
    st.from_regex(r"[a-zA-Z0-9]{1,8}([.+_-][a-zA-Z0-9]{1,6})?", fullmatch=True),
    st.sampled_from(["example.com", "Example.COM", "mail.example.org", "xn--bcher-kva.example"]),
)
_sha1sums = st.text("0123456789abcdef", min_size=40, max_size=40) | st.text(
    "0123456789ABCDEF", min_size=40, max_size=40
)


@cache
def accounts() -> st.SearchStrategy[Json]:
    """Return a strategy for account objects: homePage IRL + name (checklist §4.3)."""
    return st.fixed_dictionaries({"homePage": irls(), "name": st.text(max_size=10)})


@cache
def ifis() -> st.SearchStrategy[Json]:
    """Return a strategy for exactly one Inverse Functional Identifier (checklist §4.2, §4.3)."""
    return st.one_of(
        _mboxes.map(lambda v: {"mbox": v}),
        _sha1sums.map(lambda v: {"mbox_sha1sum": v}),
        irls().map(lambda v: {"openid": v}),
        accounts().map(lambda v: {"account": v}),
    )


@cache
@st.composite
def agents(draw: Draw, object_type: bool | None = None) -> Json:
    """Draw an Agent; `object_type` True/False forces objectType in or out (§4.2)."""
    agent: Json = {}
    if object_type or (object_type is None and draw(_BOOL)):
        agent["objectType"] = "Agent"
    agent.update(draw(ifis()))
    if draw(_BOOL):
        agent["name"] = draw(_NAMES)
    return agent


@cache
def _members(low: int, high: int) -> st.SearchStrategy[list[Json]]:
    return st.lists(agents(), min_size=low, max_size=high)


@cache
@st.composite
def identified_groups(draw: Draw) -> Json:
    """Draw an Identified Group: one IFI, optional name and members (checklist §4.4)."""
    group: Json = {"objectType": "Group", **draw(ifis())}
    if draw(_BOOL):
        group["name"] = draw(_NAMES)
    if draw(_BOOL):
        group["member"] = draw(_members(1, 3))
    return group


@cache
@st.composite
def anonymous_groups(draw: Draw, size: int | None = None) -> Json:
    """Draw an Anonymous Group: members, no IFI (checklist §4.4)."""
    low, high = (size, size) if size is not None else (1, 3)
    group: Json = {"objectType": "Group"}
    if draw(_BOOL):
        group["name"] = draw(_NAMES)
    group["member"] = draw(_members(low, high))
    return group


@cache
def groups() -> st.SearchStrategy[Json]:
    """Return a strategy for Identified or Anonymous Groups."""
    return identified_groups() | anonymous_groups()


@cache
def actors() -> st.SearchStrategy[Json]:
    """Return a strategy for actors: Agent (any IFI) or Group (checklist §4.2)."""
    return agents() | groups()


@cache
def authorities() -> st.SearchStrategy[Json]:
    """Return a strategy for authority: an Agent or an anonymous Group of two (§4.14)."""
    return agents() | anonymous_groups(size=2)


# --- verbs and activities -------------------------------------------------------------------


@cache
@st.composite
def verbs(draw: Draw) -> Json:
    """Draw a Verb: IRI id, optional display language map (checklist §4.5)."""
    verb: Json = {"id": draw(iris())}
    if draw(_BOOL):
        verb["display"] = draw(language_maps())
    return verb


@cache
def _components() -> st.SearchStrategy[list[Json]]:
    component = st.builds(
        lambda cid, description: {
            "id": cid,
            **({"description": description} if description else {}),
        },
        st.text(max_size=8),
        st.none() | language_maps(min_size=1),
    )
    return st.lists(component, max_size=4, unique_by=lambda c: c["id"])


_PLAIN_DEFINITIONS = st.fixed_dictionaries(
    {},
    optional={
        "name": language_maps(),
        "description": language_maps(),
        "type": iris(),
        "moreInfo": irls(),
        "extensions": extensions(),
    },
)
_INTERACTION_TYPES = st.sampled_from(INTERACTION_TYPES)
_PATTERNS = st.lists(st.text(max_size=12), max_size=3)


@cache
@st.composite
def definitions(draw: Draw) -> Json:
    """Draw an Activity definition, possibly an interaction with fitting lists (§4.7, §4.8)."""
    definition: Json = draw(_PLAIN_DEFINITIONS)
    if draw(_BOOL):
        interaction_type = draw(_INTERACTION_TYPES)
        definition["interactionType"] = interaction_type
        if draw(_BOOL):
            definition["correctResponsesPattern"] = draw(_PATTERNS)
        for key in _COMPONENTS_BY_TYPE.get(interaction_type, ()):
            if draw(_BOOL):
                definition[key] = draw(_components())
    return definition


@cache
@st.composite
def activities(draw: Draw, with_definition: bool = True) -> Json:
    """Draw an Activity with or without objectType and definition (checklist §4.7)."""
    activity: Json = {}
    if draw(_BOOL):
        activity["objectType"] = "Activity"
    activity["id"] = draw(iris())
    if with_definition and draw(_BOOL):
        activity["definition"] = draw(definitions())
    return activity


@cache
def statement_refs() -> st.SearchStrategy[Json]:
    """Return a strategy for StatementRefs (checklist §4.9)."""
    return uuids().map(lambda u: {"objectType": "StatementRef", "id": u})


# --- result and context ---------------------------------------------------------------------


_SCORE_NUMBERS = st.integers(-1000, 1000) | st.floats(-1e6, 1e6)
_BOUNDS = st.lists(_SCORE_NUMBERS, min_size=2, max_size=2, unique=True)
_SCALED = st.sampled_from([-1, 0, 1, -1.0, 1.0]) | st.floats(-1, 1)


@cache
@st.composite
def scores(draw: Draw) -> Json:
    """Draw a score: scaled in [-1, 1], min < max, raw between them (checklist §4.11)."""
    low, high = sorted(draw(_BOUNDS))
    score: Json = {}
    if draw(_BOOL):
        score["scaled"] = draw(_SCALED)
    has_min, has_max = draw(_BOOL), draw(_BOOL)
    if has_min:
        score["min"] = low
    if has_max:
        score["max"] = high
    if draw(_BOOL):
        if has_min or has_max:
            score["raw"] = draw(st.sampled_from([low, high]) | st.floats(low, high))
        else:
            score["raw"] = draw(_SCORE_NUMBERS)
    return score


@cache
def results() -> st.SearchStrategy[Json]:
    """Return a strategy for result objects, possibly empty (checklist §4.11)."""
    return st.fixed_dictionaries(
        {},
        optional={
            "score": scores(),
            "success": st.booleans(),
            "completion": st.booleans(),
            "response": st.text(max_size=12),
            "duration": durations(),
            "extensions": extensions(),
        },
    )


@cache
def _activity_lists() -> st.SearchStrategy[Any]:
    small = activities(with_definition=False) | activities()
    return small | st.lists(small, max_size=2)


@cache
def context_activities() -> st.SearchStrategy[Json]:
    """Return a strategy for contextActivities: single objects or arrays (checklist §4.12)."""
    return st.fixed_dictionaries(
        {},
        optional={key: _activity_lists() for key in ("parent", "grouping", "category", "other")},
    )


def _with_relevant_types(kind: str, key: str, inner: st.SearchStrategy[Json]) -> Any:
    return st.builds(
        lambda value, relevant: {
            "objectType": kind,
            key: value,
            **({"relevantTypes": relevant} if relevant else {}),
        },
        inner,
        st.none() | st.lists(iris(), min_size=1, max_size=2),
    )


@cache
def context_agents() -> st.SearchStrategy[list[Json]]:
    """Return a strategy for 2.0 contextAgents arrays (checklist §16.3)."""
    return st.lists(_with_relevant_types("contextAgent", "agent", agents()), max_size=2)


@cache
def context_groups() -> st.SearchStrategy[list[Json]]:
    """Return a strategy for 2.0 contextGroups arrays (checklist §16.3)."""
    return st.lists(_with_relevant_types("contextGroup", "group", groups()), max_size=2)


@cache
def contexts(version: str, object_is_activity: bool) -> st.SearchStrategy[Json]:
    """Return a strategy for context; revision/platform only with an Activity object (§4.12)."""
    optional: dict[str, st.SearchStrategy[Any]] = {
        "registration": uuids(),
        "instructor": agents() | groups(),
        "team": groups(),
        "contextActivities": context_activities(),
        "language": language_tags(),
        "statement": statement_refs(),
        "extensions": extensions(),
    }
    if object_is_activity:
        optional["revision"] = st.text(max_size=8)
        optional["platform"] = st.text(max_size=8)
    if _is_v2(version):
        optional["contextAgents"] = context_agents()
        optional["contextGroups"] = context_groups()
    return st.fixed_dictionaries({}, optional=optional)


# --- statements -----------------------------------------------------------------------------


@st.composite
def _body(draw: Draw, version: str, obj: Json) -> Json:
    """Draw actor, verb, result, context and timestamp around a given object."""
    voiding = obj.get("objectType") == "StatementRef" and draw(_BOOL)
    statement: Json = {
        "actor": draw(actors()),
        "verb": {"id": VOIDED} if voiding else draw(verbs()),
        "object": obj,
    }
    if draw(_BOOL):
        statement["result"] = draw(results())
    if draw(_BOOL):
        is_activity = obj.get("objectType", "Activity") == "Activity"
        statement["context"] = draw(contexts(version, is_activity))
    if draw(_BOOL):
        statement["timestamp"] = draw(timestamps())
    return statement


@cache
def _simple_objects() -> st.SearchStrategy[Json]:
    return st.one_of(
        activities(),
        agents(object_type=True),
        groups(),
        statement_refs(),
    )


@cache
@st.composite
def sub_statements(draw: Draw, version: str) -> Json:
    """Draw a SubStatement: no id/stored/version/authority, object not a SubStatement (§4.10)."""
    obj = draw(_simple_objects())
    return {"objectType": "SubStatement", **draw(_body(version, obj))}


_UUID4S = st.uuids(version=4).map(str)


@cache
def _statement_versions(version: str) -> st.SearchStrategy[str]:
    # Checklist §4.15, §16.1: the Statement's own version (not the request's).
    return st.sampled_from(["1.0.0", "1.0.3", "2.0.0"] if _is_v2(version) else ["1.0.0", "1.0.3"])


@cache
def _objects(version: str) -> st.SearchStrategy[Json]:
    # Weighted towards Activities (the common case, and where definitions live); shrinks to one.
    kinds = [activities()] * 4 + [agents(object_type=True), groups(), statement_refs()]
    kinds += [sub_statements(version)] * 2
    return st.sampled_from(kinds).flatmap(lambda kind: kind)


_SHA2_HEX = st.sampled_from([56, 64, 96, 128]).flatmap(
    lambda n: st.text("0123456789abcdefABCDEF", min_size=n, max_size=n)
)


@cache
def file_url_attachments() -> st.SearchStrategy[Json]:
    """Return a strategy for Attachment objects with a fileUrl (checklist §4.16, §8.1).

    Such attachments need no data part, so they travel in application/json requests.
    """
    required = {
        "usageType": iris(),
        "display": language_maps(),
        "contentType": st.sampled_from(["text/plain", "image/png", "text/plain; charset=ascii"]),
        "length": st.integers(0, 2**40),
        "sha2": _SHA2_HEX,
        "fileUrl": irls(),
    }
    return st.fixed_dictionaries(required, optional={"description": language_maps()})


@st.composite
def statements(draw: Draw, version: str) -> Json:
    """Draw a valid Statement for a request under `version` ("1.0.3" or "2.0.0").

    Covers the whole grammar; attachments are fileUrl ones (data parts are a multipart
    matter, tested in tests/api/test_attachments_api.py).
    """
    obj = draw(_objects(version))
    statement: Json = {}
    if draw(_BOOL):
        statement["id"] = draw(_UUID4S)
    statement.update(draw(_body(version, obj)))
    if draw(_ONE_IN_FOUR):
        statement["stored"] = draw(timestamps())
    if draw(_ONE_IN_FOUR):
        statement["authority"] = draw(authorities())
    if draw(_BOOL):
        statement["version"] = draw(_statement_versions(version))
    if draw(_ONE_IN_FOUR):
        statement["attachments"] = draw(st.lists(file_url_attachments(), max_size=2))
    return statement


# --- single-fault mutations -----------------------------------------------------------------

_BAD_UUIDS = [
    "not-a-uuid",
    "",
    "3f2504e04f8941d39a0c0305e82c3301",
    "{3f2504e0-4f89-41d3-9a0c-0305e82c3301}",
    "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    "3f2504e0-4f89-41d3-9a0c-0305e82c330",
    "3f2504e0-4f89-41d3-9a0c-0305e82c330g",
]
_BAD_TIMESTAMPS = [
    "2024-13-01T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-01-01T25:00:00Z",
    "yesterday",
    "",
    "2024-01-01",
    "2024-01-01T00:00:00-00:00",
    "2024-01-01T00:00:00-0000",
    "2024-01-01T00:00:00-00",
    "01/02/2024 10:00",
]
_BAD_DURATIONS = ["P4W1D", "PT", "P", "1H", "P0003-01-29T11:34:56", "PTS", "P1H", "", "PT1M2H"]
_BAD_LANGUAGE_TAGS = ["en_US", "", "e", "123", "en-", "-en", "toolongsubtag", "en--US"]
_BAD_IRIS = ["", "completed", "verbs/completed", "not an iri", "://missing-scheme"]


def _context(statement: Json) -> Json:
    context: Json = statement.setdefault("context", {})
    return context


def _score(statement: Json) -> Json:
    result: Json = statement.setdefault("result", {})
    score: Json = result.setdefault("score", {})
    return score


def _replace_score(statement: Json, score: Json) -> None:
    statement.setdefault("result", {})["score"] = score


def _set_object(statement: Json, obj: Json) -> None:
    """Replace the object, dropping what would then be a second fault (voided verb, revision)."""
    statement["object"] = obj
    if obj.get("objectType", "Activity") != "Activity" and "context" in statement:
        statement["context"].pop("revision", None)
        statement["context"].pop("platform", None)
    if obj.get("objectType") != "StatementRef" and statement["verb"].get("id") == VOIDED:
        statement["verb"] = {"id": "http://example.com/verbs/did"}


def _actor_with_two_ifis(draw: Draw, s: Json) -> None:
    agent = draw(agents())
    first = next(k for k in ("mbox", "mbox_sha1sum", "openid", "account") if k in agent)
    extra = draw(ifis().filter(lambda ifi: first not in ifi))
    s["actor"] = {**agent, **extra}


def _null_somewhere(draw: Draw, s: Json) -> None:
    place = draw(st.integers(0, 5))
    if place == 0:
        s["actor"]["name"] = None
    elif place == 1:
        s["verb"]["display"] = {"en-US": None}
    elif place == 2:
        s.setdefault("result", {})["success"] = None
    elif place == 3:
        s["timestamp"] = None
    elif place == 4:
        _context(s)["registration"] = None
    else:
        s["id"] = None


def _sub_statement_with(draw: Draw, s: Json, version: str, key: str) -> None:
    sub = draw(sub_statements(version))
    sub[key] = {
        "id": str(draw(st.uuids())),
        "stored": draw(timestamps()),
        "version": "1.0.0",
        "authority": draw(agents()),
    }[key]
    _set_object(s, sub)


def _nested_sub_statement(draw: Draw, s: Json, version: str) -> None:
    outer = draw(sub_statements(version))
    _set_object(outer, draw(sub_statements(version)))
    _set_object(s, outer)


def _group_in_member(draw: Draw, s: Json) -> None:
    group = draw(anonymous_groups())
    group["member"].append(draw(identified_groups()))
    s["actor"] = group


def _interaction(draw: Draw, s: Json, definition: Json) -> None:
    _set_object(s, {"objectType": "Activity", "id": draw(iris()), "definition": definition})


def _revision_without_activity(draw: Draw, s: Json) -> None:
    _set_object(s, draw(st.one_of(agents(object_type=True), groups(), statement_refs())))
    _context(s)[draw(st.sampled_from(["revision", "platform"]))] = "1"


def _voiding_an_activity(draw: Draw, s: Json) -> None:
    _set_object(s, draw(activities()))
    s["verb"] = {"id": VOIDED}


@cache
def _mutations(version: str) -> dict[str, Callable[[Draw, Json], object]]:
    """Map a description (naming the checklist section) to a mutation applying one fault."""
    pick = st.sampled_from
    muts: dict[str, Callable[[Draw, Json], object]] = {
        "§3 missing actor": lambda d, s: s.pop("actor"),
        "§3 missing verb": lambda d, s: s.pop("verb"),
        "§3 missing object": lambda d, s: s.pop("object"),
        "§3 unknown top-level key": lambda d, s: s.update(
            {d(pick(["foo", "Actor", "ID", "verbs", "objectType"])): "x"}
        ),
        "§3 wrong case key in agent": lambda d, s: s.update(
            actor={"mBox": d(_mboxes), "objectType": "Agent"}
        ),
        "§3 null outside extensions": _null_somewhere,
        "§3 string for boolean": lambda d, s: s.setdefault("result", {}).update(
            success=d(pick(["true", 1, "false"]))
        ),
        "§4.1 id not a UUID": lambda d, s: s.update(id=d(pick(_BAD_UUIDS))),
        "§4.2 Agent with two IFIs": _actor_with_two_ifis,
        "§4.2 Agent objectType in wrong case": lambda d, s: s.update(
            actor={**d(agents(object_type=False)), "objectType": "agent"}
        ),
        "§4.3 mbox without mailto": lambda d, s: s.update(
            actor={"mbox": d(pick(["user@example.com", "", "mailto:", "mail:user@example.com"]))}
        ),
        "§4.3 mbox_sha1sum not a hex string": lambda d, s: s.update(
            actor={"mbox_sha1sum": d(pick([123, "xyz", "z" * 40]))}
        ),
        "§4.3 openid not absolute": lambda d, s: s.update(
            actor={"openid": d(pick(["example.com/me", "/me", ""]))}
        ),
        "§4.3 incomplete account": lambda d, s: s.update(
            actor={"account": d(pick([{"name": "a"}, {"homePage": "http://example.com"}]))}
        ),
        "§4.4 Anonymous Group without member": lambda d, s: s.update(
            actor={"objectType": "Group", "name": "nobody"}
        ),
        "§4.4 Group inside member": _group_in_member,
        "§4.5 verb id not an IRI": lambda d, s: s["verb"].update(id=d(pick(_BAD_IRIS))),
        "§4.17 bad language tag key": lambda d, s: s["verb"].update(
            display={d(pick(_BAD_LANGUAGE_TAGS)): "done"}
        ),
        "§4.6 Agent object without objectType": lambda d, s: _set_object(
            s, d(agents(object_type=False))
        ),
        "§4.7 Activity objectType in wrong case": lambda d, s: _set_object(
            s, {"objectType": "activity", "id": d(iris())}
        ),
        "§4.8 component list without interactionType": lambda d, s: _interaction(
            d, s, {"choices": [{"id": "a"}]}
        ),
        "§4.8 interactionType in wrong case": lambda d, s: _interaction(
            d, s, {"interactionType": d(pick(["Choice", "TRUE-FALSE", "multiple-choice"]))}
        ),
        "§4.8 duplicate component ids": lambda d, s: _interaction(
            d, s, {"interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]}
        ),
        "§4.9 StatementRef id not a UUID": lambda d, s: _set_object(
            s, {"objectType": "StatementRef", "id": d(pick(_BAD_UUIDS))}
        ),
        "§4.10 SubStatement with id": lambda d, s: _sub_statement_with(d, s, version, "id"),
        "§4.10 SubStatement with stored": lambda d, s: _sub_statement_with(d, s, version, "stored"),
        "§4.10 SubStatement with version": lambda d, s: _sub_statement_with(
            d, s, version, "version"
        ),
        "§4.10 SubStatement with authority": lambda d, s: _sub_statement_with(
            d, s, version, "authority"
        ),
        "§4.10 SubStatement inside SubStatement": lambda d, s: _nested_sub_statement(d, s, version),
        "§4.11 scaled as a string": lambda d, s: _score(s).update(scaled="0.5"),
        "§4.11 scaled out of range": lambda d, s: _score(s).update(
            scaled=d(pick([1.5, -1.5, 1.0001, 2]))
        ),
        "§4.11 raw outside min..max": lambda d, s: _replace_score(
            s, d(pick([{"raw": 11, "max": 10}, {"raw": -1, "min": 0}, {"raw": 3, "min": 4}]))
        ),
        "§4.11 min above max": lambda d, s: _replace_score(s, {"min": 5, "max": 1}),
        "§4.11 bad duration": lambda d, s: s.setdefault("result", {}).update(
            duration=d(pick(_BAD_DURATIONS))
        ),
        "§4.12 registration not a UUID": lambda d, s: _context(s).update(
            registration=d(pick(_BAD_UUIDS))
        ),
        "§4.12 team is an Agent": lambda d, s: _context(s).update(team=d(agents(object_type=True))),
        "§4.12 unknown contextActivities key": lambda d, s: (
            _context(s)
            .setdefault("contextActivities", {})
            .update({d(pick(["sibling", "Parent"])): [{"id": "http://example.com/a"}]})
        ),
        "§4.12 revision with a non-Activity object": _revision_without_activity,
        "§4.12 bad context language": lambda d, s: _context(s).update(
            language=d(pick(_BAD_LANGUAGE_TAGS))
        ),
        "§4.12 context statement not a StatementRef": lambda d, s: _context(s).update(
            statement={"objectType": "Activity", "id": "http://example.com/a"}
        ),
        "§4.13 bad timestamp": lambda d, s: s.update(timestamp=d(pick(_BAD_TIMESTAMPS))),
        "§4.14 authority Group of three": lambda d, s: s.update(
            authority=d(anonymous_groups(size=3))
        ),
        "§4.15 unsupported version": lambda d, s: s.update(
            version=d(
                pick(["1.1.0", "0.9.9", "version1", ""] + ([] if _is_v2(version) else ["2.0.0"]))
            )
        ),
        "§4.17 extension key not an IRI": lambda d, s: _context(s).update(
            extensions={"not-an-iri": 1}
        ),
        "§6 voided verb with an Activity object": _voiding_an_activity,
    }
    if _is_v2(version):
        muts.update(
            {
                "§16.3 empty relevantTypes": lambda d, s: _context(s).update(
                    contextAgents=[
                        {"objectType": "contextAgent", "agent": d(agents()), "relevantTypes": []}
                    ]
                ),
                "§16.3 contextAgent objectType in wrong case": lambda d, s: _context(s).update(
                    contextAgents=[{"objectType": "ContextAgent", "agent": d(agents())}]
                ),
                "§16.3 contextGroup holding an Agent": lambda d, s: _context(s).update(
                    contextGroups=[
                        {"objectType": "contextGroup", "group": d(agents(object_type=True))}
                    ]
                ),
            }
        )
    else:
        muts["§16.1 contextAgents under 1.0.3"] = lambda d, s: _context(s).update(
            contextAgents=[{"objectType": "contextAgent", "agent": d(agents())}]
        )
    return muts


@st.composite
def invalid_mutations(draw: Draw, version: str) -> tuple[Json, str]:
    """Draw (statement, description): a valid Statement broken by exactly one mutation."""
    mutations = _mutations(version)
    description = draw(st.sampled_from(sorted(mutations)))
    statement = copy.deepcopy(draw(statements(version)))
    mutations[description](draw, statement)
    return statement, description


__all__ = [
    "INTERACTION_TYPES",
    "VOIDED",
    "activities",
    "actors",
    "agents",
    "authorities",
    "definitions",
    "durations",
    "extensions",
    "groups",
    "invalid_mutations",
    "iris",
    "irls",
    "language_maps",
    "language_tags",
    "results",
    "statements",
    "sub_statements",
    "timestamps",
    "uuids",
]
