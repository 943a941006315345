"""A learner's transcript as of any time (`/v1/learners/{id}/transcript`), on both stores."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from falcon import testing

from ledger.xapi.ifi import ifi_key
from projections.learners import learner_id
from tests.conftest import basic, xapi_headers

COURSE = "https://example.com/courses/safety"
M1 = "https://example.com/courses/safety/m1"
M2 = "https://example.com/courses/safety/m2"
ADA = {"objectType": "Agent", "mbox": "mailto:ada@example.com"}
ADL = "http://adlnet.gov/expapi/verbs/"


def ada_id() -> str:
    key = ifi_key(ADA)
    assert key is not None
    return learner_id(key)


def put_course(client: testing.TestClient, **extra: Any) -> None:
    course = {
        "id": COURSE,
        "title": "Safety",
        "modules": [{"id": M1, "moveOn": "Completed"}, {"id": M2, "moveOn": "Passed"}],
        **extra,
    }
    response = client.simulate_put(
        "/v1/catalogue/courses", json=course, headers={"Authorization": basic()}
    )
    assert response.status_code in (200, 201), response.text


def record(client: testing.TestClient, verb: str, activity: str, **extra: Any) -> str:
    """Record a statement; return its `stored` time."""
    statement_id = str(uuid.uuid4())
    statement = {
        "id": statement_id,
        "actor": ADA,
        "verb": {"id": verb if verb.startswith("http") else ADL + verb},
        "object": {"id": activity},
        **extra,
    }
    response = client.simulate_post("/xapi/statements", json=statement, headers=xapi_headers())
    assert response.status_code == 200, response.text
    time.sleep(0.003)  # the next statement is stored at a later millisecond
    found = client.simulate_get(
        "/xapi/statements", params={"statementId": statement_id}, headers=xapi_headers()
    )
    return found.json["stored"]


def transcript(client: testing.TestClient, learner: str | None = None, **params: str):
    return client.simulate_get(
        f"/v1/learners/{learner or ada_id()}/transcript",
        params=params,
        headers={"Authorization": basic()},
    )


def only_course(response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    (course,) = response.json["courses"]
    return course


def test_the_transcript_replays_the_learner_up_to_as_of(client):
    put_course(client)
    enrolled = record(client, "registered", COURSE)
    done_m1 = record(client, "completed", M1)
    passed_m2 = record(client, "passed", M2, result={"score": {"scaled": 0.8}, "success": True})
    now = transcript(client)
    assert now.json["learner_id"] == ada_id()
    assert now.json["learner"] == ADA
    course = only_course(now)
    assert course["course"] == COURSE
    assert course["status"] == "passed"
    assert course["completed_at"] is not None
    assert course["progress"]["fraction"] == 1.0
    assert [c["passed"] for c in course["completions"]] == [True]
    assert course["eligibility"] == {"status": "eligible", "unmet": []}
    assert [(a["module"], a["scaled"]) for a in course["scores"]["attempts"]] == [(M2, 0.8)]

    then = transcript(client, as_of=done_m1)
    assert then.json["as_of"] == done_m1
    course = only_course(then)
    assert course["status"] == "in_progress"
    assert course["progress"]["fraction"] == 0.5
    assert course["progress"]["met"] == [M1]
    assert course["completions"] == []
    assert course["eligibility"]["status"] == "not_yet"

    course = only_course(transcript(client, as_of=enrolled))
    assert course["status"] == "enrolled"
    assert course["progress"]["fraction"] == 0.0

    assert only_course(transcript(client, as_of=passed_m2))["status"] == "passed"
    before = transcript(client, as_of="2000-01-01T00:00:00Z")
    assert before.status_code == 200
    assert before.json["courses"] == []


def test_a_voided_statement_counts_until_it_was_voided(client):
    put_course(client)
    record(client, "registered", COURSE)
    statement_id = str(uuid.uuid4())
    statement = {
        "id": statement_id,
        "actor": ADA,
        "verb": {"id": ADL + "completed"},
        "object": {"id": M1},
    }
    assert (
        client.simulate_post("/xapi/statements", json=statement, headers=xapi_headers()).status_code
        == 200
    )
    time.sleep(0.003)
    completed = client.simulate_get(
        "/xapi/statements", params={"statementId": statement_id}, headers=xapi_headers()
    ).json["stored"]
    void = {
        "actor": ADA,
        "verb": {"id": ADL + "voided"},
        "object": {"objectType": "StatementRef", "id": statement_id},
    }
    assert (
        client.simulate_post("/xapi/statements", json=void, headers=xapi_headers()).status_code
        == 200
    )
    assert only_course(transcript(client, as_of=completed))["progress"]["met"] == [M1]
    assert only_course(transcript(client))["progress"]["met"] == []


def test_the_transcript_judges_expiry_and_deadlines_at_as_of(client):
    put_course(
        client,
        modules=[{"id": M1, "moveOn": "Completed"}],
        criteria={"validityDays": 1, "deadlineDays": 1},
    )
    record(client, "registered", COURSE)
    completed = record(client, "completed", COURSE)
    course = only_course(transcript(client, as_of=completed))
    assert course["status"] == "completed"
    assert course["overdue"] is False
    year_later = str(int(completed[:4]) + 1) + completed[4:]
    course = only_course(transcript(client, as_of=year_later))
    assert course["status"] == "expired"
    assert course["eligibility"]["status"] == "expired"
    assert "completion expired" in course["eligibility"]["unmet"]
    assert course["completions"][0]["expired"] is True


def test_a_learner_without_facts_has_an_empty_record(client):
    other = learner_id("mbox:mailto:nobody@example.com")
    response = transcript(client, other)
    assert response.status_code == 200
    assert response.json["courses"] == []
    assert response.json["learner"] == {"objectType": "Agent", "mbox": "mailto:nobody@example.com"}


@pytest.mark.parametrize(
    ("learner", "params", "pointer"),
    [
        ("not*base64", {}, "/learner_id"),
        (learner_id("nobody"), {}, "/learner_id"),
        (None, {"as_of": "tomorrow"}, "?as_of"),
        (None, {"since": "2020-01-01T00:00:00Z"}, "?since"),
    ],
)
def test_bad_learner_ids_and_parameters_are_refused(client, learner, params, pointer):
    response = transcript(client, learner, **params)
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == pointer


def test_the_transcript_needs_the_reports_scope(client, ledger):
    key, secret = ledger.issue_credential("default", ["statements/read"], "reader", "test")
    response = client.simulate_get(
        f"/v1/learners/{ada_id()}/transcript", headers={"Authorization": basic(key, secret)}
    )
    assert response.status_code == 403
    key, secret = ledger.issue_credential("default", ["reports:read"], "reporter", "test")
    response = client.simulate_get(
        f"/v1/learners/{ada_id()}/transcript", headers={"Authorization": basic(key, secret)}
    )
    assert response.status_code == 200
