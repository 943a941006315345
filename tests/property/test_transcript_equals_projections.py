"""The transcript as of now equals what the live projections hold, for every learner (both
stores), after any sequence of course definitions and revisions, statements and voids."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from falcon import testing
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ledger.xapi.ifi import ifi_key
from ledger.xapi.primitives import format_timestamp, parse_timestamp
from projections.learners import learner_id
from tests.conftest import basic, xapi_headers

Json = dict[str, Any]
FIXTURES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = [
    ADL + "registered",
    ADL + "launched",
    ADL + "progressed",
    ADL + "completed",
    ADL + "passed",
    ADL + "failed",
    ADL + "scored",
    ADL + "attended",
    ADL + "terminated",
    "https://w3id.org/xapi/adl/verbs/satisfied",
    "https://w3id.org/xapi/adl/verbs/waived",
    "http://id.tincanapi.com/verb/unregistered",
]
MOVE_ON = ["Completed", "Passed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable"]
START = parse_timestamp("2026-01-01T00:00:00Z")
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
REPORTS = ["enrollments", "progress", "scores", "completions", "certificate-eligibility"]


@st.composite
def course_document(draw: Any, iri: str) -> Json:
    """A course with 1-3 modules, each with a moveOn and maybe a mastery score."""
    modules = []
    for n in range(draw(st.integers(1, 3))):
        module: Json = {"id": f"{iri}/m{n}", "moveOn": draw(st.sampled_from(MOVE_ON))}
        if draw(st.booleans()):
            module["masteryScore"] = draw(st.sampled_from([0.5, 0.8]))
        modules.append(module)
    criteria: Json = {}
    if draw(st.booleans()):
        criteria["minimumScore"] = draw(st.sampled_from([0.0, 0.6, 0.9]))
    if draw(st.booleans()):
        criteria["deadlineDays"] = draw(st.integers(1, 60))
    if draw(st.booleans()):
        criteria["validityDays"] = draw(st.integers(1, 400))
    document: Json = {"id": iri, "title": "A course", "modules": modules}
    if criteria:
        document["criteria"] = criteria
    return document


@st.composite
def statement(draw: Any, agents: list[Json], courses: list[str]) -> Json:
    """A statement by one of the learners on a course or one of its modules."""
    course = draw(st.sampled_from(courses))
    target = draw(st.sampled_from([course, f"{course}/m0", f"{course}/m1", f"{course}/m2"]))
    verb = draw(st.sampled_from(VERBS))
    body: Json = {
        "actor": draw(st.sampled_from(agents)),
        "verb": {"id": verb},
        "object": {"id": target},
        "timestamp": format_timestamp(START + timedelta(days=draw(st.integers(0, 360)))),
    }
    result: Json = {}
    if draw(st.booleans()):
        result["score"] = {"scaled": draw(st.sampled_from([0.0, 0.5, 0.6, 0.8, 1.0]))}
    if draw(st.booleans()):
        result["success"] = draw(st.booleans())
    if draw(st.booleans()):
        result["completion"] = draw(st.booleans())
    if verb.endswith("progressed"):
        result["extensions"] = {PROGRESS: draw(st.integers(0, 100))}
    if verb.endswith("attended"):
        result["duration"] = f"PT{draw(st.integers(1, 90))}M"
    if result:
        body["result"] = result
    return body


def steps(agents: list[Json], courses: list[str]) -> st.SearchStrategy[list[tuple[str, Any]]]:
    """Statements, voids of earlier statements and course revisions, interleaved."""
    return st.lists(
        st.one_of(
            st.tuples(st.just("statement"), statement(agents, courses)),
            st.tuples(st.just("void"), st.integers(0, 30)),
            st.tuples(
                st.just("revise"),
                st.sampled_from(courses).flatmap(lambda c: course_document(c)),
            ),
        ),
        min_size=3,
        max_size=16,
    )


def put_course(client: testing.TestClient, document: Json) -> int:
    response = client.simulate_put(
        "/v1/catalogue/courses", json=document, headers={"Authorization": basic()}
    )
    assert response.status_code in (200, 201), response.text
    return int(response.headers["x-ledger-position"])


def post(client: testing.TestClient, body: Json) -> int:
    response = client.simulate_post("/xapi/statements", json=body, headers=xapi_headers())
    assert response.status_code == 200, response.text
    return int(response.headers["x-ledger-position"])


def report(
    client: testing.TestClient, name: str, learner: str, courses: list[str], position: int
) -> list[Json]:
    response = client.simulate_get(
        f"/v1/reports/{name}",
        params={"learner": learner, "course": courses, "min_position": str(position)},
        headers={"Authorization": basic()},
    )
    assert response.status_code == 200, response.text
    assert response.json["next"] is None
    return response.json["items"]


ENROLLMENT_FIELDS = (
    "revision",
    "status",
    "source",
    "path",
    "enrolled_at",
    "started_at",
    "last_activity_at",
    "completed_at",
    "withdrawn_at",
    "due_at",
    "expires_at",
    "overdue",
)


def expected_rows(course: Json) -> dict[str, Any]:
    """What each report shows of one course of a transcript."""
    progress, scores = course["progress"], course["scores"]

    def history(module: str | None) -> list[Json]:
        attempts = {
            a["statement"]: {k: a[k] for k in ("statement", "scaled", "success", "at")}
            for a in scores["attempts"]
            if a["module"] == module
        }
        return sorted(attempts.values(), key=lambda a: (a["at"], a["statement"]))

    course_attempts = [a for a in scores["attempts"] if a["module"] is None]
    score_rows = []
    if scores["best"] is not None or scores["latest"] is not None or course_attempts:
        score_rows.append(
            (None, len(course_attempts), scores["best"], scores["latest"], history(None))
        )
    for module in sorted(progress["modules"], key=lambda m: m["module"]):
        if module["attempts"] or module["best"] is not None or module["latest"] is not None:
            score_rows.append(
                (
                    module["module"],
                    module["attempts"],
                    module["best"],
                    module["latest"],
                    history(module["module"]),
                )
            )
    return {
        "enrollments": {name: course[name] for name in ENROLLMENT_FIELDS},
        "progress": (
            course["status"],
            progress["fraction"],
            len(progress["required"]),
            len(progress["met"]),
            progress["modules"],
        ),
        "scores": score_rows,
        "completions": sorted(
            {c["completed_at"]: c for c in course["completions"]}.values(),
            key=lambda c: c["completed_at"],
        ),
        "certificate-eligibility": (
            course["eligibility"]["status"],
            course["eligibility"]["unmet"],
        ),
    }


def shown_rows(rows: dict[str, list[Json]], course: str) -> dict[str, Any]:
    """What the reports show of one course."""

    def of(name: str) -> list[Json]:
        return [row for row in rows[name] if row["course"] == course]

    (enrollment,) = of("enrollments")
    (progress,) = of("progress")
    (eligibility,) = of("certificate-eligibility")
    completions = [
        {k: v for k, v in row.items() if k not in ("learner_id", "learner", "course")}
        for row in of("completions")
    ]
    return {
        "enrollments": {name: enrollment[name] for name in ENROLLMENT_FIELDS},
        "progress": (
            progress["status"],
            progress["fraction"],
            progress["required"],
            progress["met"],
            progress["modules"],
        ),
        "scores": sorted(
            (
                (r["module"], r["attempts"], r["best"], r["latest"], r["history"])
                for r in of("scores")
            ),
            key=lambda r: (r[0] is not None, r[0] or ""),
        ),
        "completions": sorted(completions, key=lambda c: c["completed_at"]),
        "certificate-eligibility": (eligibility["eligibility"], eligibility["unmet"]),
    }


@FIXTURES
@given(data=st.data())
def test_the_transcript_as_of_now_equals_the_live_projections(client, data):
    token = uuid.uuid4().hex[:8]
    courses = [f"https://example.com/{token}/c{n}" for n in range(2)]
    agents: list[Json] = [
        {"mbox": f"mailto:ada-{token}@example.com"},
        {"account": {"homePage": "https://hr.example.com", "name": f"bob-{token}"}},
    ]
    position = 0
    for course in courses:
        position = put_course(client, data.draw(course_document(course)))
    ids: list[str] = []
    for kind, value in data.draw(steps(agents, courses)):
        if kind == "statement":
            statement_id = str(uuid.uuid4())
            ids.append(statement_id)
            position = post(client, {"id": statement_id, **value})
        elif kind == "void" and ids:
            target = ids[value % len(ids)]
            position = post(
                client,
                {
                    "actor": agents[0],
                    "verb": {"id": ADL + "voided"},
                    "object": {"objectType": "StatementRef", "id": target},
                },
            )
        elif kind == "revise":
            position = put_course(client, value)
    for agent in agents:
        key = ifi_key(agent)
        assert key is not None
        learner = learner_id(key)
        rows = {name: report(client, name, learner, courses, position) for name in REPORTS}
        response = client.simulate_get(
            f"/v1/learners/{learner}/transcript", headers={"Authorization": basic()}
        )
        assert response.status_code == 200, response.text
        transcript = response.json["courses"]
        completions = sum(len(course["completions"]) for course in transcript)
        event(f"courses: {len(transcript)}, completions: {completions}")
        assert sorted(c["course"] for c in transcript) == sorted(
            row["course"] for row in rows["enrollments"]
        )
        for course in transcript:
            assert shown_rows(rows, course["course"]) == expected_rows(course), course["course"]
