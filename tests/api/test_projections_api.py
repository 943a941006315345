"""`GET /v1/projections` and `X-Ledger-Position` on writes, over HTTP, on both stores."""

from __future__ import annotations

import orjson
from falcon import testing

from api.app import create_app
from projections.learning_store import PROJECTIONS, LearningProjections
from tests.conftest import basic, make_settings, xapi_headers
from tests.factories import with_id

STATE = "/xapi/activities/state"
STATE_PARAMS = {
    "activityId": "https://courses.example.com/positions",
    "agent": orjson.dumps({"mbox": "mailto:ada@example.com"}).decode(),
    "stateId": "bookmark",
}


def projections(client) -> dict[str, dict]:
    answer = client.simulate_get("/v1/projections", headers={"Authorization": basic()})
    assert answer.status_code == 200, answer.text
    return {row["name"]: row for row in answer.json["projections"]}


def test_projections_show_position_head_and_lag_in_events_and_seconds(client, ledger):
    """Every read model is listed; a caught-up one lags by the events written since its last
    catch-up (in events and seconds), and by nothing once caught up."""
    posted = client.simulate_post(
        "/xapi/statements", json=[with_id(), with_id()], headers=xapi_headers()
    )
    assert posted.status_code == 200
    rows = projections(client)
    assert {"statement_index", "documents", "definitions", *PROJECTIONS} <= set(rows)
    head = int(posted.headers["X-Ledger-Position"])
    for name in PROJECTIONS:
        row = rows[name]
        assert row["head"] == head
        assert row["lag_events"] == head - (row["position"] or 0) > 0
        assert row["lag_seconds"] >= 0
        assert set(row) == {
            "name",
            "kept",
            "version",
            "built_version",
            "position",
            "head",
            "lag_events",
            "lag_seconds",
        }
    LearningProjections(ledger).catch_up()
    rows = projections(client)
    for name in PROJECTIONS:
        assert rows[name]["position"] == head
        assert rows[name]["lag_events"] == 0
        assert rows[name]["lag_seconds"] == 0


def test_projections_need_a_reporting_scope(client, ledger):
    """A credential without `reports:read` or `admin` may not read the projections."""
    key, secret = ledger.issue_credential("default", ["statements/write"], "writer", "tests")
    answer = client.simulate_get("/v1/projections", headers={"Authorization": basic(key, secret)})
    assert answer.status_code == 403
    assert "reports:read" in answer.text


def test_writes_answer_the_log_position_they_reached(client, ledger):
    """Statement POST and PUT, document PUT, POST and DELETE answer `X-Ledger-Position`: the
    last position written, or the head when nothing new was written."""
    positions = []
    first = with_id()
    answer = client.simulate_post("/xapi/statements", json=first, headers=xapi_headers())
    positions.append(int(answer.headers["X-Ledger-Position"]))
    again = client.simulate_post("/xapi/statements", json=first, headers=xapi_headers())
    assert int(again.headers["X-Ledger-Position"]) == positions[-1]  # a duplicate: the head
    put = with_id()
    answer = client.simulate_put(
        "/xapi/statements", params={"statementId": put["id"]}, json=put, headers=xapi_headers()
    )
    assert answer.status_code == 204
    positions.append(int(answer.headers["X-Ledger-Position"]))
    for method, body in (("PUT", b'{"a": 1}'), ("POST", b'{"b": 2}'), ("DELETE", None)):
        answer = client.simulate_request(
            method, STATE, params=STATE_PARAMS, body=body, headers=xapi_headers()
        )
        assert answer.status_code == 204, answer.text
        positions.append(int(answer.headers["X-Ledger-Position"]))
    assert positions == sorted(set(positions))  # each write moved the log on
    assert positions[-1] == int(ledger.recorder.max_notification_id())
    read = client.simulate_get("/xapi/statements", headers=xapi_headers())
    assert "X-Ledger-Position" not in read.headers
    refused = client.simulate_post("/xapi/statements", json={"bad": 1}, headers=xapi_headers())
    assert refused.status_code == 400
    assert "X-Ledger-Position" not in refused.headers


def test_browsers_may_read_the_position_header(settings, ledger):
    """CORS lets a configured origin's script read `X-Ledger-Position`."""
    app = create_app(make_settings(settings.database_url, cors_origins=("*",)), ledger=ledger)
    answer = testing.TestClient(app).simulate_post(
        "/xapi/statements",
        json=with_id(),
        headers=xapi_headers(Origin="https://lms.example.com"),
    )
    assert answer.status_code == 200
    assert "X-Ledger-Position" in answer.headers["Access-Control-Expose-Headers"]
