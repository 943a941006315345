"""Builders and hypothesis strategies for the learning projections' logic (courses, facts)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import strategies as st

from ledger.xapi.primitives import format_timestamp, from_epoch_ms
from projections.learning import evaluate
from projections.learning_catalogue import COURSE, PATH, CatalogueIndex
from projections.learning_model import DAY_MS, MOVE_ON, CourseRecord, Fact
from projections.statement_facts import facts_of

Json = dict[str, Any]
Draw = Callable[..., Any]

TENANT = "acme"
ADL = "http://adlnet.gov/expapi/verbs/"
ADL_XAPI = "https://w3id.org/xapi/adl/verbs/"
WITHDREW = "https://learning-ledger.dev/xapi/verbs/withdrew"
ADA = {"objectType": "Agent", "mbox": "mailto:ada@example.com"}
ADA_KEY = "mbox:mailto:ada@example.com"
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
HOUR_MS = 3_600_000

COURSE_ID = "https://example.com/courses/safety"


def module_id(n: int, course: str = COURSE_ID) -> str:
    """Return the id of module `n` of a course."""
    return f"{course}/m{n}"


def course(*modules: Json, course_id: str = COURSE_ID, **criteria: Any) -> Json:
    """Return a course document with these modules and criteria."""
    document: Json = {"id": course_id, "title": "Safety basics", "modules": list(modules)}
    if criteria:
        document["criteria"] = criteria
    return document


def module(n: int, move_on: str = "Completed", course_id: str = COURSE_ID, **more: Any) -> Json:
    """Return module `n` of a course document."""
    return {"id": module_id(n, course_id), "moveOn": move_on, **more}


def statement(
    verb: str,
    object_id: str,
    at: int,
    *,
    result: Json | None = None,
    parent: Iterable[str] = (),
    grouping: Iterable[str] = (),
    actor: Json | None = None,
    extensions: Json | None = None,
) -> Json:
    """Return a stored statement (with `timestamp` and `stored`) of `verb` on `object_id`."""
    stamp = format_timestamp(from_epoch_ms(at))
    body: Json = {
        "id": str(uuid.uuid4()),
        "actor": actor or ADA,
        "verb": {"id": verb if ":" in verb else ADL + verb},
        "object": {"objectType": "Activity", "id": object_id},
        "timestamp": stamp,
        "stored": stamp,
    }
    if result is not None:
        body["result"] = result
    context: Json = {}
    lists = {"parent": [{"id": p} for p in parent], "grouping": [{"id": g} for g in grouping]}
    lists = {name: value for name, value in lists.items() if value}
    if lists:
        context["contextActivities"] = lists
    if extensions:
        context["extensions"] = extensions
    if context:
        body["context"] = context
    return body


class Scenario:
    """A catalogue and one learner's facts, built in log order (each statement an hour on)."""

    def __init__(self, *courses: Json, paths: Iterable[Json] = ()) -> None:
        """Define these courses and paths (revision 1 each)."""
        self.catalogue = CatalogueIndex()
        self.facts: list[Fact] = []
        self.position = 0
        self.clock = T0
        self.revisions: dict[str, int] = {}
        for document in courses:
            self.define(document)
        for document in paths:
            self.define(document, kind=PATH)

    def define(self, document: Json, kind: str = COURSE) -> None:
        """Define or revise a course or a path."""
        self._apply(kind, document["id"], document, retired=False)

    def retire(self, catalogue_id: str, kind: str = COURSE) -> None:
        """Retire a course or a path."""
        self._apply(kind, catalogue_id, None, retired=True)

    def _apply(self, kind: str, catalogue_id: str, document: Json | None, retired: bool) -> None:
        self.position += 1
        key = (kind, catalogue_id)
        self.revisions[key[1]] = revision = self.revisions.get(key[1], 0) + 1
        self.catalogue.apply(TENANT, kind, catalogue_id, revision, document, retired)

    def say(self, verb: str, object_id: str, *, at: int | None = None, **more: Any) -> list[Fact]:
        """Record a statement (at `at`, else an hour after the previous one); return its facts."""
        self.clock = at if at is not None else self.clock + HOUR_MS
        self.position += 1
        body = statement(verb, object_id, self.clock, **more)
        facts = facts_of(TENANT, self.position, self.clock, body, self.catalogue)
        self.facts.extend(facts)
        return facts

    def days(self, n: float) -> int:
        """Return the time `n` days after T0."""
        return T0 + int(n * DAY_MS)

    def records(self) -> dict[str, CourseRecord]:
        """Return the learner's records by course id."""
        return {record.course: record for record in evaluate(self.facts, self.catalogue)}

    def record(self, course_id: str = COURSE_ID) -> CourseRecord:
        """Return the learner's record in one course."""
        return self.records()[course_id]


# -- strategies ---------------------------------------------------------------------------------
_VERBS = (
    "registered",
    "launched",
    "progressed",
    "completed",
    "passed",
    "failed",
    "scored",
    "attended",
    "terminated",
    ADL_XAPI + "satisfied",
    ADL_XAPI + "waived",
    WITHDREW,
)


@st.composite
def courses(draw: Draw, course_id: str = COURSE_ID) -> Json:
    """Draw a course document of 1-3 modules with any moveOn and criteria."""
    count = draw(st.integers(1, 3))
    modules = []
    for n in range(1, count + 1):
        extra: Json = {}
        if draw(st.booleans()):
            extra["masteryScore"] = draw(st.sampled_from((0.5, 0.8, 1.0)))
        if draw(st.booleans()):
            extra["attendanceMinutes"] = draw(st.sampled_from((30, 60)))
        modules.append(module(n, draw(st.sampled_from(MOVE_ON)), course_id, **extra))
    criteria: Json = {}
    if draw(st.booleans()):
        criteria["minimumScore"] = draw(st.sampled_from((0.5, 0.7)))
    if draw(st.booleans()):
        criteria["deadlineDays"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        criteria["validityDays"] = draw(st.integers(1, 3))
    return course(*modules, course_id=course_id, **criteria)


@st.composite
def results(draw: Draw, verb: str) -> Json | None:
    """Draw a statement result that fits `verb` (or none)."""
    result: Json = {}
    if draw(st.booleans()):
        result["score"] = {"scaled": draw(st.sampled_from((0.0, 0.5, 0.8, 1.0)))}
    if draw(st.booleans()):
        result["success"] = draw(st.booleans())
    if draw(st.booleans()):
        result["completion"] = True
    if verb == "attended":
        result["duration"] = draw(st.sampled_from(("PT20M", "PT45M", "PT1H")))
    if verb == "progressed":
        result["extensions"] = {
            "https://w3id.org/xapi/cmi5/result/extensions/progress": draw(st.integers(0, 100))
        }
    return result or None


@st.composite
def scenarios(draw: Draw) -> Scenario:
    """Draw a course (maybe two, in a path) and a learner's statements over a few days."""
    first = draw(courses())
    second = draw(courses(course_id="https://example.com/courses/advanced"))
    path = {
        "id": "https://example.com/paths/onboarding",
        "title": "Onboarding",
        "courses": [first["id"], second["id"]],
        "unlockNext": draw(st.booleans()),
    }
    scenario = Scenario(first, second, paths=[path])
    targets = [first["id"], second["id"], path["id"]]
    for document in (first, second):
        targets.extend(m["id"] for m in document["modules"])
    for _ in range(draw(st.integers(1, 14))):
        verb = draw(st.sampled_from(_VERBS))
        target = draw(st.sampled_from(targets))
        at = scenario.clock + draw(st.sampled_from((0, HOUR_MS, DAY_MS, 2 * DAY_MS)))
        scenario.say(verb, target, at=at, result=draw(results(verb)))
        if draw(st.integers(0, 9)) == 0:  # now and then a revision
            scenario.define(draw(courses()))
    return scenario
