"""Properties of the write path over HTTP, on both stores: round-trip, rejection, idempotency."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.xapi import V1, V2
from ledger.xapi.normalise import normalise_statement
from tests.conftest import event_count, xapi_headers
from tests.strategies import invalid_mutations, statements

URL = "/xapi/statements"
FIXTURES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
VERSIONS = st.sampled_from([V1, V2])


def expected_after_storage(sent: dict[str, Any], version: str) -> dict[str, Any]:
    """What GET must return, minus `stored` and `authority` (the LRS's own)."""
    expected = dict(normalise_statement(sent))
    expected.pop("stored", None)
    expected.pop("authority", None)
    expected.setdefault("version", "1.0.0" if version == V1 else "2.0.0")
    return expected


def post_raw(client, body: Any, version: str):
    return client.simulate_post(URL, body=orjson.dumps(body), headers=xapi_headers(version))


@FIXTURES
@given(data=st.data(), version=VERSIONS)
def test_generated_valid_statements_round_trip_exactly(client, data, version):
    """1.0.3 Data §2.3.1: the LRS returns what it received, but for its listed exceptions."""
    sent = data.draw(statements(version))
    sent["id"] = str(uuid.uuid4())
    response = post_raw(client, sent, version)
    assert response.status_code == 200, response.text
    fetched = client.simulate_get(
        URL, params={"statementId": sent["id"]}, headers=xapi_headers(version)
    ).json
    assert fetched.pop("authority")["account"]["name"] == "test-admin"
    stored = fetched.pop("stored")
    expected = expected_after_storage(sent, version)
    expected.setdefault("timestamp", stored)
    assert fetched == expected


@FIXTURES
@given(data=st.data(), version=VERSIONS)
def test_a_single_invalidating_mutation_is_refused_and_stores_nothing(
    client, ledger, data, version
):
    """1.0.3 Comm §3.2: an invalid statement → 400, and the event store is unchanged."""
    broken, description = data.draw(invalid_mutations(version))
    before = event_count(ledger)
    response = post_raw(client, [broken], version)
    assert response.status_code == 400, f"{description}: {response.status_code} {response.text}"
    assert response.json["error"]["details"], description
    assert event_count(ledger) == before


@FIXTURES
@given(data=st.data(), version=VERSIONS)
def test_put_twice_stores_one_event(client, ledger, data, version):
    """1.0.3 Comm §2.1.1: PUT of the same statement twice → 204 twice, one event."""
    sent = data.draw(statements(version))
    sent["id"] = str(uuid.uuid4())
    before = event_count(ledger)
    for _ in range(2):
        response = client.simulate_put(
            URL,
            params={"statementId": sent["id"]},
            body=orjson.dumps(sent),
            headers=xapi_headers(version),
        )
        assert response.status_code == 204, response.text
    voids = sent["verb"]["id"] == "http://adlnet.gov/expapi/verbs/voided"
    assert event_count(ledger) - before in ((1, 2) if voids else (1,))
