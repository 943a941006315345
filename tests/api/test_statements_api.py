"""The xAPI Statement resource over HTTP (falcon TestClient), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import orjson
import pytest
from falcon import testing

from ledger.application import Ledger
from tests.conftest import basic, event_count, xapi_headers
from tests.factories import statement, voiding, with_id

URL = "/xapi/statements"


def put(client: testing.TestClient, body: object, statement_id: str, version: str = "1.0.3"):
    return client.simulate_put(
        URL, params={"statementId": statement_id}, json=body, headers=xapi_headers(version)
    )


def post(client: testing.TestClient, body: object, version: str = "1.0.3", **headers: str):
    return client.simulate_post(URL, json=body, headers=xapi_headers(version, **headers))


def get(client: testing.TestClient, version: str = "1.0.3", **params: str):
    return client.simulate_get(URL, params=params, headers=xapi_headers(version))


def test_put_stores_the_statement_and_answers_204_with_no_body(client, ledger):
    """1.0.3 Comm §2.1.1: PUT → 204, empty body; the statement is then retrievable."""
    body = with_id()
    response = put(client, body, body["id"])
    assert response.status_code == 204
    assert response.content == b""
    fetched = get(client, statementId=body["id"]).json
    assert fetched["actor"] == body["actor"]
    assert fetched["id"] == body["id"]


def test_put_without_id_in_body_takes_the_statement_id_parameter(client):
    """1.0.3 Comm §2.1.1: the statementId parameter is the id when the body has none."""
    statement_id = str(uuid.uuid4())
    assert put(client, statement(), statement_id).status_code == 204
    assert get(client, statementId=statement_id).json["id"] == statement_id


def test_put_with_a_different_id_in_body_is_refused(client, ledger):
    """1.0.3 Comm §2.1.1: body id and statementId must agree."""
    before = event_count(ledger)
    response = put(client, with_id(), str(uuid.uuid4()))
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == "/id"
    assert event_count(ledger) == before


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({}, "?statementId"),
        ({"statementId": "nope"}, "?statementId"),
        ({"StatementId": "x"}, "?StatementId"),
    ],
    ids=["5.1 missing statementId", "5.1 invalid statementId", "2.6 parameter in wrong case"],
)
def test_put_with_bad_parameters_is_refused(client, params, pointer):
    """1.0.3 Comm §2.1.1, §3.2: statementId is a required UUID; names are case-exact."""
    response = client.simulate_put(URL, params=params, json=statement(), headers=xapi_headers())
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == pointer


def test_put_of_an_array_is_refused(client):
    """1.0.3 Comm §2.1.1: PUT takes a single statement."""
    assert put(client, [statement()], str(uuid.uuid4())).status_code == 400


def test_put_twice_with_the_same_statement_stores_one_event(client, ledger):
    """1.0.3 Comm §2.1.1: an equivalent statement under a known id changes nothing → 204."""
    body = with_id()
    assert put(client, body, body["id"]).status_code == 204
    before = event_count(ledger)
    again = dict(body, verb={"id": body["verb"]["id"], "display": {"fr": "terminé"}})
    assert put(client, again, body["id"]).status_code == 204
    assert event_count(ledger) == before


def test_put_of_a_different_statement_under_a_known_id_is_a_conflict(client, ledger):
    """1.0.3 Comm §2.1.1: a different statement under a known id → 409, nothing stored."""
    body = with_id()
    put(client, body, body["id"])
    before = event_count(ledger)
    changed = dict(body, verb={"id": "http://adlnet.gov/expapi/verbs/failed"})
    response = put(client, changed, body["id"])
    assert response.status_code == 409
    assert response.json["error"]["code"] == "statement_conflict"
    assert event_count(ledger) == before
    assert get(client, statementId=body["id"]).json["verb"] == body["verb"]


def test_post_answers_the_ids_in_request_order_generating_missing_ones(client):
    """1.0.3 Comm §2.1.2: 200 with the ids, in order, generated ones included."""
    given = with_id()
    response = post(client, [statement(), given, statement()])
    assert response.status_code == 200
    ids = response.json
    assert len(ids) == 3 and ids[1] == given["id"]
    for statement_id in ids:
        uuid.UUID(statement_id)
        assert get(client, statementId=statement_id).status_code == 200


def test_post_of_one_statement_object_answers_a_one_id_array(client):
    """1.0.3 Comm §2.1.2: the body may be a single statement."""
    response = post(client, statement())
    assert response.status_code == 200
    assert len(response.json) == 1


def test_post_of_an_empty_array_stores_nothing_and_answers_an_empty_array(client, ledger):
    """Checklist §17 (decided): `[]` → 200 `[]`."""
    before = event_count(ledger)
    response = post(client, [])
    assert response.status_code == 200 and response.json == []
    assert event_count(ledger) == before


def test_a_batch_with_one_invalid_statement_stores_nothing(client, ledger):
    """1.0.3 Comm §3.2: refuse the whole batch; persist nothing (CTS XAPI-00326)."""
    before = event_count(ledger)
    response = post(client, [statement(), statement(verb={"id": "not an iri"}), statement()])
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == "/1/verb/id"
    assert event_count(ledger) == before


def test_a_batch_repeating_an_id_is_refused(client, ledger):
    """1.0.3 Comm §2.1.2 / 2.0 LRS §4.1.6.1: duplicate ids in one batch → 400."""
    body = with_id()
    response = post(client, [body, dict(body)])
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == "/1/id"


def test_a_batch_with_a_conflicting_id_stores_nothing(client, ledger):
    """1.0.3 Comm §3.2: a 409 for one statement refuses the whole batch."""
    body = with_id()
    post(client, body)
    before = event_count(ledger)
    changed = dict(body, verb={"id": "http://adlnet.gov/expapi/verbs/failed"})
    response = post(client, [statement(), changed])
    assert response.status_code == 409
    assert event_count(ledger) == before


def test_a_batch_resending_a_stored_statement_stores_only_the_new_ones(client, ledger):
    """1.0.3 Comm §2.1.2: an equivalent known statement is accepted without a new event."""
    body = with_id()
    post(client, body)
    before = event_count(ledger)
    fresh = with_id()
    response = post(client, [body, fresh])
    assert response.status_code == 200
    assert response.json == [body["id"], fresh["id"]]
    assert event_count(ledger) == before + 1


def test_the_lrs_fills_stored_authority_version_and_timestamp(client):
    """1.0.3 Data §2.4.7-2.4.10: stored always, authority from credentials, version, timestamp."""
    body = statement(timestamp=None, stored="2000-01-01T00:00:00Z")
    statement_id = post(client, body).json[0]
    fetched = get(client, statementId=statement_id).json
    assert fetched["stored"] != "2000-01-01T00:00:00Z"
    assert fetched["timestamp"] == fetched["stored"]
    assert fetched["version"] == "1.0.0"
    assert fetched["authority"]["account"]["name"] == "test-admin"
    assert fetched["authority"]["objectType"] == "Agent"


def test_a_2_0_request_gets_version_2_0_0_filled_and_answered(client):
    """2.0 LRS §4.2.4.3, §4.1.7: version 2.0.0 filled in; response header 2.0.0."""
    response = post(client, statement(), version="2.0.0")
    assert response.headers["X-Experience-API-Version"] == "2.0.0"
    fetched = get(client, version="2.0.0", statementId=response.json[0])
    assert fetched.json["version"] == "2.0.0"


def test_a_submitted_authority_is_replaced_by_the_credentials(client):
    """1.0.3 Data §2.4.9 (CTS XAPI-00099): authority derives from the credentials."""
    body = statement(authority={"objectType": "Agent", "mbox": "mailto:mallory@example.com"})
    fetched = get(client, statementId=post(client, body).json[0]).json
    assert fetched["authority"]["account"]["name"] == "test-admin"


def test_timestamps_come_back_in_utc(client):
    """1.0.3 Data §4.5, 2.0 LRS §4.2.7: timestamps converted to UTC."""
    body = statement(timestamp="2026-01-02T05:04:05.678+02:00")
    fetched = get(client, statementId=post(client, body).json[0]).json
    assert fetched["timestamp"] == "2026-01-02T03:04:05.678Z"


def test_context_activities_come_back_as_arrays(client):
    """1.0.3 Data §2.4.6.2: a lone context activity comes back as a one-item array."""
    parent = {"id": "https://courses.example.com/program"}
    body = statement(context={"contextActivities": {"parent": parent}})
    fetched = get(client, statementId=post(client, body).json[0]).json
    assert fetched["context"]["contextActivities"]["parent"] == [parent]


def test_get_of_an_unknown_statement_is_404(client):
    """1.0.3 Comm §2.1.3: unknown id → 404."""
    response = get(client, statementId=str(uuid.uuid4()))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "statement_not_found"


def test_get_returns_the_bare_statement_with_headers(client):
    """1.0.3 Comm §2.1.3: bare statement; Last-Modified; Consistent-Through; version header."""
    statement_id = post(client, statement()).json[0]
    response = get(client, statementId=statement_id)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert "statements" not in response.json
    assert response.headers["Last-Modified"].endswith("GMT")
    assert response.headers["X-Experience-API-Consistent-Through"].endswith("Z")
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_head_answers_like_get_without_a_body(client):
    """1.0.3 Comm §1.1: HEAD = GET without a body."""
    statement_id = post(client, statement()).json[0]
    response = client.simulate_head(
        URL, params={"statementId": statement_id}, headers=xapi_headers()
    )
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Last-Modified"]


@pytest.mark.parametrize(
    "params",
    [
        {"statementId": "STATEMENT", "voidedStatementId": "STATEMENT"},
        {"statementId": "STATEMENT", "verb": "http://adlnet.gov/expapi/verbs/completed"},
        {"statementId": "STATEMENT", "format": "full"},
        {"statementId": "STATEMENT", "attachments": "yes"},
    ],
    ids=["7.1 both ids", "7.1 id plus a filter", "7.1 unknown format", "7.1 non-boolean"],
)
def test_get_with_bad_parameter_combinations_is_refused(client, params):
    """1.0.3 Comm §2.1.3: parameter rules for single fetches."""
    statement_id = post(client, statement()).json[0]
    params = {k: (statement_id if v == "STATEMENT" else v) for k, v in params.items()}
    assert get(client, **params).status_code == 400


def test_get_format_ids_reduces_agents_activities_and_verbs(client):
    """1.0.3 Comm §2.1.3: format=ids."""
    statement_id = post(client, statement()).json[0]
    fetched = get(client, statementId=statement_id, format="ids").json
    assert fetched["actor"] == {"objectType": "Agent", "mbox": "mailto:ada@example.com"}
    assert fetched["verb"] == {"id": "http://adlnet.gov/expapi/verbs/completed"}
    assert "definition" not in fetched["object"]


def test_get_format_canonical_keeps_one_language_by_accept_language(client):
    """1.0.3 Comm §2.1.3: canonical → one language per map, chosen by Accept-Language."""
    body = statement(
        object={
            "id": "https://courses.example.com/x",
            "definition": {"name": {"en-US": "Safety", "de-DE": "Sicherheit"}},
        }
    )
    statement_id = post(client, body).json[0]
    response = client.simulate_get(
        URL,
        params={"statementId": statement_id, "format": "canonical"},
        headers=xapi_headers(**{"Accept-Language": "de-DE, en;q=0.5"}),
    )
    assert response.json["object"]["definition"]["name"] == {"de-DE": "Sicherheit"}


def test_voiding_hides_the_target_from_statement_id_and_shows_it_by_voided_id(client, ledger):
    """1.0.3 Comm §2.1.4, Data §2.3.2 (CTS XAPI-00155)."""
    target = with_id()
    post(client, target)
    void = voiding(target["id"])
    assert post(client, void).status_code == 200
    assert get(client, statementId=target["id"]).status_code == 404
    voided = get(client, voidedStatementId=target["id"])
    assert voided.status_code == 200 and voided.json["id"] == target["id"]
    assert get(client, statementId=void["id"]).status_code == 200
    assert get(client, voidedStatementId=void["id"]).status_code == 404


def test_voiding_an_unknown_statement_is_accepted_and_voids_it_when_it_arrives(client):
    """1.0.3 Data §2.3.2: arrival order does not matter; unknown targets are not refused."""
    target = with_id()
    assert post(client, voiding(target["id"])).status_code == 200
    assert post(client, target).status_code == 200
    assert get(client, statementId=target["id"]).status_code == 404
    assert get(client, voidedStatementId=target["id"]).status_code == 200


def test_voiding_a_voiding_statement_is_refused_and_stores_nothing(client, ledger):
    """1.0.3 Data §2.3.2 (CTS XAPI-00016): a voiding statement cannot be voided."""
    first = voiding(str(uuid.uuid4()))
    post(client, first)
    before = event_count(ledger)
    response = post(client, [statement(), voiding(first["id"])])
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == "/1/object/id"
    assert event_count(ledger) == before


def test_voiding_within_one_batch_works(client):
    """1.0.3 Comm §3.2: a batch may store a statement and its voiding together."""
    target = with_id()
    assert post(client, [target, voiding(target["id"])]).status_code == 200
    assert get(client, voidedStatementId=target["id"]).status_code == 200


def test_voiding_twice_keeps_both_voiding_statements(client):
    """1.0.3 Comm §2.1.4: statements targeting a voided statement remain (CTS XAPI-00162)."""
    target = with_id()
    post(client, target)
    first, second = voiding(target["id"]), voiding(target["id"])
    assert post(client, first).status_code == 200
    assert post(client, second).status_code == 200
    assert get(client, statementId=second["id"]).status_code == 200


def test_voiding_with_a_non_statementref_object_is_refused(client):
    """1.0.3 Data §2.3.2, 2.0 LRS §4.2.5: voided verb needs a StatementRef object."""
    body = statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"})
    assert post(client, body, version="2.0.0").status_code == 400


def test_a_signature_given_only_by_file_url_is_refused_and_nothing_is_stored(client, ledger):
    """Checklist §17 DECIDE, §8.3, §5.2: a fileUrl-only signature cannot be checked → 400."""
    attachment = {
        "usageType": "http://adlnet.gov/expapi/attachments/signature",
        "display": {"en-US": "signature"},
        "contentType": "application/octet-stream",
        "length": 4,
        "sha2": "a" * 64,
        "fileUrl": "https://files.example.com/sig",
    }
    before = event_count(ledger)
    response = post(client, [statement(), statement(attachments=[attachment])])
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == "/1/attachments/0"
    assert event_count(ledger) == before
    multipart = client.simulate_post(
        URL,
        body=b"--x\r\n\r\n--x--",
        headers=xapi_headers(**{"Content-Type": "multipart/mixed; boundary=x"}),
    )
    assert multipart.status_code == 400


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data; boundary=x", "text/plain", "application/x-www-form-urlencoded"],
)
def test_other_content_types_are_refused(client, content_type):
    """CTS XAPI-00127: statement bodies must be JSON (or multipart/mixed)."""
    response = client.simulate_post(
        URL, body=orjson.dumps(statement()), headers=xapi_headers(**{"Content-Type": content_type})
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b'{"actor": {', "JSON"),
        (b'{"actor": 1, "actor": 2}', "actor"),
        (b"\xff\xfe", "UTF-8"),
        (b'{"a": NaN}', "NaN"),
        (b'{"a": 123456789012345678901234567890}', "64-bit"),
        (b'{"a": 1e999}', "too large"),
    ],
    ids=["2.2 malformed", "3 repeated key", "2.2 not UTF-8", "18 NaN", "2.2 huge int", "2.2 inf"],
)
def test_malformed_json_is_refused_with_a_clear_message(client, body, needle):
    """1.0.3 Comm §3.2: malformed JSON → 400 naming the problem."""
    response = client.simulate_post(URL, body=body, headers=xapi_headers())
    assert response.status_code == 400
    assert needle.lower() in response.json["error"]["message"].lower()


def test_an_oversized_body_is_refused_with_413(settings, ledger):
    """1.0.3 Comm §3.2: too large → 413 (limit configurable, default 10 MiB)."""
    from dataclasses import replace

    from api.app import create_app

    small = testing.TestClient(create_app(replace(settings, max_body_bytes=2048), ledger=ledger))
    response = small.simulate_post(URL, json=[statement()] * 10, headers=xapi_headers())
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 400),
        ("0.95", 400),
        ("1.1.0", 400),
        ("2.1.0", 400),
        ("1.0", 200),
        ("1.0.1", 200),
        ("2.0", 200),
    ],
)
def test_version_header_negotiation(client, header, status):
    """1.0.3 Comm §3.3, 2.0 LRS §4.1.7: version rules; header on every response."""
    headers = xapi_headers()
    if header is None:
        del headers["X-Experience-API-Version"]
    else:
        headers["X-Experience-API-Version"] = header
    response = client.simulate_post(URL, json=statement(), headers=headers)
    assert response.status_code == status
    expected = "2.0.0" if (header or "").startswith("2") else "1.0.3"
    assert response.headers["X-Experience-API-Version"] == expected


def test_about_needs_no_credentials_and_lists_both_versions(client):
    """1.0.3 Comm §2.8: /about, no auth, ignores the version header."""
    response = client.simulate_get("/xapi/about", headers={"X-Experience-API-Version": "0.9"})
    assert response.status_code == 200
    assert response.json == {"version": ["1.0.3", "2.0.0"], "extensions": {}}
    assert response.headers["X-Experience-API-Version"]
    head = client.simulate_head("/xapi/about")
    assert head.status_code == 200 and head.content == b""


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer abc", "Basic !!!", basic("test-admin", "wrong-secret"), basic("nobody", "x")],
    ids=["missing", "other scheme", "not base64", "wrong secret", "unknown key"],
)
def test_bad_credentials_get_401_with_a_challenge(client, ledger, authorization):
    """1.0.3 Comm §3.2 (CTS XAPI-00334): missing or wrong credentials → 401."""
    headers = xapi_headers()
    if authorization is None:
        del headers["Authorization"]
    else:
        headers["Authorization"] = authorization
    before = event_count(ledger)
    response = client.simulate_post(URL, json=statement(), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert "wrong-secret" not in response.text
    assert event_count(ledger) == before


def test_a_credential_without_the_write_scope_gets_403(client, ledger):
    """1.0.3 Comm §3.2: accepted credentials lacking permission → 403."""
    key, secret = ledger.issue_credential("default", ["statements/read"], "reader", "test")
    headers = xapi_headers(Authorization=basic(key, secret))
    assert client.simulate_post(URL, json=statement(), headers=headers).status_code == 403
    statement_id = post(client, statement()).json[0]
    response = client.simulate_get(URL, params={"statementId": statement_id}, headers=headers)
    assert response.status_code == 200


def test_tenants_do_not_see_each_others_statements(client, ledger):
    """Statement ids are tenant-scoped: the same id in two tenants are two statements."""
    ledger.create_tenant("other")
    key, secret = ledger.issue_credential("other", ["all"], "other admin", "test")
    other = xapi_headers(Authorization=basic(key, secret))
    body = with_id()
    post(client, body)
    response = client.simulate_get(URL, params={"statementId": body["id"]}, headers=other)
    assert response.status_code == 404
    changed = dict(body, verb={"id": "http://adlnet.gov/expapi/verbs/failed"})
    assert client.simulate_post(URL, json=changed, headers=other).status_code == 200


def test_request_id_is_echoed_or_generated(client):
    """Issue 2 §7: X-Request-Id echoed when given, generated otherwise."""
    given = client.simulate_get("/xapi/about", headers={"X-Request-Id": "abc-123"})
    assert given.headers["X-Request-Id"] == "abc-123"
    made = client.simulate_get("/xapi/about")
    assert len(made.headers["X-Request-Id"]) == 32


def test_unknown_routes_and_methods_answer_json_errors(client):
    """ARCHITECTURE: every error response is the JSON error shape."""
    missing = client.simulate_get("/nowhere")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    wrong = client.simulate_delete(URL, headers=xapi_headers())
    assert wrong.status_code == 405 and "error" in wrong.json


def test_request_log_writes_one_json_line_without_secrets(settings, ledger, capfd):
    """Issue 2 §7: one JSON line per request; secrets never logged."""
    from dataclasses import replace

    from api.app import create_app

    logged = testing.TestClient(create_app(replace(settings, request_log=True), ledger=ledger))
    logged.simulate_post(URL, json=[statement(), statement()], headers=xapi_headers())
    lines = [line for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    record = orjson.loads(lines[-1])
    assert record["statements_stored"] == 2
    assert record["tenant"] == "default" and record["credential"] == "test-admin"
    assert record["status"] == 200 and record["method"] == "POST"
    assert {"time", "request_id", "path", "duration_ms"} <= set(record)
    assert "test-admin-secret" not in "\n".join(lines)


def test_ledger_keeps_statements_as_events(client, ledger: Ledger):
    """Every accepted statement is one Statement.Recorded event."""
    before = event_count(ledger)
    post(client, [statement(), statement(), statement()])
    assert event_count(ledger) == before + 3
