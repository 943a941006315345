"""Transport rules shared by every xAPI resource, over HTTP on SQLite and PostgreSQL.

HEAD, version headers, body sizes, scopes and CORS preflights are checked by walking the app's
routes, so every resource added later is covered without touching this file.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import falcon
import orjson
import pytest
from falcon import testing
from falcon.inspect import inspect_routes

from api.app import create_app
from api.cors import ALLOW_HEADERS, EXPOSE_HEADERS
from ledger.credentials import ADMIN_SCOPES, Principal
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, basic, event_count, xapi_headers
from tests.factories import statement, with_id

URL = "/xapi/statements"
FORM = "application/x-www-form-urlencoded"
ORIGIN = "https://lms.example.com"

# The CTS's own sample parameters (adlnet/lrs-conformance-test-suite test/helper.js).
AGENT = {
    "objectType": "Agent",
    "account": {"homePage": "http://www.example.com/agentId/1", "name": "Rick James"},
}
ACTIVITY = "http://www.example.com/activityId/hashset"
#: Parameters that name something on each xAPI GET resource: (single document, its listing).
#: A route absent here (or not yet built) is still walked with no parameters at all.
KNOWN_PARAMS: dict[str, list[dict[str, str]]] = {
    "/xapi/activities/state": [
        {"activityId": ACTIVITY, "agent": orjson.dumps(AGENT).decode(), "stateId": "s-1"},
        {"activityId": ACTIVITY, "agent": orjson.dumps(AGENT).decode()},
    ],
    "/xapi/activities/profile": [
        {"activityId": ACTIVITY, "profileId": "p-1"},
        {"activityId": ACTIVITY},
    ],
    "/xapi/agents/profile": [
        {"agent": orjson.dumps(AGENT).decode(), "profileId": "p-1"},
        {"agent": orjson.dumps(AGENT).decode()},
    ],
    "/xapi/agents": [{"agent": orjson.dumps(AGENT).decode()}],
    "/xapi/activities": [{"activityId": ACTIVITY}],
    "/xapi/about": [],
    URL: [{"limit": "1"}],
}
#: Headers that differ between two identical requests.
VOLATILE = {"x-request-id", "x-experience-api-consistent-through", "date"}


def routes(app: falcon.App) -> Iterator[tuple[str, Any, set[str]]]:
    """Every `/xapi/` route: (path, resource, the methods it has responders for)."""
    for route in inspect_routes(app):
        if not route.path.startswith("/xapi/"):
            continue
        found = app._router.find(route.path)
        assert found is not None, route.path
        methods = {m.method for m in route.methods if not m.internal}
        yield route.path, found[0], methods


def form_post(
    client: testing.TestClient,
    method: str,
    fields: dict[str, str],
    *,
    url: str = URL,
    headers: dict[str, str] | None = None,
    query: str | None = None,
) -> testing.Result:
    """Send `fields` as an alternate-syntax form POST to `url?method=<method>`."""
    return client.simulate_post(
        url,
        query_string=query if query is not None else f"method={method}",
        body=urlencode(fields),
        headers={"Content-Type": FORM, **(headers or {})},
    )


def form_headers(version: str = "1.0.3") -> dict[str, str]:
    """The headers of an xAPI request, as alternate-syntax form fields."""
    return {"Authorization": basic(), "X-Experience-API-Version": version}


# --- The alternate request syntax (1.0.3) and its removal (2.0) ----------------------------


def test_a_form_put_stores_the_statement(client, ledger):
    """(checklist §2.4; 1.0.3 Comm §1.3): POST ?method=PUT with content, headers as fields."""
    body = with_id()
    response = form_post(
        client,
        "PUT",
        {
            "statementId": body["id"],
            "content": orjson.dumps(body).decode(),
            "Content-Type": "application/json",
            **form_headers(),
        },
    )
    assert response.status_code == 204, response.text
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    fetched = client.simulate_get(URL, params={"statementId": body["id"]}, headers=xapi_headers())
    assert fetched.json["actor"] == body["actor"]


def test_a_form_put_without_a_content_type_field_reads_the_content_as_json(client):
    """(checklist §2.4 IMPLIED; CTS 1.0.3 "alternate request syntax PUT issued as a POST")."""
    statement_id = str(uuid.uuid4())
    fields = {"statementId": statement_id, "content": orjson.dumps(statement()).decode()}
    headers = {"Authorization": basic(), "X-Experience-API-Version": "1.0.3"}
    assert form_post(client, "PUT", fields, headers=headers).status_code == 204


def test_a_form_get_runs_the_query_it_carries(client):
    """(checklist §2.4; 1.0.3 Comm §2.1.2; CTS XAPI-00148): POST ?method=GET → StatementResult."""
    for _ in range(2):
        client.simulate_post(URL, json=statement(), headers=xapi_headers())
    response = form_post(client, "GET", {"limit": "1", **form_headers()})
    assert response.status_code == 200
    assert len(response.json["statements"]) == 1
    assert response.json["more"].startswith("/xapi/statements?more=")
    assert response.headers["X-Experience-API-Consistent-Through"]


def test_a_form_get_fetches_one_statement_with_real_headers(client):
    """(checklist §2.4; 1.0.3 Comm §1.3): header fields MAY stay in the HTTP header."""
    body = with_id()
    client.simulate_post(URL, json=body, headers=xapi_headers())
    response = form_post(
        client,
        "GET",
        {"statementId": body["id"]},
        headers={"Authorization": basic(), "X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 200
    assert response.json["id"] == body["id"]


def test_a_form_post_stores_a_batch_and_answers_its_ids(client, ledger):
    """(checklist §2.4; 1.0.3 Comm §1.3, §2.1.2): POST ?method=POST with the batch as content."""
    before = event_count(ledger)
    batch = [statement(), with_id()]
    fields = {"content": orjson.dumps(batch).decode(), **form_headers()}
    response = form_post(client, "POST", fields)
    assert response.status_code == 200
    assert response.json[1] == batch[1]["id"]
    assert event_count(ledger) == before + 2


def test_form_content_is_read_as_utf8(client):
    """(checklist §2.4, §2.2; 1.0.3 Comm §1.3, §1.4): content is URL-decoded UTF-8 text."""
    body = with_id(actor={"mbox": "mailto:zoe@example.com", "name": "Zoë 日本 🎓"})
    fields = {"statementId": body["id"], "content": orjson.dumps(body).decode(), **form_headers()}
    assert form_post(client, "PUT", fields).status_code == 204
    fetched = client.simulate_get(URL, params={"statementId": body["id"]}, headers=xapi_headers())
    assert fetched.json["actor"]["name"] == "Zoë 日本 🎓"


def test_a_real_version_header_wins_over_the_form_field(client):
    """(checklist §2.4 decided; CTS 1.0.3 Comm 1.3.s3.b7 sends 1.0.x + a form field 0.8 → 204)."""
    fields = {
        "statementId": str(uuid.uuid4()),
        "X-Experience-API-Version": "0.8",
        "content": orjson.dumps(statement()).decode(),
    }
    response = form_post(client, "PUT", fields, headers=xapi_headers(**{"Content-Type": FORM}))
    assert response.status_code == 204


@pytest.mark.parametrize(
    ("method", "query", "body", "content_type", "pointer"),
    [
        pytest.param("GET", "method=POST", "", FORM, "?method", id="2.4 method on GET"),
        pytest.param("PUT", "method=PUT", "", FORM, "?method", id="2.4 method on PUT"),
        pytest.param(
            "POST", "method=PUT&statementId=x", "", FORM, "?statementId", id="2.4 extra parameter"
        ),
        pytest.param("POST", "method=PATCH", "", FORM, "?method", id="2.4 unknown method"),
        pytest.param(
            "POST", "method=PUT", '{"a": 1}', "application/json", "", id="2.4 body not a form"
        ),
        pytest.param("POST", "method=PUT", "content=%FF", FORM, "", id="2.2 form not UTF-8"),
        pytest.param(
            "POST",
            "method=PUT",
            "Content-Transfer-Encoding=binary",
            FORM,
            "?Content-Transfer-Encoding",
            id="2.4 Content-Transfer-Encoding is no header",
        ),
        pytest.param("POST", "method=PUT", "", FORM, "?statementId", id="2.4 PUT with no content"),
    ],
)
def test_malformed_alternate_syntax_is_refused_with_400(
    client, ledger, method, query, body, content_type, pointer
):
    """(checklist §2.4; 1.0.3 Comm §1.3; CTS 1.0.3 Comm 1.3): JSON 400, version header, no write."""
    before = event_count(ledger)
    response = client.simulate_request(
        method,
        URL,
        query_string=query,
        body=body,
        headers=xapi_headers(**{"Content-Type": content_type}),
    )
    assert response.status_code == 400, response.text
    assert response.json["error"]["details"][0]["pointer"] == pointer
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert response.headers["X-Request-Id"]
    assert event_count(ledger) == before


def test_an_oversized_alternate_syntax_form_is_refused_with_413(settings, ledger):
    """(checklist §2.8; 1.0.3 Comm §3.2): the form counts against LEDGER_MAX_BODY_BYTES."""
    small = testing.TestClient(create_app(replace(settings, max_body_bytes=2048), ledger=ledger))
    fields = {"content": orjson.dumps([statement()] * 10).decode(), **form_headers()}
    response = form_post(small, "POST", fields)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("method", "fields", "headers"),
    [
        pytest.param("GET", {}, xapi_headers("2.0.0"), id="16.2 GET via form, 2.0 header"),
        pytest.param(
            "PUT",
            {
                "statementId": str(uuid.uuid4()),
                "content": orjson.dumps(statement()).decode(),
                **form_headers("2.0.0"),
            },
            {},
            id="16.2 PUT via form, 2.0 form field",
        ),
        pytest.param(
            "POST",
            {"content": orjson.dumps(statement()).decode()},
            xapi_headers("2.0"),
            id="16.2 POST via form, 2.0 header",
        ),
    ],
)
def test_the_alternate_syntax_is_refused_under_2_0(client, ledger, method, fields, headers):
    """(checklist §16.2; CTS v2_0 H.Communication1.3 expects 4xx): removed in 2.0, no write."""
    before = event_count(ledger)
    headers = {**headers, "Content-Type": FORM}
    response = form_post(client, method, fields, headers=headers)
    assert response.status_code == 400
    assert "removed in xAPI 2.0" in response.json["error"]["message"]
    assert response.headers["X-Experience-API-Version"] == "2.0.0"
    assert event_count(ledger) == before


def test_method_on_a_non_post_is_refused_under_2_0_too(client):
    """(checklist §16.2; CTS v2_0 "alternate request syntax not issued as a POST")."""
    response = client.simulate_put(
        URL, query_string="method=POST", json=statement(), headers=xapi_headers("2.0.0")
    )
    assert response.status_code == 400


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_a_statement_form_body_without_method_is_refused(client, ledger, version):
    """(checklist §2.3; 1.0.3 Comm §3.2 SHOULD*, CTS XAPI-00127): a form is no statement body."""
    before = event_count(ledger)
    response = client.simulate_post(
        URL,
        body=urlencode({"content": orjson.dumps(statement()).decode()}),
        headers=xapi_headers(version, **{"Content-Type": FORM}),
    )
    assert response.status_code == 400
    assert event_count(ledger) == before
    if version == "1.0.3":
        assert response.json["error"]["details"][0]["pointer"] == "?method"


def test_every_put_and_post_resource_refuses_a_form_body_without_method_under_1_0(client):
    """(checklist §2.3 SHOULD*; 1.0.3 Comm §3.2): documents too — their bodies may be any type."""
    for path, _, methods in routes(client.app):
        for method in methods & {"PUT", "POST"}:
            response = client.simulate_request(
                method,
                path,
                params=(KNOWN_PARAMS.get(path) or [None])[0],
                body="a=1",
                headers=xapi_headers(**{"Content-Type": FORM}),
            )
            assert response.status_code == 400, (method, path)
            assert response.json["error"]["details"][0]["pointer"] == "?method", (method, path)


# --- HEAD, version header, sizes, scopes: every route ---------------------------------------


def _seed(client: testing.TestClient, path: str, methods: set[str]) -> list[dict[str, str]]:
    """Store something each known GET resource can name; return the parameter sets to read."""
    if path == URL:
        body = with_id()
        assert client.simulate_post(URL, json=body, headers=xapi_headers()).status_code == 200
        return [{}, {"statementId": body["id"]}, *KNOWN_PARAMS[URL]]
    known = KNOWN_PARAMS.get(path, [])
    if known and "PUT" in methods and path.endswith(("/state", "/profile")):
        response = client.simulate_put(path, params=known[0], json={"x": 1}, headers=xapi_headers())
        assert response.status_code == 204, (path, response.text)
    return [{}, *known]


def test_every_get_resource_answers_head_like_get_without_a_body(client):
    """(checklist §1; 1.0.3 Comm §1.1; CTS XAPI-00125..126): same status and headers, no body.

    Walks every `/xapi/` route, so resources added later are covered as they arrive.
    """
    walked = []
    for path, _, methods in routes(client.app):
        if "GET" not in methods:
            continue
        assert "HEAD" in methods, f"{path} answers GET but not HEAD"
        for params in _seed(client, path, methods):
            get = client.simulate_get(path, params=params, headers=xapi_headers())
            head = client.simulate_head(path, params=params, headers=xapi_headers())
            if params and path in KNOWN_PARAMS:
                assert get.status_code == 200, (path, params, get.text)
            assert head.status_code == get.status_code, (path, params)
            assert head.content == b"", (path, params)
            get_headers = {k: v for k, v in get.headers.items() if k.lower() not in VOLATILE}
            head_headers = {k: v for k, v in head.headers.items() if k.lower() not in VOLATILE}
            if "content-length" not in head_headers:  # HEAD MAY leave it out (Comm §1.1)
                get_headers.pop("content-length", None)
            assert head_headers == get_headers, (path, params)
            walked.append(path)
    assert URL in walked and "/xapi/about" in walked


def test_every_xapi_response_carries_the_version_header(client):
    """(checklist §2.1, §16.1; 1.0.3 Comm §3.3): successes, errors, 404 and 405 alike."""
    cases: list[tuple[str, str, dict[str, str]]] = [
        ("GET", "/xapi/nowhere", xapi_headers()),
        ("GET", "/xapi/nowhere", {}),
        ("DELETE", URL, xapi_headers()),
        ("PATCH", URL, xapi_headers("2.0.0")),
        ("GET", URL, {"X-Experience-API-Version": "1.0.3"}),
        ("GET", URL, {"Authorization": basic()}),
    ]
    for path, _, methods in routes(client.app):
        for method in methods:
            cases.append((method, path, xapi_headers()))
            cases.append((method, path, xapi_headers("2.0.0")))
            cases.append((method, path, {}))
    for method, path, headers in cases:
        response = client.simulate_request(method, path, headers=headers)
        expected = "2.0.0" if headers.get("X-Experience-API-Version") == "2.0.0" else "1.0.3"
        assert response.headers.get("X-Experience-API-Version") == expected, (method, path)
        if response.status_code >= 400 and method != "HEAD":
            assert "error" in response.json, (method, path)
            assert response.headers["Content-Type"] == "application/json", (method, path)
        if path == URL:  # errors too (checklist §7.5; 1.0.3 Comm §2.1.3)
            assert response.headers["X-Experience-API-Consistent-Through"], method
    assert client.simulate_get("/xapi/nowhere", headers=xapi_headers()).status_code == 404
    assert client.simulate_delete(URL, headers=xapi_headers()).status_code == 405


def test_a_request_without_the_version_header_is_refused_before_credentials(client):
    """(checklist §2.1; CTS XAPI-00321 sends neither version header nor credentials): 400."""
    response = client.simulate_get(URL, params={"statementId": str(uuid.uuid4())})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "unsupported_version"


def test_every_body_above_the_limit_is_refused_with_413(settings, ledger):
    """(checklist §2.8, §2.9; 1.0.3 Comm §3.2): any PUT/POST on any route; the limit is set."""
    small = testing.TestClient(create_app(replace(settings, max_body_bytes=1024), ledger=ledger))
    before = event_count(ledger)
    for path, _, methods in routes(small.app):
        for method in methods & {"PUT", "POST"}:
            response = small.simulate_request(
                method, path, body=b"{" + b" " * 2048 + b"}", headers=xapi_headers()
            )
            assert response.status_code == 413, (method, path)
            assert response.json["error"]["code"] == "payload_too_large"
    assert event_count(ledger) == before


def test_the_bootstrap_admin_is_refused_by_no_permission_rule(client):
    """(checklist §2.9 SHOULD*; 1.0.3 Comm §3.2): its scopes satisfy every method of every route."""
    admin = Principal(tenant="default", key=ADMIN_KEY, scopes=frozenset(ADMIN_SCOPES), authority={})
    for path, resource, methods in routes(client.app):
        if getattr(resource, "public", False):
            continue
        for method in methods - {"OPTIONS"}:
            scopes = getattr(resource, "scopes", {})
            required = scopes.get("GET" if method == "HEAD" else method, ())
            assert admin.has_any_scope(required), (method, path, required)


#: The seven resources of xAPI 1.0.3 Comm §2.0 / 2.0 LRS §4.1.6 (App. B).
XAPI_RESOURCES = {
    "/xapi/statements",
    "/xapi/agents",
    "/xapi/agents/profile",
    "/xapi/activities",
    "/xapi/activities/profile",
    "/xapi/activities/state",
    "/xapi/about",
}


def test_every_xapi_route_is_an_xapi_resource_or_an_extension(client):
    """(checklist §1 SHOULD; 1.0.3 Comm §2.0): vendor endpoints only under /xapi/extensions/."""
    for path, _, _ in routes(client.app):
        assert path in XAPI_RESOURCES or path.startswith("/xapi/extensions/"), path


def test_the_rule_set_follows_the_header_never_the_statement_version(client, ledger):
    """(checklist §1, §16.1; 1.0.3 Comm §3.3, 2.0 LRS §4.1.7): the header picks the rules."""
    context_agents = {
        "contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:c@x.org"}}]
    }
    claims_2_0 = statement(version="2.0.0")
    assert client.simulate_post(URL, json=claims_2_0, headers=xapi_headers()).status_code == 400
    claims_1_0 = statement(version="1.0.0", context=context_agents)
    response = client.simulate_post(URL, json=claims_1_0, headers=xapi_headers("2.0.0"))
    assert response.status_code == 200
    assert client.simulate_post(URL, json=claims_1_0, headers=xapi_headers()).status_code == 400


def test_a_2_0_statement_is_returned_as_stored_to_a_1_0_reader(client):
    """(checklist §16.1; 1.0.3 Comm §3.3): never down-converted; version kept as stored."""
    context = {
        "contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:c@x.org"}}]
    }
    body = with_id(context=context)
    client.simulate_post(URL, json=body, headers=xapi_headers("2.0.0"))
    fetched = client.simulate_get(URL, params={"statementId": body["id"]}, headers=xapi_headers())
    assert fetched.status_code == 200
    assert fetched.headers["X-Experience-API-Version"] == "1.0.3"
    assert fetched.json["context"]["contextAgents"] == context["contextAgents"]
    assert fetched.json["version"] == "2.0.0"


def test_an_unexpected_failure_is_a_json_500_that_reveals_nothing(client, ledger, monkeypatch):
    """(checklist §2.8; 1.0.3 Comm §3.2, CTS XAPI-00329): 500, JSON body, version header."""

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(ledger, "get_statement", broken)
    response = client.simulate_get(
        URL, params={"statementId": str(uuid.uuid4())}, headers=xapi_headers()
    )
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error"
    assert "secret" not in response.text
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


# --- Authentication ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Basic Og==", id="2.7 empty user and password (Basic Og==)"),
        pytest.param(basic("", ""), id="2.7 empty key and secret"),
        pytest.param(
            "Basic:" + basic(ADMIN_KEY, ADMIN_SECRET)[6:], id="2.7 malformed (CTS Basic:...)"
        ),
        pytest.param(basic(ADMIN_KEY, ""), id="2.7 key without secret"),
    ],
)
def test_anonymous_and_malformed_credentials_get_401_with_a_challenge(client, authorization):
    """(checklist §2.7 MAY decided: no anonymous use; 1.0.3 Comm §4.1, §3.2; CTS XAPI-00334)."""
    headers = xapi_headers(Authorization=authorization)
    response = client.simulate_get(URL, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert response.json["error"]["code"] == "unauthenticated"


def test_a_read_mine_credential_is_not_given_every_statement(client, ledger):
    """(checklist §2.7; 1.0.3 Comm §4.2): statements/read/mine does not grant statements/read."""
    key, secret = ledger.issue_credential("default", ["statements/read/mine"], "mine", "test")
    headers = xapi_headers(Authorization=basic(key, secret))
    assert client.simulate_get(URL, headers=headers).status_code == 403


# --- CORS ----------------------------------------------------------------------------------


def cors_client(settings, ledger, origins: tuple[str, ...]) -> testing.TestClient:
    """A client of an app that allows `origins` cross-origin."""
    return testing.TestClient(create_app(replace(settings, cors_origins=origins), ledger=ledger))


def preflight(client: testing.TestClient, path: str, origin: str = ORIGIN) -> testing.Result:
    """A browser's CORS preflight: no credentials, no version header."""
    return client.simulate_options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type,x-experience-api-version",
        },
    )


def test_a_preflight_on_every_resource_is_answered_without_credentials(settings, ledger):
    """(checklist §2.5 PRACTICE; 1.0.3 Comm §1.3): methods and xAPI headers allowed."""
    client = cors_client(settings, ledger, (ORIGIN, "http://localhost:3000"))
    paths = [path for path, _, _ in routes(client.app)]
    assert URL in paths
    for path in paths:
        response = preflight(client, path)
        assert response.status_code == 200, path
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
        allowed = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
        assert {"GET", "HEAD", "PUT", "POST", "DELETE"} <= allowed
        headers = {
            h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
        }
        assert {
            "authorization",
            "content-type",
            "x-experience-api-version",
            "if-match",
            "if-none-match",
            "accept-language",
            "x-request-id",
        } <= headers
        assert "Origin" in response.headers["Vary"]
        assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_responses_to_an_allowed_origin_expose_the_xapi_headers(settings, ledger):
    """(checklist §2.5 PRACTICE): ETag, Last-Modified, version and Consistent-Through readable."""
    client = cors_client(settings, ledger, (ORIGIN,))
    ok = client.simulate_get(URL, headers=xapi_headers(Origin=ORIGIN))
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {h.strip() for h in ok.headers["Access-Control-Expose-Headers"].split(",")}
    assert {
        "ETag",
        "Last-Modified",
        "X-Experience-API-Version",
        "X-Experience-API-Consistent-Through",
        "X-Request-Id",
    } <= exposed
    assert exposed == {h.strip() for h in EXPOSE_HEADERS.split(",")}
    # Errors too, so browser content can read why it was refused.
    refused = client.simulate_get(
        URL, headers={"Origin": ORIGIN, "X-Experience-API-Version": "1.0.3"}
    )
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_an_origin_not_configured_gets_no_cors_headers(settings, ledger):
    """(checklist §2.5; issue 7 "CORS only for configured origins")."""
    client = cors_client(settings, ledger, (ORIGIN,))
    for response in (
        preflight(client, URL, origin="https://evil.example.com"),
        client.simulate_get(URL, headers=xapi_headers(Origin="https://evil.example.com")),
    ):
        assert not any(name.lower().startswith("access-control-") for name in response.headers)


def test_cors_is_off_unless_configured(client):
    """(checklist §2.5 decided): the default allows no origin."""
    response = preflight(client, URL)
    assert not any(name.lower().startswith("access-control-") for name in response.headers)
    assert "Vary" not in response.headers


def test_a_wildcard_allows_every_origin(settings, ledger):
    """(checklist §2.5): `*` answers `Access-Control-Allow-Origin: *`, no Vary needed."""
    client = cors_client(settings, ledger, ("*",))
    response = preflight(client, URL, origin="https://anywhere.example.org")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Headers"] == ALLOW_HEADERS
    assert "Vary" not in response.headers
