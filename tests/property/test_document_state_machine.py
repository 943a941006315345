"""The document resources against an in-memory model of ETag, merge, delete and precondition
semantics: a hypothesis state machine driving the falcon TestClient, on both stores
(checklist §9, §9.1, §10-§12, §16.5; issue 4 item 6)."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from falcon import testing
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.conftest import xapi_headers

STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"
REGISTRATION = "0a8e4f4e-6c1b-4bd0-9d3a-7f3c2b1a0e99"


@dataclass(frozen=True)
class Target:
    """One document the machine may touch: its resource, id and (State) registration."""

    url: str
    document_id: str
    registration: str | None = None


TARGETS = [
    Target(STATE, "a"),
    Target(STATE, "b"),
    Target(STATE, "a", REGISTRATION),
    Target(ACTIVITY_PROFILE, "a"),
    Target(ACTIVITY_PROFILE, "b"),
    Target(AGENT_PROFILE, "a"),
    Target(AGENT_PROFILE, "b"),
]
#: (body, Content-Type) pairs: JSON objects, a JSON array, text, and broken JSON.
BODIES = [
    (b'{"a": 1}', "application/json"),
    (b'{"b": {"c": 2}, "a": "x"}', "application/json; charset=utf-8"),
    (b'{"d": null}', "application/json"),
    (b"{}", "application/json"),
    (b"[1, 2]", "application/json"),
    (b"plain text", "text/plain"),
    (b'{"a": ', "application/json"),
]
#: "none" and "if-match" twice: writes that succeed are the interesting ones.
CONDITIONS = [
    "none",
    "none",
    "if-match",
    "if-match",
    "if-match-stale",
    "if-match-star",
    "if-none-match-star",
]
VERSIONS = ["1.0.3", "2.0.0"]


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def is_json_type(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


def json_object(data: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class DocumentMachine(RuleBasedStateMachine):
    """Random PUT/POST/DELETE/GET traffic; the model says what each answer must be."""

    def __init__(self, client: testing.TestClient) -> None:
        super().__init__()
        self.client = client
        run = uuid.uuid4().hex[:8]  # each run gets documents of its own in the shared store
        # Two spellings of one activity and of one agent: the model keys on neither spelling.
        self.activities = [
            f"https://Run-{run}.Example.com/act",
            f"https://run-{run}.example.com/act",
        ]
        self.agents = [
            {"mbox": f"mailto:learner@run-{run}.example.com"},
            {"objectType": "Agent", "mbox": f"mailto:learner@RUN-{run}.Example.COM", "name": "L"},
        ]
        self.model: dict[Target, tuple[bytes, str]] = {}

    # -- requests -----------------------------------------------------------------------------

    def params(self, target: Target, spelling: int, with_id: bool = True) -> dict[str, str]:
        params: dict[str, str] = {}
        if target.url in (STATE, ACTIVITY_PROFILE):
            params["activityId"] = self.activities[spelling]
        if target.url in (STATE, AGENT_PROFILE):
            params["agent"] = orjson.dumps(self.agents[spelling]).decode()
        if target.registration is not None:
            params["registration"] = target.registration
        if with_id:
            params["stateId" if target.url == STATE else "profileId"] = target.document_id
        return params

    def send(
        self,
        method: str,
        target: Target,
        spelling: int,
        body: tuple[bytes, str] | None = None,
        condition: str = "none",
        version: str = "1.0.3",
    ) -> Any:
        headers = xapi_headers(version)
        if body is not None:
            headers["Content-Type"] = body[1]
        current = self.model.get(target)
        if condition == "if-match":
            headers["If-Match"] = f'"{sha1(current[0])}"' if current else '"' + "e" * 40 + '"'
        elif condition == "if-match-stale":
            headers["If-Match"] = '"' + "0" * 40 + '"'
        elif condition == "if-match-star":
            headers["If-Match"] = "*"
        elif condition == "if-none-match-star":
            headers["If-None-Match"] = "*"
        return self.client.simulate_request(
            method,
            target.url,
            params=self.params(target, spelling),
            body=body[0] if body is not None else None,
            headers=headers,
        )

    def precondition_fails(self, target: Target, condition: str) -> bool:
        exists = target in self.model
        return {
            "none": False,
            "if-match": not exists,
            "if-match-stale": True,
            "if-match-star": not exists,
            "if-none-match-star": exists,
        }[condition]

    # -- rules --------------------------------------------------------------------------------

    @rule(
        doc=st.sampled_from(TARGETS),
        body=st.sampled_from(BODIES),
        condition=st.sampled_from(CONDITIONS),
        version=st.sampled_from(VERSIONS),
        spelling=st.integers(0, 1),
    )
    def put(
        self, doc: Target, body: tuple[bytes, str], condition: str, version: str, spelling: int
    ) -> None:
        """PUT: preconditions (412), the 409 rule, else replace (§9.1, §16.5)."""
        response = self.send("PUT", doc, spelling, body, condition, version)
        needs_header = doc.url != STATE or version == "2.0.0"
        if self.precondition_fails(doc, condition):
            expected = 412
        elif condition == "none" and needs_header and doc in self.model:
            expected = 409
        else:
            expected = 204
        assert response.status_code == expected, (response.status_code, response.text)
        if expected == 204:
            self.model[doc] = body
            assert response.headers["etag"] == f'"{sha1(body[0])}"'

    @rule(
        doc=st.sampled_from(TARGETS),
        body=st.sampled_from(BODIES),
        condition=st.sampled_from(CONDITIONS),
        spelling=st.integers(0, 1),
    )
    def post(self, doc: Target, body: tuple[bytes, str], condition: str, spelling: int) -> None:
        """POST: broken JSON (400), preconditions (412), store new, or merge objects (§9)."""
        response = self.send("POST", doc, spelling, body, condition)
        posted_json = is_json_type(body[1])
        current = self.model.get(doc)
        if posted_json and json_object(body[0]) is None and body[0] != b"[1, 2]":
            expected, stored = 400, current
        elif self.precondition_fails(doc, condition):
            expected, stored = 412, current
        elif current is None:
            expected, stored = 204, body
        else:
            old = json_object(current[0]) if is_json_type(current[1]) else None
            new = json_object(body[0]) if posted_json else None
            if old is None or new is None:
                expected, stored = 400, current
            else:
                expected, stored = 204, (orjson.dumps({**old, **new}), body[1])
        assert response.status_code == expected, (response.status_code, response.text)
        if stored is not None:
            self.model[doc] = stored

    @rule(
        doc=st.sampled_from(TARGETS),
        condition=st.sampled_from(CONDITIONS),
        spelling=st.integers(0, 1),
    )
    def delete(self, doc: Target, condition: str, spelling: int) -> None:
        """DELETE one: preconditions (412), else gone; a missing one is 204 too (§9, §17)."""
        response = self.send("DELETE", doc, spelling, condition=condition)
        expected = 412 if self.precondition_fails(doc, condition) else 204
        assert response.status_code == expected, (response.status_code, response.text)
        if expected == 204:
            self.model.pop(doc, None)

    @rule(registration=st.sampled_from([None, REGISTRATION]), spelling=st.integers(0, 1))
    def delete_states(self, registration: str | None, spelling: int) -> None:
        """State DELETE without stateId: every document of the context (§10, §17)."""
        params = self.params(Target(STATE, "", registration), spelling, with_id=False)
        response = self.client.simulate_delete(STATE, params=params, headers=xapi_headers())
        assert response.status_code == 204
        for target in list(self.model):
            if target.url == STATE and registration in (None, target.registration):
                del self.model[target]

    # -- what every state must satisfy -------------------------------------------------------

    @invariant()
    def documents_match_the_model(self) -> None:
        """Each document: 404, or its bytes, Content-Type and SHA-1 ETag (§9, §9.1)."""
        for target in TARGETS:
            response = self.client.simulate_get(
                target.url, params=self.params(target, 0), headers=xapi_headers()
            )
            expected = self.model.get(target)
            if expected is None:
                assert response.status_code == 404, (target, response.text)
                continue
            assert response.status_code == 200
            assert response.content == expected[0], target
            assert response.headers["content-type"] == expected[1]
            assert response.headers["etag"] == f'"{sha1(expected[0])}"'

    @invariant()
    def id_lists_match_the_model(self) -> None:
        """Id lists name the current documents; State lists span registrations (§9, §17)."""
        for url in (STATE, ACTIVITY_PROFILE, AGENT_PROFILE):
            params = self.params(Target(url, ""), 1, with_id=False)
            response = self.client.simulate_get(url, params=params, headers=xapi_headers())
            expected = sorted({t.document_id for t in self.model if t.url == url})
            assert sorted(response.json) == expected, url


def test_document_resources_behave_like_the_model(client: testing.TestClient) -> None:
    """Random traffic on each store never departs from the model (checklist §9-§12, §16.5)."""
    run_state_machine_as_test(
        lambda: DocumentMachine(client),
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
