"""GET /xapi/statements queries (checklist §7) over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import basic, xapi_headers
from tests.factories import statement, voiding, with_id

URL = "/xapi/statements"
ADA = {"objectType": "Agent", "mbox": "mailto:ada@example.com"}
BOB = {"objectType": "Agent", "mbox": "mailto:Bob@Example.COM"}
CAROL = {"objectType": "Agent", "account": {"homePage": "https://hr.example.com", "name": "c1"}}
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"
COURSE = "https://courses.example.com/safety-101"
PROGRAM = "https://courses.example.com/program"


def post(client, body, version="1.0.3"):
    response = client.simulate_post(URL, json=body, headers=xapi_headers(version))
    assert response.status_code == 200, response.text
    return response.json


def query(client, version="1.0.3", **params):
    return client.simulate_get(URL, params=params, headers=xapi_headers(version))


def ids(client, **params):
    response = query(client, **params)
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json["statements"]]


def follow(client, more: str):
    parts = urlsplit(more)
    assert parts.path == URL and not parts.scheme and not parts.netloc
    return client.simulate_get(
        parts.path,
        params={k: v[0] for k, v in parse_qs(parts.query).items()},
        headers=xapi_headers(),
    )


def agent(value: dict) -> str:
    return json.dumps(value)


def store_one_by_one(client, bodies):
    return [post(client, body)[0] for body in bodies]


def test_no_filters_returns_everything_newest_first_and_ascending_on_request(client):
    """1.0.3 Comm §2.1.3: order by stored, newest first; ascending=true → oldest first."""
    stored = store_one_by_one(client, [statement() for _ in range(4)])
    assert ids(client) == stored[::-1]
    assert ids(client, ascending="true") == stored


def test_no_matches_is_an_empty_statement_result(client):
    """1.0.3 Comm §2.1.3 (CTS XAPI-00149): 200 with statements [] and no more."""
    response = query(client, verb="http://example.com/never")
    assert response.status_code == 200
    assert response.json == {"statements": [], "more": ""}


def test_paging_with_more_returns_every_statement_once_in_order(client):
    """Data §2.5: more is a relative IRL; following it continues the query; "" at the end."""
    stored = store_one_by_one(client, [statement() for _ in range(7)])
    seen = []
    response = query(client, limit="3")
    pages = 0
    while True:
        assert response.status_code == 200
        body = response.json
        assert set(body) == {"statements", "more"}
        assert len(body["statements"]) <= 3
        seen.extend(s["id"] for s in body["statements"])
        pages += 1
        if not body["more"]:
            break
        response = follow(client, body["more"])
    assert seen == stored[::-1]
    assert pages == 3


def test_paging_is_stable_while_new_statements_arrive(client):
    """Issue 3: more never repeats or skips while statements are being stored."""
    stored = store_one_by_one(client, [statement() for _ in range(4)])
    first = query(client, limit="2", ascending="true").json
    later = store_one_by_one(client, [statement() for _ in range(2)])
    seen = [s["id"] for s in first["statements"]]
    more = first["more"]
    while more:
        page = follow(client, more).json
        seen.extend(s["id"] for s in page["statements"])
        more = page["more"]
    assert seen == stored + later
    newest_first = query(client, limit="2").json
    more_after = store_one_by_one(client, [statement()])
    rest = follow(client, newest_first["more"]).json
    assert more_after[0] not in [s["id"] for s in rest["statements"]]


def test_limit_zero_means_the_server_maximum(client):
    """1.0.3 Comm §2.1.3 (CTS XAPI-00173): limit=0 → server maximum."""
    post(client, [statement() for _ in range(5)])
    assert len(ids(client, limit="0")) == 5


def test_agent_matches_actor_object_and_group_members_by_ifi(client):
    """1.0.3 Comm §2.1.3: agent matches actor or object by IFI, and members of a Group."""
    as_actor = with_id(actor=ADA)
    as_object = with_id(actor=BOB, object=ADA, context=None)
    in_group = with_id(
        actor={
            "objectType": "Group",
            "name": "team",
            "member": [BOB, {"mbox": "mailto:ada@EXAMPLE.com"}],
        }
    )
    other = with_id(actor=CAROL)
    post(client, [as_actor, as_object, in_group, other])
    found = ids(client, agent=agent({"mbox": "mailto:ada@example.com"}))
    assert set(found) == {as_actor["id"], as_object["id"], in_group["id"]}
    assert ids(client, agent=agent(CAROL)) == [other["id"]]
    assert ids(client, agent=agent({"mbox": "mailto:Bob@example.com"})) != []


def test_related_agents_widens_to_authority_instructor_team_and_substatements(client):
    """1.0.3 Comm §2.1.3 (CTS XAPI-00176): related_agents=true looks everywhere."""
    taught = with_id(actor=BOB, context={"instructor": CAROL})
    teamed = with_id(actor=BOB, context={"team": {"objectType": "Group", "member": [CAROL]}})
    sub = with_id(
        actor=BOB,
        object={
            "objectType": "SubStatement",
            "actor": CAROL,
            "verb": {"id": COMPLETED},
            "object": {"id": COURSE},
        },
        context=None,
    )
    post(client, [taught, teamed, sub])
    carol = agent(CAROL)
    assert ids(client, agent=carol) == []
    assert set(ids(client, agent=carol, related_agents="true")) == {
        taught["id"],
        teamed["id"],
        sub["id"],
    }
    authority = agent(
        {"account": {"homePage": "http://localhost:8000/credentials", "name": "test-admin"}}
    )
    assert len(ids(client, agent=authority, related_agents="true")) == 3
    assert ids(client, agent=authority) == []


def test_related_agents_covers_2_0_context_agents_and_groups(client):
    """2.0 LRS §4.1.6.1: contextAgents[].agent and contextGroups[].group are related."""
    body = with_id(
        actor=BOB,
        context={
            "contextAgents": [{"objectType": "contextAgent", "agent": CAROL}],
            "contextGroups": [
                {"objectType": "contextGroup", "group": {"objectType": "Group", "member": [ADA]}}
            ],
        },
    )
    post(client, body, version="2.0.0")
    for who in (CAROL, ADA):
        response = query(client, "2.0.0", agent=agent(who), related_agents="true")
        assert [s["id"] for s in response.json["statements"]] == [body["id"]]


def test_verb_activity_and_registration_filters_combine_with_and(client):
    """1.0.3 Comm §2.1.3: verb, activity (object only) and registration; filters AND."""
    registration = str(uuid.uuid4())
    a = with_id(verb={"id": COMPLETED}, context={"registration": registration})
    b = with_id(verb={"id": ATTEMPTED}, context={"registration": registration})
    c = with_id(verb={"id": COMPLETED}, object={"id": PROGRAM})
    post(client, [a, b, c])
    assert set(ids(client, verb=COMPLETED)) == {a["id"], c["id"]}
    assert set(ids(client, activity=COURSE)) == {a["id"], b["id"]}
    assert set(ids(client, registration=registration)) == {a["id"], b["id"]}
    assert ids(client, verb=COMPLETED, registration=registration) == [a["id"]]
    assert ids(client, verb=ATTEMPTED, activity=PROGRAM) == []


def test_activity_ids_compare_by_iri_normalisation(client):
    """2.0 LRS §4.2.7: scheme and host compare case-insensitively."""
    body = with_id(object={"id": "HTTPS://Courses.Example.com/Path"})
    post(client, body)
    assert ids(client, activity="https://courses.example.com/Path") == [body["id"]]
    assert ids(client, activity="https://courses.example.com/path") == []


def test_related_activities_widens_to_context_activities_and_substatements(client):
    """1.0.3 Comm §2.1.3: related_activities=true adds contextActivities and SubStatements."""
    parented = with_id(context={"contextActivities": {"parent": {"id": PROGRAM}}})
    grouped = with_id(context={"contextActivities": {"grouping": [{"id": PROGRAM}]}})
    sub = with_id(
        object={
            "objectType": "SubStatement",
            "actor": ADA,
            "verb": {"id": COMPLETED},
            "object": {"id": PROGRAM},
        },
        context=None,
    )
    direct = with_id(object={"id": PROGRAM})
    post(client, [parented, grouped, sub, direct])
    assert ids(client, activity=PROGRAM) == [direct["id"]]
    assert set(ids(client, activity=PROGRAM, related_activities="true")) == {
        parented["id"],
        grouped["id"],
        sub["id"],
        direct["id"],
    }


def test_since_is_exclusive_and_until_inclusive(client):
    """1.0.3 Comm §2.1.3: since → stored after it; until → stored at or before it."""
    stored_ids = store_one_by_one(client, [statement() for _ in range(3)])
    stored = [query(client, statementId=i).json["stored"] for i in stored_ids]
    assert stored_ids[0] not in ids(client, since=stored[0])
    assert stored_ids[1] in ids(client, since=stored[0])
    assert stored_ids[1] in ids(client, until=stored[1])
    if stored[2] > stored[1]:
        assert stored_ids[2] not in ids(client, until=stored[1])


def test_voided_statements_are_left_out_but_statements_targeting_them_stay(client):
    """1.0.3 Comm §2.1.4 (CTS XAPI-00162, 00163): voided out; the voiding statement stays,
    and matches the filters its target matches (the StatementRef rule)."""
    target = with_id(actor=CAROL)
    void = voiding(target["id"], actor=BOB)
    kept = with_id(actor=CAROL)
    post(client, [target, void, kept])
    assert target["id"] not in ids(client)
    carol = ids(client, agent=agent(CAROL))
    assert set(carol) == {void["id"], kept["id"]}
    # Same batch, same stored: the later position comes first (newest first).
    assert ids(client, activity=COURSE, verb=COMPLETED) == [kept["id"], void["id"]]


def test_statement_refs_match_through_their_targets_recursively(client):
    """1.0.3 Comm §2.1.3: the StatementRef rule applies along chains; time filters don't."""
    target = with_id(actor=CAROL)
    ref = with_id(
        actor=BOB, object={"objectType": "StatementRef", "id": target["id"]}, context=None
    )
    ref_of_ref = with_id(
        actor=BOB, object={"objectType": "StatementRef", "id": ref["id"]}, context=None
    )
    post(client, [target, ref, ref_of_ref])
    assert set(ids(client, agent=agent(CAROL))) == {target["id"], ref["id"], ref_of_ref["id"]}
    target_stored = query(client, statementId=target["id"]).json["stored"]
    assert target["id"] not in ids(client, agent=agent(CAROL), since=target_stored)


def test_statement_ref_chains_are_followed_to_their_end_and_cycles_end(client):
    """1.0.3 Comm §2.1.3: "recursively", however long the chain; a cycle matches nothing."""

    def ref(target_id):
        return {"objectType": "StatementRef", "id": target_id}

    chain = [with_id(actor=CAROL)]
    for _ in range(15):
        chain.append(with_id(actor=BOB, object=ref(chain[-1]["id"]), context=None))
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    cycle = [
        {**with_id(actor=BOB, object=ref(second), context=None), "id": first},
        {**with_id(actor=BOB, object=ref(first), context=None), "id": second},
    ]
    post(client, chain + cycle)
    assert ids(client, agent=agent(CAROL)) == [s["id"] for s in chain][::-1]
    assert ids(client, verb="http://example.com/never") == []


def test_statement_refs_to_statements_stored_later_match_once_they_arrive(client):
    """Arrival order does not matter for the StatementRef rule."""
    target = with_id(actor=CAROL)
    ref = with_id(
        actor=BOB, object={"objectType": "StatementRef", "id": target["id"]}, context=None
    )
    post(client, [ref])
    assert ids(client, agent=agent(CAROL)) == []
    post(client, [target])
    assert set(ids(client, agent=agent(CAROL))) == {target["id"], ref["id"]}


def test_format_ids_applies_to_query_results(client):
    """1.0.3 Comm §2.1.3: format=ids reduces every statement of the result."""
    post(client, [statement()])
    result = query(client, format="ids").json["statements"][0]
    assert result["verb"] == {"id": COMPLETED}
    assert "definition" not in result["object"]


def test_query_headers_last_modified_and_consistent_through(client):
    """2.0 LRS §4.1.6.1: Last-Modified is the newest stored returned; Consistent-Through."""
    post(client, [statement()])
    response = query(client)
    assert response.headers["Last-Modified"].endswith("GMT")
    assert response.headers["X-Experience-API-Consistent-Through"].endswith("Z")
    head = client.simulate_head(URL, headers=xapi_headers())
    assert head.status_code == 200 and head.content == b""


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"agent": "not json"}, "?agent"),
        ({"agent": json.dumps({"objectType": "Group", "member": [ADA]})}, "?agent"),
        ({"agent": json.dumps({"name": "no ifi"})}, "?agent"),
        ({"verb": "completed"}, "?verb"),
        ({"activity": "no scheme"}, "?activity"),
        ({"registration": "123"}, "?registration"),
        ({"since": "yesterday"}, "?since"),
        ({"until": "2026-13-01T00:00:00Z"}, "?until"),
        ({"limit": "-1"}, "?limit"),
        ({"limit": "ten"}, "?limit"),
        ({"ascending": "yes"}, "?ascending"),
        ({"related_agents": "TRUE"}, "?related_agents"),
        ({"format": "full"}, "?format"),
        ({"Verb": COMPLETED}, "?Verb"),
        ({"unknown": "1"}, "?unknown"),
        ({"more": "x.y", "verb": COMPLETED}, "?verb"),
    ],
    ids=[
        "7.1 agent not JSON",
        "7.1 anonymous group",
        "7.1 agent without IFI",
        "7.1 verb not IRI",
        "7.1 activity not IRI",
        "7.1 registration not UUID",
        "7.1 since not timestamp",
        "7.1 until not timestamp",
        "7.1 negative limit",
        "7.1 limit not integer",
        "2.6 boolean not literal",
        "2.6 boolean wrong case",
        "7.1 unknown format",
        "2.6 parameter in wrong case",
        "2.6 unknown parameter",
        "7.4 more with other parameters",
    ],
)
def test_invalid_query_parameters_are_refused(client, params, pointer):
    """1.0.3 Comm §2.1.3, §3.2: bad or unknown parameters → 400 naming the parameter."""
    response = query(client, **params)
    assert response.status_code == 400, response.text
    assert response.json["error"]["details"][0]["pointer"] == pointer


def test_a_more_token_is_refused_for_another_tenant_or_when_changed(client, ledger):
    """Issue 3: a forged or another tenant's cursor → 400."""
    post(client, [statement() for _ in range(3)])
    more = query(client, limit="1").json["more"]
    token = parse_qs(urlsplit(more).query)["more"][0]
    ledger.create_tenant("other")
    key, secret = ledger.issue_credential("other", ["all"], "other", "test")
    headers = xapi_headers(Authorization=basic(key, secret))
    other = client.simulate_get(URL, params={"more": token}, headers=headers)
    assert other.status_code == 400
    changed = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert query(client, more=changed).status_code == 400


def test_tenants_see_only_their_own_statements_in_queries(client, ledger):
    post(client, [statement() for _ in range(2)])
    ledger.create_tenant("other")
    key, secret = ledger.issue_credential("other", ["all"], "other", "test")
    headers = xapi_headers(Authorization=basic(key, secret))
    response = client.simulate_get(URL, headers=headers)
    assert response.json == {"statements": [], "more": ""}
