"""GET /xapi/statements against an in-memory oracle, paged, on both stores (checklist §6, §7)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from falcon import testing
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ledger.application import Ledger
from ledger.xapi import V1, V2
from projections.rebuild import rebuild_statement_index
from tests.conftest import basic, index_rows, xapi_headers
from tests.oracle import (
    VOIDED,
    format_instant,
    matching_ids,
    parse_instant,
    uuid_key,
    voided_ids,
)

URL = "/xapi/statements"
Json = dict[str, Any]
Draw = Callable[..., Any]
Ident = tuple[str, ...]


def _fixtures(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# --- the pools a world draws from ------------------------------------------------------------

# Identities: ("mbox", local part, domain), ("account", homePage, name), ("openid", IRI),
# ("sha1", hex). Some differ only where case matters (local part, account name, path).
_PEOPLE: list[Ident] = [
    ("mbox", "ada", "example.com"),
    ("mbox", "Ada", "example.com"),
    ("mbox", "bob", "mail.example.org"),
    ("account", "https://hr.example.com", "p1"),
    ("account", "https://hr.example.com", "P1"),
    ("account", "https://lms.example.net/users", "p1"),
    ("openid", "https://id.example.org/u/carol"),
    ("sha1", "0123456789abcdef0123456789abcdef01234567"),
]
_GROUP_IDS: list[Ident] = [
    ("mbox", "team-a", "example.com"),
    ("account", "https://hr.example.com", "g1"),
    ("openid", "https://id.example.org/g/2"),
]
_OUTSIDER: Ident = ("mbox", "nobody", "example.com")
_VERBS = [
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/attempted",
    "https://w3id.org/xapi/adl/verbs/logged-in",
    "urn:example:verbs:passed",
    "tag:example.com,2024:shared",
]
_ACTIVITIES = [
    "https://courses.example.com/safety-101",
    "https://courses.example.com/Safety-101",
    "http://Example.org/act/2?x=1",
    "urn:example:activity:3",
    "https://courses.example.com/program",
]
_UNKNOWN_VERB = "http://example.com/verbs/never-used"
_UNKNOWN_ACTIVITY = "https://courses.example.com/never-used"
_CONTEXT_LISTS = ("parent", "grouping", "category", "other")


@dataclass
class GroupSpec:
    """A Group of the world: identified (ident) or anonymous, members from the people."""

    ident: Ident | None
    members: list[Ident]


@dataclass
class Request:
    """One storing request: how (post, put, batch), how many statements, which credential."""

    method: str
    count: int
    second_credential: bool


@dataclass
class World:
    """Pools, the statements drawn from them (storage order) and how they are stored."""

    people: list[Ident]
    groups: list[GroupSpec]
    verbs: list[str]
    activities: list[str]
    registrations: list[str]
    version: str
    two_credentials: bool
    statements: list[Json] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)


# --- rendering identities with the variations the LRS must see through -----------------------


def _case_variant(draw: Draw, text: str) -> str:
    return draw(st.sampled_from([text, text.upper(), text.title()]))


def _iri_variant(draw: Draw, iri: str) -> str:
    """The same IRI with scheme and host in another case (RFC 3987 §5.3.2.1)."""
    scheme, _, rest = iri.partition(":")
    scheme = _case_variant(draw, scheme)
    if rest.startswith("//"):
        host, slash, path = rest[2:].partition("/")
        rest = "//" + _case_variant(draw, host) + slash + path
    return scheme + ":" + rest


def _ifi(draw: Draw, ident: Ident) -> Json:
    kind = ident[0]
    if kind == "mbox":
        return {"mbox": f"mailto:{ident[1]}@{_case_variant(draw, ident[2])}"}
    if kind == "account":
        return {"account": {"homePage": _iri_variant(draw, ident[1]), "name": ident[2]}}
    if kind == "openid":
        return {"openid": ident[1]}
    return {"mbox_sha1sum": _case_variant(draw, ident[1])}


def _agent(draw: Draw, ident: Ident, object_type: bool = False) -> Json:
    agent: Json = {}
    if object_type or draw(st.booleans()):
        agent["objectType"] = "Agent"
    agent.update(_ifi(draw, ident))
    if draw(st.booleans()):
        agent["name"] = "someone"
    return agent


def _group(draw: Draw, spec: GroupSpec) -> Json:
    group: Json = {"objectType": "Group"}
    if spec.ident is not None:
        group.update(_ifi(draw, spec.ident))
    if spec.members:
        group["member"] = [_agent(draw, member) for member in spec.members]
    return group


def _any_group(draw: Draw, world: World) -> Json:
    """A Group of the world, or a new anonymous one of some people."""
    if world.groups and draw(st.integers(0, 3)):
        return _group(draw, draw(st.sampled_from(world.groups)))
    members = draw(st.lists(st.sampled_from(world.people), min_size=1, max_size=2, unique=True))
    return _group(draw, GroupSpec(None, members))


def _any_agent(draw: Draw, world: World, object_type: bool = False) -> Json:
    if draw(st.integers(0, 2)) == 0:
        return _any_group(draw, world)
    return _agent(draw, draw(st.sampled_from(world.people)), object_type)


def _activity(draw: Draw, world: World) -> Json:
    activity: Json = {"id": _iri_variant(draw, draw(st.sampled_from(world.activities)))}
    if draw(st.booleans()):
        activity = {"objectType": "Activity", **activity}
    return activity


def _registration(draw: Draw, world: World) -> str:
    return _case_variant(draw, draw(st.sampled_from(world.registrations)))


# --- statements --------------------------------------------------------------------------------


def _ref(draw: Draw, ids: list[str], index: int) -> Json:
    """A StatementRef: mostly to an earlier statement, else to any (itself too) or none."""
    choice = draw(st.integers(0, 4))
    if choice <= 2 and index > 0:
        target = ids[draw(st.integers(0, index - 1))]
    elif choice == 3:
        target = draw(st.sampled_from(ids))
    else:
        target = str(draw(st.uuids()))
    return {"objectType": "StatementRef", "id": _case_variant(draw, target)}


def _context(draw: Draw, world: World, ids: list[str], index: int) -> Json:
    context: Json = {}
    if draw(st.integers(0, 2)) == 0:
        context["instructor"] = _any_agent(draw, world)
    if draw(st.integers(0, 2)) == 0:
        context["team"] = _any_group(draw, world)
    if draw(st.booleans()):
        lists: Json = {}
        for name in _CONTEXT_LISTS:
            if draw(st.integers(0, 2)) == 0:
                items = [_activity(draw, world) for _ in range(draw(st.integers(1, 2)))]
                lists[name] = items[0] if len(items) == 1 and draw(st.booleans()) else items
        context["contextActivities"] = lists
    if draw(st.booleans()):
        context["registration"] = _registration(draw, world)
    if draw(st.integers(0, 3)) == 0:
        context["statement"] = _ref(draw, ids, index)  # never counts for filtering (§7.2)
    if world.version == V2:
        if draw(st.integers(0, 2)) == 0:
            context["contextAgents"] = [
                {
                    "objectType": "contextAgent",
                    "agent": _agent(draw, draw(st.sampled_from(world.people))),
                }
            ]
        if draw(st.integers(0, 2)) == 0:
            context["contextGroups"] = [
                {"objectType": "contextGroup", "group": _any_group(draw, world)}
            ]
    return context


def _verb(draw: Draw, world: World) -> Json:
    return {"id": _iri_variant(draw, draw(st.sampled_from(world.verbs)))}


def _simple_object(draw: Draw, world: World, ids: list[str], index: int) -> Json:
    kind = draw(st.sampled_from(["activity", "activity", "agent", "group", "ref"]))
    if kind == "activity":
        return _activity(draw, world)
    if kind == "agent":
        return _agent(draw, draw(st.sampled_from(world.people)), object_type=True)
    if kind == "group":
        return _any_group(draw, world)
    return _ref(draw, ids, index)


def _statement(draw: Draw, world: World, ids: list[str], kinds: list[str], index: int) -> Json:
    kind = kinds[index]
    statement: Json = {"id": _case_variant(draw, ids[index]), "actor": _any_agent(draw, world)}
    if kind == "void":
        targets = [i for i, k in enumerate(kinds) if k != "void"]
        if targets and draw(st.integers(0, 4)):
            target = ids[draw(st.sampled_from(targets))]
        else:
            target = str(draw(st.uuids()))
        statement["verb"] = {"id": VOIDED}
        statement["object"] = {"objectType": "StatementRef", "id": _case_variant(draw, target)}
    else:
        statement["verb"] = _verb(draw, world)
        if kind == "sub":
            sub: Json = {
                "objectType": "SubStatement",
                "actor": _any_agent(draw, world),
                "verb": _verb(draw, world),
                "object": _simple_object(draw, world, ids, index),
            }
            if draw(st.booleans()):
                sub["context"] = _context(draw, world, ids, index)
            statement["object"] = sub
        elif kind == "ref":
            statement["object"] = _ref(draw, ids, index)
        elif kind == "agent":
            statement["object"] = _agent(draw, draw(st.sampled_from(world.people)), True)
        elif kind == "group":
            statement["object"] = _any_group(draw, world)
        else:
            statement["object"] = _activity(draw, world)
    if draw(st.booleans()):
        statement["context"] = _context(draw, world, ids, index)
    return statement


_KINDS = ["activity"] * 4 + ["agent", "group", "ref", "ref", "sub", "sub", "void"]


@st.composite
def worlds(draw: Draw, size: tuple[int, int] = (5, 25), bulk: bool = False) -> World:
    """Draw pools, 5-25 statements over them, and the requests that store them (§6, §7.2).

    With `bulk`, the last request is one batch of more than 50 statements.
    """
    people = draw(st.lists(st.sampled_from(_PEOPLE), min_size=3, max_size=4, unique=True))
    groups = []
    for ident in draw(st.lists(st.sampled_from(_GROUP_IDS), max_size=2, unique=True)):
        anonymous = draw(st.booleans())
        members = draw(
            st.lists(
                st.sampled_from(people), min_size=1 if anonymous else 0, max_size=3, unique=True
            )
        )
        groups.append(GroupSpec(None if anonymous else ident, members))
    world = World(
        people=people,
        groups=groups,
        verbs=draw(st.lists(st.sampled_from(_VERBS), min_size=3, max_size=3, unique=True)),
        activities=draw(
            st.lists(st.sampled_from(_ACTIVITIES), min_size=3, max_size=3, unique=True)
        ),
        registrations=[str(u) for u in draw(st.lists(st.uuids(), min_size=2, max_size=2))],
        version=draw(st.sampled_from([V1, V2])),
        two_credentials=draw(st.booleans()),
    )
    count = draw(st.integers(*size))
    extra = draw(st.integers(51, 54)) if bulk else 0
    ids = [
        str(u)
        for u in draw(
            st.lists(st.uuids(), min_size=count + extra, max_size=count + extra, unique=True)
        )
    ]
    kinds = [draw(st.sampled_from(_KINDS)) for _ in ids]
    world.statements = [_statement(draw, world, ids, kinds, i) for i in range(len(ids))]
    done = 0
    while done < count:
        size_ = min(draw(st.integers(1, 4)), count - done)
        method = "batch" if size_ > 1 else draw(st.sampled_from(["post", "put", "batch"]))
        second = world.two_credentials and draw(st.booleans())
        world.requests.append(Request(method, size_, second))
        done += size_
    if extra:
        world.requests.append(Request("batch", extra, False))
    return world


# --- storing a world in a tenant of its own ----------------------------------------------------


@dataclass
class Stored:
    """A stored world: the tenant's request headers and the statements as fetched back."""

    headers: dict[str, str]
    statements: list[Json]


def _credential_headers(ledger: Ledger, tenant: str, version: str) -> dict[str, str]:
    key, secret = ledger.issue_credential(tenant, ["all"], f"{tenant} writer", "test")
    return xapi_headers(version, Authorization=basic(key, secret))


def store_world(client: testing.TestClient, ledger: Ledger, world: World) -> Stored:
    """Store the world in a new tenant, then fetch every statement back (checklist §6)."""
    tenant = "q" + uuid.uuid4().hex[:16]
    ledger.create_tenant(tenant)
    headers = [_credential_headers(ledger, tenant, world.version)]
    if world.two_credentials:
        headers.append(_credential_headers(ledger, tenant, world.version))
    start = 0
    for request in world.requests:
        bodies = world.statements[start : start + request.count]
        start += request.count
        sent = headers[1 if request.second_credential else 0]
        if request.method == "put":
            response = client.simulate_put(
                URL,
                params={"statementId": bodies[0]["id"]},
                body=orjson.dumps(bodies[0]),
                headers=sent,
            )
            assert response.status_code == 204, response.text
            continue
        body = bodies if request.method == "batch" else bodies[0]
        response = client.simulate_post(URL, body=orjson.dumps(body), headers=sent)
        assert response.status_code == 200, response.text
    voided = voided_ids(world.statements)
    fetched = []
    for statement in world.statements:
        statement_id = statement["id"]
        is_voided = uuid_key(statement_id) in voided
        name = "voidedStatementId" if is_voided else "statementId"
        response = client.simulate_get(URL, params={name: statement_id}, headers=headers[0])
        assert response.status_code == 200, f"{name}={statement_id}: {response.text}"
        fetched.append(response.json)
        if is_voided:
            hidden = client.simulate_get(
                URL, params={"statementId": statement_id}, headers=headers[0]
            )
            assert hidden.status_code == 404, f"voided {statement_id} fetched by statementId"
    return Stored(headers[0], fetched)


# --- queries -----------------------------------------------------------------------------------


def _authorities(stored: Stored) -> list[Ident]:
    found = {
        ("account", s["authority"]["account"]["homePage"], s["authority"]["account"]["name"])
        for s in stored.statements
    }
    return sorted(found)


def _time(draw: Draw, stored: Stored) -> str:
    """A since/until bound at, next to or between stored values, in various notations."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["2000-01-01T00:00:00Z", "2100-01-01T00:00:00.000+14:00"]))
    base = parse_instant(draw(st.sampled_from(stored.statements))["stored"])
    instant = base + Fraction(draw(st.sampled_from([-1, 0, 0, 1])), 1000)
    instant += draw(st.sampled_from([0, 0, Fraction(1, 10**7), Fraction(999_999, 10**9)]))
    offset = draw(st.sampled_from([0, 0, 60, -330, 14 * 60]))
    digits = draw(st.sampled_from([3, 3, 9, 0]))
    text = format_instant(instant, offset, digits)
    if offset == 0 and draw(st.booleans()):
        text = text[:-1] + "+00:00"
    return text


@st.composite
def queries(draw: Draw, world: World, stored: Stored) -> dict[str, str]:
    """Draw a filter set from the world's pools, with a small limit (checklist §7.1, §7.2)."""
    params: dict[str, str] = {"limit": str(draw(st.integers(1, 4)))}
    maybe = st.integers(0, 4).map(lambda n: n < 2)
    if draw(maybe):
        named = [g.ident for g in world.groups if g.ident is not None]
        ident = draw(st.sampled_from([*world.people, *named, *_authorities(stored), _OUTSIDER]))
        if ident in named and draw(st.booleans()):
            agent = {"objectType": "Group", **_ifi(draw, ident)}
        else:
            agent = _agent(draw, ident)
        params["agent"] = orjson.dumps(agent).decode()
    if draw(maybe):
        verb = draw(st.sampled_from([*world.verbs, VOIDED, _UNKNOWN_VERB]))
        params["verb"] = verb if verb == VOIDED else _iri_variant(draw, verb)
    if draw(maybe):
        activity = draw(st.sampled_from([*world.activities, _UNKNOWN_ACTIVITY]))
        params["activity"] = _iri_variant(draw, activity)
    if draw(st.integers(0, 3)) == 0:
        registration = draw(st.sampled_from([*world.registrations, str(uuid.uuid4())]))
        params["registration"] = _case_variant(draw, registration)
    for name in ("related_agents", "related_activities", "ascending"):
        value = draw(st.sampled_from([None, None, "true", "true", "false"]))
        if value is not None:
            params[name] = value
    for name in ("since", "until"):
        if draw(st.integers(0, 3)) == 0:
            params[name] = _time(draw, stored)
    return params


def _follow(client: testing.TestClient, more: str, headers: dict[str, str]) -> testing.Result:
    parts = urlsplit(more)
    assert parts.path == URL and not parts.scheme and not parts.netloc, more
    return client.simulate_get(parts.path, query_string=parts.query, headers=headers)


def read_pages(
    client: testing.TestClient,
    headers: dict[str, str],
    params: dict[str, str],
    first: testing.Result | None = None,
) -> list[list[str]]:
    """Page through a query by `more` until it is empty; return each page's ids (§7.4)."""
    limit = int(params["limit"])
    response = first or client.simulate_get(URL, params=params, headers=headers)
    pages: list[list[str]] = []
    for _ in range(200):
        assert response.status_code == 200, response.text
        body = response.json
        assert set(body) == {"statements", "more"}, body
        page = [uuid_key(s["id"]) for s in body["statements"]]
        assert len(page) <= limit, f"{len(page)} statements on a page of limit {limit}"
        pages.append(page)
        if not body["more"]:
            return pages
        response = _follow(client, body["more"], headers)
    raise AssertionError(f"more never ran out: {pages}")


def assert_agrees(pages: list[list[str]], stored: Stored, params: dict[str, str]) -> None:
    """The pages hold the oracle's answer in order, once each, without an empty tail (§7.4)."""
    expected = matching_ids(stored.statements, params)
    event(f"answer: {min(len(expected), 5)}{'+' if len(expected) >= 5 else ''} statements")
    event(f"pages: {min(len(pages), 4)}{'+' if len(pages) >= 4 else ''}")
    if expected != matching_ids(stored.statements, params, statement_refs=False):
        event("the StatementRef rule changed the answer")
    got = [statement_id for page in pages for statement_id in page]
    assert got == expected, f"query {params}\n got      {got}\n expected {expected}"
    if len(pages) > 1:
        assert all(pages), f"an empty page before more ran out: {pages}"


# --- the tests ---------------------------------------------------------------------------------


@_fixtures(100)
@given(data=st.data())
def test_every_filtered_query_pages_through_exactly_the_oracles_answer(client, ledger, data):
    """§6, §7.2, §7.4: filters, voiding, the StatementRef rule, order and paging agree."""
    world = data.draw(worlds(), label="world")
    stored = store_world(client, ledger, world)
    for _ in range(5):
        params = data.draw(queries(world, stored), label="query")
        assert_agrees(read_pages(client, stored.headers, params), stored, params)


@_fixtures(15)
@given(data=st.data())
def test_rebuilding_the_index_from_the_log_changes_no_row_and_no_answer(client, ledger, data):
    """§7.2, §7.4: the rebuilt statement_index equals the live one, row for row.

    A `more` token issued before the rebuild still continues the query after it.
    """
    world = data.draw(worlds(size=(5, 15), bulk=data.draw(st.booleans(), label="bulk")))
    stored = store_world(client, ledger, world)
    filter_sets = [data.draw(queries(world, stored), label="query") for _ in range(4)]
    before = [read_pages(client, stored.headers, params) for params in filter_sets]
    first = client.simulate_get(URL, params=filter_sets[0], headers=stored.headers)
    rows = index_rows(ledger)

    rebuild_statement_index(ledger)

    assert index_rows(ledger) == rows
    assert [read_pages(client, stored.headers, params) for params in filter_sets] == before
    for params, pages in zip(filter_sets, before, strict=True):
        assert_agrees(pages, stored, params)
    assert read_pages(client, stored.headers, filter_sets[0], first=first) == before[0]


def test_a_more_token_is_refused_for_another_tenant_and_after_any_change(client, ledger):
    """§7.4, §2.7: a `more` token works only unchanged and for its own tenant (400 else)."""
    for _ in range(3):
        body = {
            "actor": {"mbox": "mailto:ada@example.com"},
            "verb": {"id": _VERBS[0]},
            "object": {"id": _ACTIVITIES[0]},
        }
        assert client.simulate_post(URL, json=body, headers=xapi_headers()).status_code == 200
    more = client.simulate_get(URL, params={"limit": "1"}, headers=xapi_headers()).json["more"]
    token = parse_qs(urlsplit(more).query)["more"][0]
    assert (
        client.simulate_get(URL, params={"more": token}, headers=xapi_headers()).status_code == 200
    )

    ledger.create_tenant("other")
    key, secret = ledger.issue_credential("other", ["all"], "x", "test")
    other = xapi_headers(Authorization=basic(key, secret))
    assert client.simulate_get(URL, params={"more": token}, headers=other).status_code == 400

    changed = []
    for index, char in enumerate(token):
        changed.append(token[:index] + ("B" if char == "A" else "A") + token[index + 1 :])
        changed.append(token[:index] + token[index + 1 :])
    changed.append(token + "A")
    for candidate in changed:
        response = client.simulate_get(URL, params={"more": candidate}, headers=xapi_headers())
        assert response.status_code == 400, f"changed token accepted: {candidate}"
