"""Statement-resource checklist lines that had no test of their own (docs/conformance.md)."""

from __future__ import annotations

import orjson

from tests.conftest import xapi_headers
from tests.factories import statement, with_id

URL = "/xapi/statements"


def test_nothing_is_filled_inside_a_substatement(client):
    """(checklist §4.10 IMPLIED; 1.0.3 Data §2.4.4.3): no id, stored, authority, version or
    timestamp is added to a SubStatement, though the outer statement gets them."""
    sub = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:bo@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": "https://courses.example.com/quiz"},
    }
    body = with_id(object=sub, timestamp=None, context=None)
    assert client.simulate_post(URL, json=body, headers=xapi_headers()).status_code == 200
    fetched = client.simulate_get(URL, params={"statementId": body["id"]}, headers=xapi_headers())
    assert {"id", "stored", "authority", "version", "timestamp"} <= set(fetched.json)
    assert fetched.json["object"] == sub


def test_accept_language_changes_nothing_unless_the_format_is_canonical(client):
    """(checklist §7.3; 1.0.3 Comm §2.1.3, CTS XAPI-00172): exact and ids ignore it."""
    display = {"en-US": "completed", "fr": "terminé"}
    body = with_id(verb={"id": "http://adlnet.gov/expapi/verbs/completed", "display": display})
    client.simulate_post(URL, json=body, headers=xapi_headers())
    for params in ({"statementId": body["id"]}, {"statementId": body["id"], "format": "exact"}):
        response = client.simulate_get(
            URL, params=params, headers=xapi_headers(**{"Accept-Language": "fr"})
        )
        assert response.json["verb"]["display"] == display
    page = client.simulate_get(URL, headers=xapi_headers(**{"Accept-Language": "fr"}))
    assert page.json["statements"][0]["verb"]["display"] == display


def test_related_activities_keeps_its_1_0_3_meaning_under_2_0(client):
    """(checklist §17 DECIDE; 2.0 LRS §4.1.6.1 copy error): context activities widen the match."""
    parent = "https://courses.example.com/program"
    body = with_id(context={"contextActivities": {"parent": [{"id": parent}]}})
    client.simulate_post(URL, json=body, headers=xapi_headers("2.0.0"))
    other = statement()
    client.simulate_post(URL, json=other, headers=xapi_headers("2.0.0"))
    for version in ("1.0.3", "2.0.0"):
        narrow = client.simulate_get(
            URL, params={"activity": parent}, headers=xapi_headers(version)
        )
        assert narrow.json["statements"] == []
        wide = client.simulate_get(
            URL,
            params={"activity": parent, "related_activities": "true"},
            headers=xapi_headers(version),
        )
        assert [s["id"] for s in wide.json["statements"]] == [body["id"]]


def test_an_account_name_holding_u0000_is_stored_and_found_never_a_500(client):
    """(checklist §2.8; 1.0.3 Comm §3.2): valid JSON text PostgreSQL cannot hold as text is
    still stored, queryable by agent, and kept apart from a look-alike name."""
    nul = {"account": {"homePage": "https://id.example.com", "name": "a\u0000b"}}
    look_alike = {"account": {"homePage": "https://id.example.com", "name": "a\\0b"}}
    ids = {}
    for name, actor in (("nul", nul), ("look-alike", look_alike)):
        response = client.simulate_post(URL, json=statement(actor=actor), headers=xapi_headers())
        assert response.status_code == 200, response.text
        ids[name] = response.json[0]
    found = client.simulate_get(
        URL, params={"agent": orjson.dumps(nul).decode()}, headers=xapi_headers()
    )
    assert [s["id"] for s in found.json["statements"]] == [ids["nul"]]
    assert found.json["statements"][0]["actor"]["account"]["name"] == "a\u0000b"
