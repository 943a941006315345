"""The xAPI document resources over HTTP (falcon TestClient), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from falcon import testing

from ledger.documents import DOCUMENT_TOPICS, PUT_TOPIC
from ledger.xapi.primitives import format_timestamp
from tests.conftest import basic, event_count, xapi_headers

STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"
ACTIVITY = "https://courses.example.com/documents"
AGENT = {"objectType": "Agent", "mbox": "mailto:ada@example.com", "name": "Ada"}


def agent_json(agent: dict | None = None) -> str:
    return orjson.dumps(agent or AGENT).decode()


def state_params(state_id: str | None = "progress", **extra: str) -> dict[str, str]:
    params = {"activityId": ACTIVITY, "agent": agent_json()}
    if state_id is not None:
        params["stateId"] = state_id
    params.update(extra)
    return params


def activity_profile_params(profile_id: str | None = "course-settings") -> dict[str, str]:
    params = {"activityId": ACTIVITY}
    if profile_id is not None:
        params["profileId"] = profile_id
    return params


def agent_profile_params(profile_id: str | None = "preferences") -> dict[str, str]:
    params = {"agent": agent_json()}
    if profile_id is not None:
        params["profileId"] = profile_id
    return params


RESOURCES = [
    pytest.param(STATE, state_params, id="state"),
    pytest.param(ACTIVITY_PROFILE, activity_profile_params, id="activity profile"),
    pytest.param(AGENT_PROFILE, agent_profile_params, id="agent profile"),
]
PROFILES = RESOURCES[1:]


def send(
    client: testing.TestClient,
    method: str,
    url: str,
    params: dict[str, str],
    body: bytes | object | None = None,
    content_type: str = "application/json",
    version: str = "1.0.3",
    **headers: str,
):
    data = body if isinstance(body, bytes) or body is None else orjson.dumps(body)
    all_headers = xapi_headers(version, **headers)
    all_headers["Content-Type"] = content_type
    return client.simulate_request(method, url, params=params, body=data, headers=all_headers)


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def etag_of(response) -> str:
    return response.headers["etag"]


# -- §9: storing, reading, merging, deleting -------------------------------------------------


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_put_stores_bytes_and_content_type_returned_as_sent(client, url, params):
    """PUT → 204; GET → 200 with the bytes and the Content-Type as sent (checklist §9, §2.3;
    1.0.3 Comm §2.2)."""
    body = b"\x00\xff binary \r\n content"
    response = send(client, "PUT", url, params(), body, "application/x-custom; charset=binary")
    assert response.status_code == 204
    assert response.content == b""
    fetched = send(client, "GET", url, params())
    assert fetched.status_code == 200
    assert fetched.content == body
    assert fetched.headers["content-type"] == "application/x-custom; charset=binary"


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_get_carries_a_quoted_sha1_etag_and_last_modified(client, url, params):
    """Every document GET has ETag = quoted lowercase SHA-1 hex of the bytes, and
    Last-Modified (checklist §9, §9.1, §16.4; 1.0.3 Comm §3.1, §2.2)."""
    body = b'{"progress": 0.5}'
    send(client, "PUT", url, params(), body)
    for version in ("1.0.3", "2.0.0"):
        fetched = send(client, "GET", url, params(), version=version)
        assert etag_of(fetched) == f'"{sha1(body)}"'
        assert fetched.headers["last-modified"].endswith(" GMT")


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_head_answers_like_get_without_a_body(client, url, params):
    """HEAD: the GET's status and headers, no body (checklist §1; 1.0.3 Comm §1.1)."""
    send(client, "PUT", url, params(), b'{"a": 1}')
    got = send(client, "GET", url, params())
    head = send(client, "HEAD", url, params())
    assert head.status_code == 200
    assert head.content == b""
    for name in ("etag", "last-modified", "content-type"):
        assert head.headers[name] == got.headers[name]
    listed = send(client, "HEAD", url, params(None))
    assert listed.status_code == 200 and listed.content == b""


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_unknown_document_is_404(client, url, params):
    """GET of a document never stored → 404 (checklist §9; 1.0.3 Comm §3.2)."""
    response = send(client, "GET", url, params())
    assert response.status_code == 404
    assert response.json["error"]["code"] == "document_not_found"


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_post_of_a_new_document_stores_it(client, url, params):
    """POST where nothing is stored stores the body as new → 204 (checklist §9; CTS
    XAPI-00233)."""
    response = send(client, "POST", url, params(), b"plain words", "text/plain")
    assert response.status_code == 204
    assert send(client, "GET", url, params()).content == b"plain words"


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_post_merges_top_level_properties_only(client, url, params):
    """POST of a JSON object onto a stored JSON object: posted keys overwrite or add, others
    stay, nested values are replaced whole (checklist §9; 1.0.3 Comm §2.2; CTS XAPI-00234)."""
    send(client, "PUT", url, params(), {"x": "foo", "y": "bar", "n": {"a": 1, "b": 2}})
    response = send(client, "POST", url, params(), {"x": "bash", "z": "faz", "n": {"c": 3}})
    assert response.status_code == 204
    fetched = send(client, "GET", url, params())
    assert fetched.json == {"x": "bash", "y": "bar", "z": "faz", "n": {"c": 3}}
    assert etag_of(fetched) == etag_of(response) == f'"{sha1(fetched.content)}"'


@pytest.mark.parametrize(("url", "params"), RESOURCES)
@pytest.mark.parametrize(
    ("stored", "stored_type", "posted", "posted_type"),
    [
        (b'{"a": 1}', "application/json", b"abc", "text/plain"),
        (b"/ asdf / undefined", "application/octet-stream", b'{"a": 1}', "application/json"),
        (b"[1, 2]", "application/json", b'{"a": 1}', "application/json"),
        (b'{"a": 1}', "application/json", b"[1, 2]", "application/json"),
        (b"not json at all", "application/json", b'{"a": 1}', "application/json"),
    ],
    ids=["posted not JSON", "stored not JSON", "stored array", "posted array", "stored invalid"],
)
def test_post_that_cannot_merge_is_refused_and_changes_nothing(
    client, ledger, url, params, stored, stored_type, posted, posted_type
):
    """POST where either document is not an application/json JSON object → 400, nothing
    changed (checklist §9; 1.0.3 Comm §2.2; CTS XAPI-00229, XAPI-00232)."""
    send(client, "PUT", url, params(), stored, stored_type)
    before = event_count(ledger)
    response = send(client, "POST", url, params(), posted, posted_type)
    assert response.status_code == 400
    assert event_count(ledger) == before
    fetched = send(client, "GET", url, params())
    assert fetched.content == stored and fetched.headers["content-type"] == stored_type


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_post_of_invalid_json_is_refused_even_for_a_new_document(client, ledger, url, params):
    """A POST body sent as application/json that is not JSON (or repeats a key) → 400
    (checklist §9, §2.2; CTS XAPI-00235)."""
    before = event_count(ledger)
    for body in (b'{"a": 1}{', b'{"a": 1, "a": 2}'):
        assert send(client, "POST", url, params(), body).status_code == 400
    assert event_count(ledger) == before
    assert send(client, "GET", url, params()).status_code == 404


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_id_list_is_a_json_array_of_current_ids(client, url, params):
    """GET without the id → 200 with a JSON array of ids, empty when there are none; deleted
    documents are not listed (checklist §9; 1.0.3 Comm §2.3, §2.6, §2.7)."""
    empty = send(client, "GET", url, params(None))
    assert empty.status_code == 200 and empty.json == []
    assert "last-modified" not in empty.headers
    for name in ("one", "two", "three"):
        send(client, "PUT", url, params(name), b"{}")
    send(client, "DELETE", url, params("two"))
    listed = send(client, "GET", url, params(None))
    assert listed.headers["content-type"] == "application/json"
    assert sorted(listed.json) == ["one", "three"]


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_since_lists_only_documents_changed_strictly_after_it(client, url, params):
    """`since` keeps ids stored or updated strictly after it; every PUT/POST refreshes the
    time; the list's Last-Modified is the latest listed change (checklist §9, §16.2; 1.0.3
    Comm §2.2-2.3)."""
    send(client, "PUT", url, params("early"), b'{"a": 1}')
    time.sleep(0.005)
    between = format_timestamp(datetime.now(UTC))
    time.sleep(0.005)
    send(client, "PUT", url, params("late"), b'{"a": 1}')
    assert send(client, "GET", url, {**params(None), "since": between}).json == ["late"]
    time.sleep(0.005)
    send(client, "POST", url, params("early"), b'{"b": 2}')
    listed = send(client, "GET", url, {**params(None), "since": between})
    assert sorted(listed.json) == ["early", "late"]
    assert (
        listed.headers["last-modified"]
        == send(client, "GET", url, params("early")).headers["last-modified"]
    )
    future = format_timestamp(datetime(2999, 1, 1, tzinfo=UTC))
    assert send(client, "GET", url, {**params(None), "since": future}).json == []


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_invalid_since_is_refused(client, url, params):
    """`since` must be a Timestamp → else 400 (checklist §9; CTS XAPI-00204)."""
    response = send(client, "GET", url, {**params(None), "since": "not a timestamp"})
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == "?since"


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_delete_removes_the_document_and_deleting_again_is_204(client, ledger, url, params):
    """DELETE → 204; the document is gone; DELETE of a missing document → 204 and no event
    (checklist §9; §17 decision: idempotent DELETE)."""
    send(client, "PUT", url, params(), b"{}")
    assert send(client, "DELETE", url, params()).status_code == 204
    assert send(client, "GET", url, params()).status_code == 404
    before = event_count(ledger)
    assert send(client, "DELETE", url, params()).status_code == 204
    assert event_count(ledger) == before


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_a_deleted_document_can_be_put_again(client, url, params):
    """The aggregate goes on after Deleted: PUT, DELETE, PUT → the new content (checklist §9)."""
    send(client, "PUT", url, params(), b'{"v": 1}')
    send(client, "DELETE", url, params())
    assert send(client, "PUT", url, params(), b'{"v": 2}').status_code == 204
    assert send(client, "GET", url, params()).json == {"v": 2}


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_oversize_document_is_413_and_stores_nothing(settings, ledger, url, params):
    """A document larger than LEDGER_MAX_BODY_BYTES → 413 (checklist §2.8)."""
    from dataclasses import replace

    from api.app import create_app

    small = testing.TestClient(create_app(replace(settings, max_body_bytes=1024), ledger=ledger))
    before = event_count(ledger)
    assert send(small, "PUT", url, params(), b"x" * 1025, "text/plain").status_code == 413
    assert event_count(ledger) == before


def test_put_records_a_document_event_that_names_the_content_by_hash(client, ledger):
    """The event carries sha256, length, ETag and type; the bytes go to the blob table
    (checklist §9; ARCHITECTURE: documents are event-sourced)."""
    body = b"secret-free content \x00"
    send(client, "PUT", STATE, state_params(), body, "application/octet-stream")
    notifications = ledger.recorder.select_notifications(start=None, limit=1000)
    events = [n for n in notifications if n.topic in DOCUMENT_TOPICS]
    assert [n.topic for n in events] == [PUT_TOPIC]
    state = orjson.loads(events[0].state)
    assert body not in events[0].state
    assert state["sha256"] == hashlib.sha256(body).hexdigest()
    assert state["etag"] == sha1(body)
    assert state["length"] == len(body)
    assert state["content_type"] == "application/octet-stream"
    assert state["agent"] == {"mbox": AGENT["mbox"]}
    assert state["credential"] == "test-admin"
    assert ledger.bulk.select_blobs("default", [state["sha256"]]) == {state["sha256"]: body}


# -- §9.1: ETags and concurrency -------------------------------------------------------------


@pytest.mark.parametrize(("url", "params"), RESOURCES)
@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_if_match_must_name_the_current_etag(client, ledger, url, params, method, version):
    """If-Match that names another ETag (quoted or not) → 412, nothing changed; the current
    ETag (alone or in a list) → success (checklist §9.1, §16.5; 1.0.3 Comm §3.1; CTS v2_0
    4.1.4)."""
    send(client, "PUT", url, params(), b'{"a": 1}')
    current = etag_of(send(client, "GET", url, params()))
    before = event_count(ledger)
    for wrong in ('"1111111111111111111111111111111111111111"', "1234", f"W/{current}"):
        response = send(
            client, method, url, params(), b'{"b": 2}', version=version, **{"If-Match": wrong}
        )
        assert response.status_code == 412, wrong
        assert response.json["error"]["code"] == "precondition_failed"
    assert event_count(ledger) == before
    assert send(client, "GET", url, params()).json == {"a": 1}
    listed = f'"{"0" * 40}", {current}'
    response = send(
        client, method, url, params(), b'{"b": 2}', version=version, **{"If-Match": listed}
    )
    assert response.status_code == 204


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_if_match_star_needs_an_existing_document(client, url, params):
    """If-Match: * → 412 when nothing is stored, 204 when something is (checklist §9.1)."""
    assert send(client, "PUT", url, params(), b"{}", **{"If-Match": "*"}).status_code == 412
    assert send(client, "GET", url, params()).status_code == 404
    send(client, "PUT", url, params(), b"{}", **{"If-None-Match": "*"})
    assert send(client, "PUT", url, params(), b"[]", **{"If-Match": "*"}).status_code == 204


@pytest.mark.parametrize(("url", "params"), RESOURCES)
@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_if_none_match_star_writes_only_a_new_document(client, url, params, method):
    """If-None-Match: * → 204 when nothing is stored, 412 and unchanged when something is
    (checklist §9.1, §16.5; 1.0.3 Comm §3.1)."""
    first = send(client, method, url, params(), b'{"a": 1}', **{"If-None-Match": "*"})
    assert first.status_code == 204
    again = send(client, method, url, params(), b'{"b": 2}', **{"If-None-Match": "*"})
    assert again.status_code == 412
    assert send(client, "GET", url, params()).json == {"a": 1}


@pytest.mark.parametrize(("url", "params"), PROFILES)
@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_profile_put_without_preconditions_over_a_document_is_409(client, url, params, version):
    """Unconditional PUT over an existing profile → 409 telling the client to GET and retry
    with If-Match; nothing changed (checklist §9.1, §11, §12; 1.0.3 Comm §3.1)."""
    send(client, "PUT", url, params(), b'{"a": 1}')
    response = send(client, "PUT", url, params(), b'{"b": 2}', version=version)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "document_conflict"
    assert "If-Match" in response.json["error"]["message"]
    assert send(client, "GET", url, params()).json == {"a": 1}


@pytest.mark.parametrize(("url", "params"), RESOURCES)
def test_put_without_preconditions_of_a_new_document_is_stored(client, url, params):
    """PUT with neither header onto nothing → 204 (checklist §9.1), also under 2.0."""
    assert send(client, "PUT", url, params(), b"{}", version="2.0.0").status_code == 204


def test_state_put_without_preconditions_replaces_under_1_0_and_conflicts_under_2_0(client):
    """1.0.3 State allows unconditional writes; 2.0 State PUT over a document → 409
    (checklist §9.1, §16.5; §17 decision; CTS v2_0 4.1.4)."""
    send(client, "PUT", STATE, state_params(), b'{"a": 1}')
    assert send(client, "PUT", STATE, state_params(), b'{"b": 2}').status_code == 204
    assert send(client, "GET", STATE, state_params()).json == {"b": 2}
    conflict = send(client, "PUT", STATE, state_params(), b'{"c": 3}', version="2.0.0")
    assert conflict.status_code == 409
    assert send(client, "GET", STATE, state_params()).json == {"b": 2}
    merged = send(client, "POST", STATE, state_params(), b'{"c": 3}', version="2.0.0")
    assert merged.status_code == 204  # the 409 rule is for PUT only
    assert send(client, "DELETE", STATE, state_params(), version="2.0.0").status_code == 204


def test_put_response_etag_is_the_etag_get_answers(client):
    """PUT answers the new ETag, usable in If-Match straight away (checklist §9.1)."""
    put = send(client, "PUT", STATE, state_params(), b'{"a": 1}')
    assert etag_of(put) == etag_of(send(client, "GET", STATE, state_params()))
    again = send(client, "PUT", STATE, state_params(), b'{"a": 2}', **{"If-Match": etag_of(put)})
    assert again.status_code == 204


# -- §10-12: parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "params", "pointer"),
    [
        ("PUT", state_params(activityId="not an iri"), "?activityId"),
        ("GET", {"agent": agent_json(), "stateId": "s"}, "?activityId"),
        ("DELETE", {"activityId": ACTIVITY}, "?agent"),
        ("POST", state_params(agent="not JSON"), "?agent"),
        ("GET", state_params(agent="true"), "?agent"),
        ("PUT", state_params(agent=agent_json({"name": "no ifi"})), "?agent"),
        (
            "PUT",
            state_params(agent=agent_json({"objectType": "Group", "mbox": "mailto:g@x.org"})),
            "?agent/objectType",
        ),
        ("PUT", state_params(registration="not a uuid"), "?registration"),
        ("DELETE", state_params(registration="true"), "?registration"),
        ("PUT", state_params(None), "?stateId"),
        ("POST", state_params(None), "?stateId"),
        ("PUT", state_params(""), "?stateId"),
        ("PUT", state_params(StateId="x"), "?StateId"),
        ("PUT", state_params(since="2020-01-01T00:00:00Z"), "?since"),
    ],
)
def test_state_parameters_are_checked(client, ledger, method, params, pointer):
    """activityId (IRI) and agent (an Agent as JSON, not a Group) on every method,
    registration a UUID, stateId on PUT/POST, nothing else (checklist §10, §2.6; CTS
    XAPI-00196..215)."""
    before = event_count(ledger)
    response = send(client, method, STATE, params, b"{}")
    assert response.status_code == 400, response.text
    assert response.json["error"]["details"][0]["pointer"] == pointer
    assert event_count(ledger) == before


@pytest.mark.parametrize(
    ("url", "method", "params", "pointer"),
    [
        (ACTIVITY_PROFILE, "DELETE", activity_profile_params(None), "?profileId"),
        (ACTIVITY_PROFILE, "PUT", activity_profile_params(None), "?profileId"),
        (ACTIVITY_PROFILE, "GET", {"profileId": "p"}, "?activityId"),
        (
            ACTIVITY_PROFILE,
            "GET",
            {**activity_profile_params(None), "agent": agent_json()},
            "?agent",
        ),
        (AGENT_PROFILE, "DELETE", agent_profile_params(None), "?profileId"),
        (AGENT_PROFILE, "POST", {"profileId": "p"}, "?agent"),
        (
            AGENT_PROFILE,
            "GET",
            {"agent": agent_json({"objectType": "Group", "member": [AGENT]}), "profileId": "p"},
            "?agent/objectType",
        ),
    ],
)
def test_profile_parameters_are_checked(client, url, method, params, pointer):
    """activityId / agent required (agent an Agent, not a Group), profileId on PUT, POST and
    DELETE — no bulk DELETE (checklist §11, §12)."""
    response = send(client, method, url, params, b"{}")
    assert response.status_code == 400, response.text
    assert response.json["error"]["details"][0]["pointer"] == pointer


def test_state_documents_under_a_registration_are_distinct(client):
    """Key = activity + agent IFI + registration + stateId (checklist §10)."""
    registration = str(uuid.uuid4())
    send(client, "PUT", STATE, state_params(), b'{"where": "none"}')
    send(client, "PUT", STATE, state_params(registration=registration), b'{"where": "reg"}')
    assert send(client, "GET", STATE, state_params()).json == {"where": "none"}
    upper = registration.upper()
    assert send(client, "GET", STATE, state_params(registration=upper)).json == {"where": "reg"}


def test_state_list_and_delete_without_registration_cover_every_registration(client):
    """§17 decision: without `registration` the id list and the DELETE of many cover all
    registrations; with it, only that one (checklist §10; 1.0.3 Comm §2.3)."""
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    send(client, "PUT", STATE, state_params("a"), b"{}")
    send(client, "PUT", STATE, state_params("b", registration=first), b"{}")
    send(client, "PUT", STATE, state_params("a", registration=second), b"{}")
    other = state_params("c", activityId=ACTIVITY + "/other")
    send(client, "PUT", STATE, other, b"{}")
    assert send(client, "GET", STATE, state_params(None)).json == ["a", "b"]
    assert send(client, "GET", STATE, state_params(None, registration=first)).json == ["b"]
    deleted = send(client, "DELETE", STATE, state_params(None, registration=second))
    assert deleted.status_code == 204
    assert send(client, "GET", STATE, state_params(None)).json == ["a", "b"]
    assert send(client, "GET", STATE, state_params("a", registration=second)).status_code == 404
    assert send(client, "DELETE", STATE, state_params(None)).status_code == 204
    assert send(client, "GET", STATE, state_params(None)).json == []
    assert send(client, "GET", STATE, other).status_code == 200


def test_state_delete_of_many_refuses_preconditions(client):
    """If-Match names one document's ETag: a DELETE of many with it → 400 (checklist §10)."""
    send(client, "PUT", STATE, state_params(), b"{}")
    response = send(client, "DELETE", STATE, state_params(None), **{"If-Match": "*"})
    assert response.status_code == 400
    assert send(client, "GET", STATE, state_params()).status_code == 200


def test_since_with_a_state_id_is_ignored_under_1_0_and_refused_under_2_0(client):
    """`since` belongs to the id list (checklist §10, §16.5; 2.0 LRS §4.1.6.2)."""
    send(client, "PUT", STATE, state_params(), b"{}")
    params = state_params(since="2020-01-01T00:00:00Z")
    assert send(client, "GET", STATE, params).status_code == 200
    refused = send(client, "GET", STATE, params, version="2.0.0")
    assert refused.status_code == 400
    assert refused.json["error"]["details"][0]["pointer"] == "?since"


@pytest.mark.parametrize(("url", "params"), [RESOURCES[0], RESOURCES[2]])
def test_documents_are_keyed_on_the_agents_ifi_only(client, url, params):
    """Name, objectType and the mbox domain's case do not matter; another IFI is another
    agent; an identified Group's IFI in an Agent object works (checklist §10, §12)."""
    send(client, "PUT", url, params(), b'{"who": "ada"}')
    same = {"mbox": "mailto:ada@EXAMPLE.com", "name": "Someone Else"}
    assert send(client, "GET", url, {**params(), "agent": agent_json(same)}).json == {"who": "ada"}
    other = {"mbox": "mailto:ADA@example.com"}  # the local part is case-sensitive
    assert send(client, "GET", url, {**params(), "agent": agent_json(other)}).status_code == 404
    team = {"account": {"homePage": "https://teams.example.com", "name": "blue"}}
    assert (
        send(client, "PUT", url, {**params(), "agent": agent_json(team)}, b"{}").status_code == 204
    )
    assert send(client, "GET", url, {**params(None), "agent": agent_json(team)}).json == [
        params()["stateId" if url == STATE else "profileId"]
    ]


def test_activity_ids_compare_with_scheme_and_host_case_normalised(client):
    """The activity IRI is compared as statements compare it (checklist §16.4)."""
    send(client, "PUT", ACTIVITY_PROFILE, activity_profile_params(), b'{"a": 1}')
    shouted = {
        "activityId": "HTTPS://Courses.Example.com/documents",
        "profileId": "course-settings",
    }
    assert send(client, "GET", ACTIVITY_PROFILE, shouted).json == {"a": 1}


# -- credentials and tenants -----------------------------------------------------------------


def test_scopes_decide_who_may_read_and_write_documents(client, ledger):
    """state → State; profile → profiles; all/read reads only; statements/write nothing
    (checklist §2.7)."""
    grants = {
        "state": {STATE: (204, 200), AGENT_PROFILE: (403, 403)},
        "profile": {STATE: (403, 403), AGENT_PROFILE: (204, 200)},
        "all/read": {STATE: (403, 200), AGENT_PROFILE: (403, 200)},
        "statements/write": {STATE: (403, 403), AGENT_PROFILE: (403, 403)},
    }
    send(client, "PUT", STATE, state_params(), b"{}")
    send(client, "PUT", AGENT_PROFILE, agent_profile_params(), b"{}")
    for scope, expected in grants.items():
        key, secret = ledger.issue_credential("default", [scope], scope, "test")
        auth = {"Authorization": basic(key, secret)}
        for url, (write, read) in expected.items():
            params = state_params("x") if url == STATE else agent_profile_params("x")
            put = send(client, "PUT", url, params, b"{}", **auth, **{"If-None-Match": "*"})
            assert put.status_code == write, (scope, url)
            got = send(
                client,
                "GET",
                url,
                {k: v for k, v in params.items() if "Id" not in k or k == "activityId"},
                **auth,
            )
            assert got.status_code == read, (scope, url)


def test_tenants_do_not_see_each_others_documents(client, ledger):
    """A document is scoped by the credential's tenant (ARCHITECTURE: ids per tenant)."""
    send(client, "PUT", STATE, state_params(), b'{"mine": true}')
    ledger.create_tenant("other")
    key, secret = ledger.issue_credential("other", ["all"], "other", "test")
    auth = {"Authorization": basic(key, secret)}
    assert send(client, "GET", STATE, state_params(), **auth).status_code == 404
    assert send(client, "GET", STATE, state_params(None), **auth).json == []
    send(client, "DELETE", STATE, state_params(None), **auth)
    assert send(client, "GET", STATE, state_params()).json == {"mine": True}


@pytest.mark.parametrize(("url", "params"), [RESOURCES[0], RESOURCES[2]])
def test_ids_and_account_names_holding_nul_are_stored_and_listed(client, url, params):
    """U+0000 is a valid character of a stateId/profileId and of an account name; PostgreSQL
    text cannot hold it, so the read model stores it escaped — never a 500 (checklist §2.2,
    §10, §12)."""
    agent = {"account": {"homePage": "https://lms.example.com", "name": "a\x00b\\0"}}
    document_id = "id\x00with\\nul\\0"
    chosen = {**params(document_id), "agent": agent_json(agent)}
    assert send(client, "PUT", url, chosen, b'{"nul": true}').status_code == 204
    assert send(client, "GET", url, chosen).json == {"nul": True}
    listed = send(client, "GET", url, {**params(None), "agent": agent_json(agent)})
    assert listed.json == [document_id]
