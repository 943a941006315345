"""/xapi/agents, /xapi/activities and format=canonical over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import basic, xapi_headers
from tests.factories import statement, with_id

AGENTS = "/xapi/agents"
ACTIVITIES = "/xapi/activities"
STATEMENTS = "/xapi/statements"
MEETING = {
    "objectType": "Activity",
    "id": "http://www.example.com/meetings/occurances/34534",
    "definition": {
        "type": "http://adlnet.gov/expapi/activities/meeting",
        "name": {"en-GB": "example meeting", "en-US": "example meeting"},
        "description": {"en-GB": "An example meeting.", "en-US": "An example meeting."},
        "moreInfo": "http://virtualmeeting.example.com/345256",
        "extensions": {
            "http://example.com/profiles/meetings/extension/location": "X:\\meetings\\one",
            "http://example.com/profiles/meetings/extension/reporter": {"name": "Thomas"},
        },
    },
}
CHOICE = {
    "id": "https://quiz.example.com/q1",
    "definition": {
        "name": {"en-US": "Question 1"},
        "interactionType": "choice",
        "correctResponsesPattern": ["golf"],
        "choices": [
            {"id": "golf", "description": {"en-US": "Golf"}},
            {"id": "tetris", "description": {"en-US": "Tetris"}},
        ],
    },
}


def post(client, body, version="1.0.3"):
    response = client.simulate_post(STATEMENTS, json=body, headers=xapi_headers(version))
    assert response.status_code == 200, response.text
    return response.json


def get_person(client, agent, version="1.0.3", **headers):
    params = {"agent": agent if isinstance(agent, str) else json.dumps(agent)}
    return client.simulate_get(AGENTS, params=params, headers=xapi_headers(version, **headers))


def get_activity(client, activity_id, version="1.0.3", **headers):
    return client.simulate_get(
        ACTIVITIES, params={"activityId": activity_id}, headers=xapi_headers(version, **headers)
    )


def activity_unique(**definition) -> dict:
    activity = {"id": f"https://courses.example.com/{uuid.uuid4()}"}
    if definition:
        activity["definition"] = definition
    return activity


def problem_pointers(response) -> list[str]:
    return [d["pointer"] for d in response.json["error"]["details"]]


# -- /xapi/agents -------------------------------------------------------------------------


def test_agents_without_agent_is_a_bad_request(client):
    """(checklist §13; 1.0.3 Comm §2.4; CTS XAPI-00243)"""
    response = client.simulate_get(AGENTS, headers=xapi_headers())
    assert response.status_code == 400
    assert problem_pointers(response) == ["?agent"]


@pytest.mark.parametrize(
    "agent",
    [
        "not json",
        json.dumps({"objectType": "Agent"}),  # no IFI (CTS XAPI-00249)
        json.dumps({"mbox": "mailto:a@example.com", "openid": "https://id.example.com/a"}),
        json.dumps({"objectType": "Group", "mbox": "mailto:team@example.com"}),
        json.dumps({"objectType": "Person", "mbox": ["mailto:a@example.com"]}),
        json.dumps({"mbox": "a@example.com"}),
        json.dumps({"account": {"homePage": "https://hr.example.com"}}),
        json.dumps([{"mbox": "mailto:a@example.com"}]),
    ],
)
def test_agents_refuses_anything_but_an_agent_with_one_identifier(client, agent):
    """(checklist §13: not a Group, not a Person, exactly one IFI; 1.0.3 Comm §2.4; CTS
    XAPI-00249)"""
    response = get_person(client, agent)
    assert response.status_code == 400, response.text
    assert all(p.startswith("?agent") for p in problem_pointers(response))


def test_agents_refuses_unknown_parameters(client):
    """(checklist §2.6, §13)"""
    response = client.simulate_get(
        AGENTS,
        params={"agent": json.dumps({"mbox": "mailto:a@example.com"}), "Agent": "x"},
        headers=xapi_headers(),
    )
    assert response.status_code == 400
    assert problem_pointers(response) == ["?Agent"]


def test_a_known_agent_is_answered_as_a_person_with_arrays(client):
    """(checklist §13: Person, arrays, mbox entries are mailto IRIs; 1.0.3 Comm §2.4; CTS
    XAPI-00237..00239, XAPI-00244, XAPI-00248)"""
    post(
        client,
        statement(actor={"objectType": "Agent", "name": "Ada L", "mbox": "mailto:ada@example.com"}),
    )
    response = get_person(client, {"mbox": "mailto:ada@example.com"})
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert response.json == {
        "objectType": "Person",
        "name": ["Ada L"],
        "mbox": ["mailto:ada@example.com"],
    }


def test_a_person_gathers_every_name_its_identifier_was_seen_with(client):
    """Names from actor, object, instructor, group members and a SubStatement all land on one
    Person; its identifier is kept as first seen, each key once (checklist
    §13 SHOULD*: Person keys limited to the listed ones, each once)."""
    ada = "mailto:ada@example.com"
    post(client, statement(actor={"name": "Ada", "mbox": ada}))
    post(
        client,
        statement(
            actor={"mbox": "mailto:bob@example.com"},
            object={
                "objectType": "Agent",
                "name": "Ada Lovelace",
                "mbox": "mailto:ada@EXAMPLE.com",
            },
            context=None,
        ),
    )
    post(client, statement(context={"instructor": {"name": "Prof. Ada", "mbox": ada}}))
    post(
        client,
        statement(
            actor={
                "objectType": "Group",
                "member": [{"name": "Member Ada", "mbox": ada}, {"mbox": "mailto:c@example.com"}],
            }
        ),
    )
    post(
        client,
        statement(
            object={
                "objectType": "SubStatement",
                "actor": {"name": "Sub Ada", "mbox": ada},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
                "object": {"id": "https://courses.example.com/sub"},
            },
            context=None,
        ),
    )
    post(client, statement(actor={"name": "Ada", "mbox": ada}))  # a name seen before
    response = get_person(client, {"mbox": ada})
    assert response.json == {
        "objectType": "Person",
        "name": ["Ada", "Ada Lovelace", "Prof. Ada", "Member Ada", "Sub Ada"],
        "mbox": [ada],
    }


def test_context_agents_and_groups_are_seen_under_2_0(client):
    """2.0 LRS §4.2.2.5: contextAgents[].agent and contextGroups[].group members (checklist
    §13, §16.3)."""
    context = {
        "contextAgents": [
            {
                "objectType": "contextAgent",
                "agent": {"name": "Coach", "openid": "https://id.example.com/coach"},
            }
        ],
        "contextGroups": [
            {
                "objectType": "contextGroup",
                "group": {
                    "objectType": "Group",
                    "member": [
                        {
                            "name": "Peer",
                            "account": {"homePage": "https://hr.example.com", "name": "p7"},
                        }
                    ],
                },
            }
        ],
    }
    post(client, statement(context=context), version="2.0.0")
    coach = get_person(client, {"openid": "https://id.example.com/coach"}, version="2.0.0")
    assert coach.json == {
        "objectType": "Person",
        "name": ["Coach"],
        "openid": ["https://id.example.com/coach"],
    }
    peer = get_person(
        client, {"account": {"homePage": "https://HR.example.com", "name": "p7"}}, version="2.0.0"
    )
    assert peer.json == {
        "objectType": "Person",
        "name": ["Peer"],
        "account": [{"homePage": "https://hr.example.com", "name": "p7"}],
    }


def test_an_unknown_agent_is_a_person_built_from_the_agent_alone(client):
    """(checklist §13: unknown agent → 200 with a Person from the requested Agent; 1.0.3 Comm
    §2.4; CTS XAPI-00236, XAPI-00247)"""
    sha1 = "0123456789abcdef0123456789abcdef01234567"
    response = get_person(client, {"objectType": "Agent", "name": "Nobody", "mbox_sha1sum": sha1})
    assert response.status_code == 200
    assert response.json == {"objectType": "Person", "name": ["Nobody"], "mbox_sha1sum": [sha1]}
    account = {"homePage": "https://hr.example.com", "name": "x1"}
    assert get_person(client, {"account": account}).json == {
        "objectType": "Person",
        "account": [account],
    }


def test_the_authority_is_not_a_person(client):
    """Decision (checklist §13): `authority` is filled from the credential, so it is not
    taken as a sighting of an agent."""
    stored = post(client, statement())[0]
    authority = client.simulate_get(
        STATEMENTS, params={"statementId": stored}, headers=xapi_headers()
    ).json["authority"]
    response = get_person(client, {"account": authority["account"]})
    assert response.json == {"objectType": "Person", "account": [authority["account"]]}


def test_head_on_agents_answers_headers_without_a_body(client):
    """(checklist §1: every GET resource answers HEAD; CTS XAPI-00125..126)"""
    response = client.simulate_head(
        AGENTS,
        params={"agent": json.dumps({"mbox": "mailto:a@example.com"})},
        headers=xapi_headers(),
    )
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


@pytest.mark.parametrize(
    ("scopes", "status"),
    [
        (["statements/read/mine"], 403),
        (["statements/write"], 403),
        (["statements/read"], 200),
        (["all/read"], 200),
    ],
)
def test_agents_and_activities_need_a_scope_that_reads_every_statement(
    client, ledger, scopes, status
):
    """Decision (checklist §2.7, §13, §14): statements/read, all/read or all."""
    key, secret = ledger.issue_credential("default", scopes, "reader", "test")
    headers = xapi_headers(Authorization=basic(key, secret))
    person = client.simulate_get(
        AGENTS, params={"agent": json.dumps({"mbox": "mailto:a@example.com"})}, headers=headers
    )
    activity = client.simulate_get(
        ACTIVITIES, params={"activityId": "https://courses.example.com/x"}, headers=headers
    )
    assert (person.status_code, activity.status_code) == (status, status)


# -- /xapi/activities ---------------------------------------------------------------------


def test_activities_without_activity_id_is_a_bad_request(client):
    """(checklist §14; 1.0.3 Comm §2.5; CTS XAPI-00250)"""
    response = client.simulate_get(ACTIVITIES, headers=xapi_headers())
    assert response.status_code == 400
    assert problem_pointers(response) == ["?activityId"]


@pytest.mark.parametrize("activity_id", ["true", "not an iri", "/relative/path", ""])
def test_activities_refuses_an_activity_id_that_is_not_an_iri(client, activity_id):
    """(checklist §14: activityId is an IRI; 1.0.3 Comm §2.5)"""
    response = get_activity(client, activity_id)
    assert response.status_code == 400
    assert problem_pointers(response) == ["?activityId"]


def test_an_activity_is_answered_complete_as_one_statement_defined_it(client):
    """(checklist §14: `{objectType, id, definition}`; 1.0.3 Comm §2.5; CTS XAPI-00251,
    XAPI-00253)"""
    activity = {**MEETING, "id": f"http://www.example.com/verify/complete/{uuid.uuid4()}"}
    post(client, [statement(object=activity)])
    response = get_activity(client, activity["id"])
    assert response.status_code == 200
    assert response.json == activity


def test_resending_a_held_statement_id_changes_no_definition(client):
    """An id the ledger holds changes nothing: re-sent with another Activity definition
    (equivalent: definitions are an immutability exception), it is accepted and the canonical
    definition does not change (checklist §5.3; 1.0.3 Comm §2.1.1-2.1.2, Data §2.3.1)."""
    first = activity_unique(name={"en-US": "first name"})
    original = with_id(object=first)
    post(client, [original])
    resent = {
        **original,
        "object": {"id": first["id"], "definition": {"name": {"en-US": "second name"}}},
    }
    put = client.simulate_put(
        STATEMENTS, params={"statementId": original["id"]}, json=resent, headers=xapi_headers()
    )
    assert put.status_code == 204, put.text
    assert post(client, [resent]) == [original["id"]]
    assert get_activity(client, first["id"]).json["definition"] == {"name": {"en-US": "first name"}}


def test_languages_from_different_statements_merge_into_one_map(client):
    """(checklist §14: the definition accumulates what statements supplied; CTS v2_0 4.1.6.4,
    XAPI-00254; checklist §5.5 MAY: small fixes from newer definitions)"""
    first = activity_unique(name={"en-US": "example meeting"}, description={"en-US": "A meetng."})
    second = {
        "id": first["id"],
        "definition": {"name": {"fr-FR": "réunion"}, "description": {"en-us": "A meeting."}},
    }
    post(client, [statement(object=first), statement(object=second)])
    definition = get_activity(client, first["id"]).json["definition"]
    assert definition == {
        "name": {"en-US": "example meeting", "fr-FR": "réunion"},
        "description": {"en-us": "A meeting."},
    }


def test_an_unknown_activity_is_answered_with_its_id_alone(client):
    """(checklist §14 SHOULD*, §16.4: unknown activity → 200 with an Activity object; 2.0 LRS
    §4.1.6.4; CTS v2_0 4.1.6.4)"""
    activity_id = f"http://www.example.com/never-before-seen-activityId/{uuid.uuid4()}"
    response = get_activity(client, activity_id, version="2.0.0")
    assert response.status_code == 200
    assert response.json == {"objectType": "Activity", "id": activity_id}


def test_an_activity_seen_without_a_definition_has_none(client):
    """(checklist §14) An Activity only ever sent by id has no definition to answer."""
    activity = activity_unique()
    post(client, statement(object=activity))
    assert get_activity(client, activity["id"]).json == {
        "objectType": "Activity",
        "id": activity["id"],
    }


def test_the_activity_id_is_compared_as_statements_compare_iris_and_answered_as_asked(client):
    """(checklist §14: same IRI comparison as statements; 1.0.3 Data §3.1; CTS v2_0 4.2.7)"""
    token = uuid.uuid4()
    post(
        client,
        statement(
            object={
                "id": f"HTTPS://Courses.Example.com/{token}",
                "definition": {"name": {"en": "Upper"}},
            }
        ),
    )
    asked = f"https://courses.example.com/{token}"
    assert get_activity(client, asked).json == {
        "objectType": "Activity",
        "id": asked,
        "definition": {"name": {"en": "Upper"}},
    }
    other_path = get_activity(client, f"https://courses.example.com/{str(token).upper()}")
    assert "definition" not in other_path.json  # the path stays case-sensitive


def test_definitions_come_from_context_activities_and_substatements_too(client):
    """Every place a statement carries an Activity defines it (checklist §5.5, §14)."""
    parent, grouping, inner, inner_parent = (
        activity_unique(name={"en": n}) for n in ("P", "G", "I", "IP")
    )
    post(
        client,
        statement(
            object={
                "objectType": "SubStatement",
                "actor": {"mbox": "mailto:ada@example.com"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
                "object": inner,
                "context": {"contextActivities": {"parent": inner_parent}},
            },
            context={"contextActivities": {"parent": [parent], "grouping": grouping}},
        ),
    )
    for activity in (parent, grouping, inner, inner_parent):
        assert get_activity(client, activity["id"]).json["definition"] == activity["definition"]


def test_later_statements_do_not_change_interaction_definitions(client):
    """(checklist §5.5 SHOULD NOT: significant changes such as correct responses are not
    applied; component descriptions still gain languages; 1.0.3 Data §2.4.4.1)"""
    activity_id = f"https://quiz.example.com/{uuid.uuid4()}"
    post(client, statement(object={**CHOICE, "id": activity_id}))
    later = {
        "id": activity_id,
        "definition": {
            "name": {"de-DE": "Frage 1"},
            "interactionType": "choice",
            "correctResponsesPattern": ["tetris"],
            "choices": [
                {"id": "golf", "description": {"de-DE": "Golf (de)"}},
                {"id": "chess", "description": {"en-US": "Chess"}},
            ],
        },
    }
    post(client, statement(object=later))
    post(
        client,
        statement(
            object={
                "id": activity_id,
                "definition": {
                    "interactionType": "true-false",
                    "correctResponsesPattern": ["true"],
                },
            }
        ),
    )
    definition = get_activity(client, activity_id).json["definition"]
    assert definition == {
        "name": {"en-US": "Question 1", "de-DE": "Frage 1"},
        "interactionType": "choice",
        "correctResponsesPattern": ["golf"],
        "choices": [
            {"id": "golf", "description": {"en-US": "Golf", "de-DE": "Golf (de)"}},
            {"id": "tetris", "description": {"en-US": "Tetris"}},
        ],
    }


def test_definitions_and_persons_stay_within_their_tenant(client, ledger):
    """Another tenant's statements never show in this tenant's definitions or Persons."""
    ledger.create_tenant("other")
    key, secret = ledger.issue_credential("other", ["all"], "other admin", "test")
    activity = activity_unique(name={"en": "Theirs"})
    body = statement(object=activity, actor={"name": "Theirs", "mbox": "mailto:t@example.com"})
    headers = xapi_headers(Authorization=basic(key, secret))
    assert client.simulate_post(STATEMENTS, json=body, headers=headers).status_code == 200
    assert "definition" not in get_activity(client, activity["id"]).json
    assert get_person(client, {"mbox": "mailto:t@example.com"}).json == {
        "objectType": "Person",
        "mbox": ["mailto:t@example.com"],
    }
    theirs = client.simulate_get(ACTIVITIES, params={"activityId": activity["id"]}, headers=headers)
    assert theirs.json["definition"] == {"name": {"en": "Theirs"}}


def test_head_on_activities_answers_headers_without_a_body(client):
    """(checklist §1; CTS XAPI-00125..126)"""
    response = client.simulate_head(
        ACTIVITIES, params={"activityId": "https://courses.example.com/x"}, headers=xapi_headers()
    )
    assert response.status_code == 200
    assert response.content == b""


# -- format=canonical ---------------------------------------------------------------------


def test_canonical_format_shows_the_merged_definition_one_language_per_map(client):
    """(checklist §7.3: canonical replaces Activities by the canonical definition; one
    language per map, chosen map by map by Accept-Language; 1.0.3 Comm §2.1.3; CTS XAPI-00169,
    XAPI-00172; checklist §16.4: one language per canonical map)"""
    activity_id = f"https://quiz.example.com/{uuid.uuid4()}"
    first = with_id(object={**CHOICE, "id": activity_id})
    post(client, first)
    post(
        client,
        statement(
            object={
                "id": activity_id,
                "definition": {
                    "name": {"fr-FR": "Question un"},
                    "description": {"fr-FR": "Choisissez"},
                    "interactionType": "choice",
                    "choices": [{"id": "golf", "description": {"fr-FR": "Le golf"}}],
                },
            }
        ),
    )
    response = client.simulate_get(
        STATEMENTS,
        params={"statementId": first["id"], "format": "canonical"},
        headers=xapi_headers(**{"Accept-Language": "fr;q=0.9, en-US;q=0.5"}),
    )
    assert response.status_code == 200
    assert response.json["object"]["definition"] == {
        "name": {"fr-FR": "Question un"},
        "interactionType": "choice",
        "correctResponsesPattern": ["golf"],
        "choices": [
            {"id": "golf", "description": {"fr-FR": "Le golf"}},
            {"id": "tetris", "description": {"en-US": "Tetris"}},  # the only language it has
        ],
        "description": {"fr-FR": "Choisissez"},
    }
    exact = client.simulate_get(
        STATEMENTS,
        params={"statementId": first["id"]},
        headers=xapi_headers(**{"Accept-Language": "fr"}),
    )
    assert exact.json["object"] == first["object"]  # exact: as received, no filtering


def test_canonical_pages_use_the_canonical_definitions_of_every_activity(client):
    """(checklist §7.3 for query pages: object and contextActivities replaced)"""
    course = activity_unique(name={"en-US": "Course"})
    registration = str(uuid.uuid4())
    post(
        client,
        statement(
            object={"id": course["id"]},
            context={
                "registration": registration,
                "contextActivities": {"parent": [{"id": course["id"]}]},
            },
        ),
    )
    post(client, statement(object=course, context={"registration": registration}))
    post(
        client,
        statement(
            object={"id": course["id"], "definition": {"name": {"de-DE": "Kurs"}}},
            context={"registration": registration},
        ),
    )
    response = client.simulate_get(
        STATEMENTS,
        params={"registration": registration, "format": "canonical"},
        headers=xapi_headers(**{"Accept-Language": "de"}),
    )
    statements = response.json["statements"]
    assert len(statements) == 3
    for s in statements:
        assert s["object"]["definition"] == {"name": {"de-DE": "Kurs"}}
    assert statements[-1]["context"]["contextActivities"]["parent"][0]["definition"] == {
        "name": {"de-DE": "Kurs"}
    }


def test_a_voided_statement_keeps_its_definition_and_names(client):
    """Decision (checklist §6 MAY undo definition changes: not done): voiding retracts the
    experience, not what the statement said an Activity or Agent is."""
    activity = activity_unique(name={"en": "Kept"})
    target = with_id(object=activity, actor={"name": "Still Ada", "mbox": "mailto:ada@example.com"})
    post(client, target)
    post(
        client,
        statement(
            id=str(uuid.uuid4()),
            verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
            object={"objectType": "StatementRef", "id": target["id"]},
            result=None,
            context=None,
        ),
    )
    assert get_activity(client, activity["id"]).json["definition"] == {"name": {"en": "Kept"}}
    assert get_person(client, {"mbox": "mailto:ada@example.com"}).json["name"] == [
        "Still Ada",
        "Ada",
    ]


def test_names_and_accounts_holding_nul_are_kept(client):
    """U+0000 is a valid JSON string character: a Person with it in a name and account name
    is stored and answered, on PostgreSQL too (whose text cannot hold it) (checklist §13)."""
    agent = {"name": "A\u0000B", "account": {"homePage": "https://example.com", "name": "x\u0000y"}}
    post(client, [statement(actor=agent)])
    response = get_person(client, {"account": agent["account"]})
    assert response.status_code == 200, response.text
    assert response.json["name"] == ["A\u0000B"]
    assert response.json["account"] == [agent["account"]]
