"""What statements say about learners in courses: matching, verbs, results (issue 5, point 2)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given

from ledger.xapi.equivalence import normalise_iri
from ledger.xapi.ifi import ifi_key
from ledger.xapi.normalise import normalise_statement
from ledger.xapi.primitives import epoch_ms, parse_timestamp
from projections.learning_catalogue import COURSE, PATH, CatalogueIndex
from projections.learning_model import (
    ACTIVITY,
    ATTENDED,
    COMPLETED,
    ENROLLED,
    FAILED,
    KINDS,
    PASSED,
    PROGRESSED,
    SATISFIED,
    SCORED,
    WAIVED,
    WITHDRAWN,
)
from projections.statement_facts import (
    SOURCE_EXTENSION,
    duration_minutes,
    facts_of,
    timestamp_ms,
)
from tests.learning_strategies import (
    ADA_KEY,
    ADL_XAPI,
    COURSE_ID,
    T0,
    TENANT,
    WITHDREW,
    Scenario,
    course,
    module,
    module_id,
    statement,
)
from tests.strategies import statements

M1, M2 = module_id(1), module_id(2)
OTHER_ID = "https://example.com/courses/other"


def scenario() -> Scenario:
    """Return a catalogue of two courses: safety (m1, m2 with mastery 0.8) and other (m1)."""
    return Scenario(
        course(module(1), module(2, "Passed", masteryScore=0.8)),
        course(module(1, course_id=OTHER_ID), course_id=OTHER_ID),
    )


@pytest.mark.parametrize(
    ("verb", "kind"),
    [
        ("registered", ENROLLED),
        ("launched", ACTIVITY),
        ("initialized", ACTIVITY),
        ("progressed", PROGRESSED),
        ("completed", COMPLETED),
        ("passed", PASSED),
        ("failed", FAILED),
        ("scored", SCORED),
        ("attended", ATTENDED),
        ("terminated", ACTIVITY),
        (ADL_XAPI + "satisfied", SATISFIED),
        (ADL_XAPI + "waived", WAIVED),
        (ADL_XAPI + "abandoned", ACTIVITY),
        ("http://id.tincanapi.com/verb/unregistered", WITHDRAWN),
        (WITHDREW, WITHDRAWN),
        ("http://adlnet.gov/expapi/verbs/experienced", ACTIVITY),
    ],
)
def test_the_verb_gives_the_kind_of_fact(verb, kind):
    [fact] = scenario().say(verb, M1)
    assert (fact.kind, fact.course, fact.module) == (kind, COURSE_ID, M1)


def test_a_fact_carries_the_learner_statement_times_and_revision():
    s = scenario()
    body = statement("completed", M1, T0 + 1234)
    [fact] = facts_of(TENANT, 42, T0 + 5000, body, s.catalogue)
    assert fact.learner == ADA_KEY
    assert fact.statement == body["id"].lower()
    assert (fact.position, fact.stored, fact.timestamp) == (42, T0 + 5000, T0 + 1234)
    assert fact.revision == 1
    assert fact.completed is True
    assert fact.source == "xapi"


def test_a_module_is_matched_by_a_parent_or_grouping_activity():
    s = scenario()
    [by_parent] = s.say("completed", "https://example.com/lessons/1", parent=[M1])
    [by_grouping] = s.say("completed", "https://example.com/lessons/1", grouping=[M2])
    assert (by_parent.course, by_parent.module) == (COURSE_ID, M1)
    assert (by_grouping.course, by_grouping.module) == (COURSE_ID, M2)


def test_the_object_wins_over_the_context_and_the_course_gets_no_fact_of_its_own():
    s = scenario()
    facts = s.say("completed", M1, parent=[M2], grouping=[COURSE_ID])
    assert [(f.course, f.module) for f in facts] == [(COURSE_ID, M1)]


def test_a_course_is_matched_as_the_object_or_as_context_when_no_module_matches():
    s = scenario()
    [as_object] = s.say("completed", COURSE_ID)
    [as_grouping] = s.say("launched", "https://example.com/lessons/9", grouping=[COURSE_ID])
    assert (as_object.course, as_object.module) == (COURSE_ID, "")
    assert (as_grouping.course, as_grouping.module, as_grouping.kind) == (COURSE_ID, "", ACTIVITY)


def test_one_statement_can_speak_of_several_courses():
    s = scenario()
    facts = s.say("launched", "https://example.com/lessons/1", grouping=[COURSE_ID, OTHER_ID])
    assert sorted(f.course for f in facts) == sorted([COURSE_ID, OTHER_ID])


def test_iris_are_compared_in_their_normal_form():
    s = scenario()
    [fact] = s.say("completed", "HTTPS://EXAMPLE.COM/courses/safety/m1")
    assert fact.module == M1
    assert s.say("completed", "https://example.com/COURSES/safety/m1") == []  # path: exact


@pytest.mark.parametrize(
    "body",
    [
        statement("completed", "https://example.com/courses/unknown", T0),
        statement("completed", M1, T0, actor={"objectType": "Group", "member": []}),
        statement(
            "completed",
            M1,
            T0,
            actor={"objectType": "Group", "mbox": "mailto:team@example.com", "member": []},
        ),
        {
            **statement("completed", M1, T0),
            "object": {"objectType": "StatementRef", "id": "0c3bb7a5-6b34-4a8e-8e7d-ff6a4b1ad6d1"},
        },
        {
            **statement("completed", M1, T0),
            "object": {
                "objectType": "SubStatement",
                "actor": {"mbox": "mailto:ada@example.com"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                "object": {"id": M1},
            },
        },
    ],
    ids=["unknown activity", "anonymous group", "identified group", "ref", "substatement"],
)
def test_statements_that_match_no_course_or_come_from_a_group_give_no_facts(body):
    assert facts_of(TENANT, 1, T0, body, scenario().catalogue) == []


def test_other_tenants_and_retired_courses_match_nothing():
    s = scenario()
    assert facts_of("elsewhere", 1, T0, statement("completed", M1, T0), s.catalogue) == []
    s.retire(COURSE_ID)
    assert s.say("completed", M1) == []
    assert s.say("completed", module_id(1, OTHER_ID)) != []


def test_revising_a_retired_course_reinstates_it_and_facts_name_the_revision_in_force():
    s = scenario()
    s.retire(COURSE_ID)
    s.define(course(module(1), module(3)))
    [fact] = s.say("completed", module_id(3))
    assert fact.revision == 3
    assert s.say("completed", M2) == []  # m2 left the course in revision 3


def test_an_older_revision_applied_late_changes_nothing_in_force():
    catalogue = CatalogueIndex()
    catalogue.apply(TENANT, COURSE, COURSE_ID, 2, course(module(2)), False)
    catalogue.apply(TENANT, COURSE, COURSE_ID, 3, None, True)
    catalogue.apply(TENANT, COURSE, COURSE_ID, 1, course(module(1)), False)
    assert catalogue.in_force(TENANT, COURSE_ID) is None
    assert catalogue.lookup(TENANT, M1) == []
    assert catalogue.document(TENANT, COURSE_ID, 1) == course(module(1))
    assert catalogue.document(TENANT, COURSE_ID, 3) == course(module(2))


@pytest.mark.parametrize(
    ("score", "scaled"),
    [
        ({"scaled": 0.25}, 0.25),
        ({"raw": 30, "min": 10, "max": 50}, 0.5),
        ({"scaled": -0.5, "raw": 99, "min": 0, "max": 100}, -0.5),
        ({"raw": 7}, None),
        ({"raw": 5, "min": 5, "max": 5}, None),
    ],
)
def test_the_score_is_scaled_or_computed_from_raw_min_and_max(score, scaled):
    [fact] = scenario().say("scored", M1, result={"score": score})
    assert fact.scaled == scaled


@pytest.mark.parametrize(
    ("verb", "result", "success"),
    [
        ("scored", {"score": {"scaled": 0.8}}, True),  # equal to masteryScore passes
        ("scored", {"score": {"scaled": 0.7999}}, False),
        ("scored", {"score": {"scaled": 0.95}}, True),
        ("scored", {"score": {"scaled": 0.5}, "success": True}, True),  # given success wins
        ("scored", {"score": {"scaled": 0.95}, "success": False}, False),
        ("passed", {"score": {"scaled": 0.5}}, True),  # so does the verb
        ("failed", {"score": {"scaled": 0.9}}, False),
        ("passed", {"success": False}, False),  # result.success before the verb
        ("scored", None, None),
    ],
)
def test_success_comes_from_the_result_the_verb_or_the_mastery_score(verb, result, success):
    [fact] = scenario().say(verb, M2, result=result)
    assert fact.success is success


def test_mastery_is_judged_under_the_revision_in_force_for_the_statement():
    s = scenario()
    [before] = s.say("scored", M2, result={"score": {"scaled": 0.7}})
    s.define(course(module(1), module(2, "Passed", masteryScore=0.6)))
    [after] = s.say("scored", M2, result={"score": {"scaled": 0.7}})
    assert (before.revision, before.success) == (1, False)
    assert (after.revision, after.success) == (2, True)


def test_a_course_level_or_mastery_less_module_score_has_no_success_of_its_own():
    s = scenario()
    [on_course] = s.say("scored", COURSE_ID, result={"score": {"scaled": 0.99}})
    [on_m1] = s.say("scored", M1, result={"score": {"scaled": 0.99}})
    assert on_course.success is None
    assert on_m1.success is None


def test_result_completion_progress_and_attended_minutes_are_read():
    s = scenario()
    [done] = s.say("experienced", M1, result={"completion": True})
    progress = {"https://w3id.org/xapi/cmi5/result/extensions/progress": 40}
    [partway] = s.say("progressed", M1, result={"extensions": progress})
    [attended] = s.say("attended", M1, result={"duration": "PT1H30M"})
    [launched] = s.say("launched", M1, result={"duration": "PT1H30M"})
    assert (done.kind, done.completed) == (ACTIVITY, True)
    assert partway.progress == 0.4
    assert attended.minutes == 90
    assert launched.minutes is None  # only attendance counts as attended time


def test_the_source_extension_names_where_the_fact_came_from():
    s = scenario()
    [fact] = s.say("completed", M1, extensions={SOURCE_EXTENSION: "workday"})
    [ignored] = s.say("completed", M1, extensions={SOURCE_EXTENSION: 7})
    assert (fact.source, ignored.source) == ("workday", "xapi")


def test_registering_in_a_path_enrolls_in_each_course_in_order():
    path = {"id": "https://example.com/paths/p", "courses": [COURSE_ID, OTHER_ID]}
    locked = {**path, "id": "https://example.com/paths/locked", "unlockNext": True}
    s = Scenario(
        course(module(1)),
        course(module(1, course_id=OTHER_ID), course_id=OTHER_ID),
        paths=[path, locked],
    )
    free = s.say("registered", path["id"])
    chained = s.say("registered", locked["id"])
    assert [(f.kind, f.course, f.path, f.after) for f in free] == [
        (ENROLLED, COURSE_ID, path["id"], ""),
        (ENROLLED, OTHER_ID, path["id"], ""),
    ]
    assert [(f.course, f.after) for f in chained] == [(COURSE_ID, ""), (OTHER_ID, COURSE_ID)]
    s.retire(locked["id"], kind=PATH)
    assert s.say("registered", locked["id"]) == []
    assert s.say("launched", path["id"]) == []  # only registering in a path says anything


@pytest.mark.parametrize(
    ("duration", "minutes"),
    [("PT45M", 45), ("PT1H", 60), ("PT90S", 1.5), ("P1D", 1440), ("PT0,5H", 30), ("P1W", 10080)],
)
def test_durations_are_read_as_minutes(duration, minutes):
    assert duration_minutes(duration) == pytest.approx(minutes)


def test_timestamps_in_any_valid_form_give_epoch_milliseconds():
    assert timestamp_ms("2026-01-01T00:00:00.000Z") == T0
    assert timestamp_ms("2026-01-01T01:00:00.5+01:00") == T0 + 500


@given(statements("2.0.0"))
def test_any_valid_statement_about_a_module_gives_its_learner_one_fact(body):
    """Whatever else a valid statement holds, its object as a module gives one fact (or none)."""
    stored = normalise_statement(body)
    stored.setdefault("id", str(uuid.uuid4()))
    stored.setdefault("timestamp", "2026-01-01T00:00:00.000Z")
    stored.setdefault("stored", stored["timestamp"])
    obj = stored["object"]
    is_activity = obj.get("objectType", "Activity") == "Activity"
    module_iri = obj["id"] if is_activity else "urn:ledger-test:m1"
    catalogue = CatalogueIndex()
    document = {"id": "urn:ledger-test:course", "title": "T", "modules": [{"id": module_iri}]}
    catalogue.apply(TENANT, COURSE, document["id"], 1, document, False)
    facts = facts_of(TENANT, 7, T0, stored, catalogue)
    in_context = any(
        normalise_iri(a["id"]) == normalise_iri(module_iri)
        for name in ("parent", "grouping")
        for a in stored.get("context", {}).get("contextActivities", {}).get(name, ())
    )
    if stored["actor"].get("objectType") == "Group" or not (is_activity or in_context):
        assert facts == []
        return
    [fact] = facts
    assert fact.kind in KINDS
    assert (fact.course, fact.module) == ("urn:ledger-test:course", normalise_iri(module_iri))
    assert fact.learner == ifi_key(stored["actor"])
    assert fact.timestamp == epoch_ms(parse_timestamp(stored["timestamp"]))
    score = stored.get("result", {}).get("score", {})
    if "scaled" in score:
        assert fact.scaled == score["scaled"]


def test_the_parents_win_over_the_groupings():
    s = scenario()
    [fact] = s.say("completed", "https://example.com/lessons/1", parent=[COURSE_ID], grouping=[M1])
    assert (fact.course, fact.module) == (COURSE_ID, "")
    assert [(m.course, m.module) for m in s.catalogue.match(TENANT, statement("x", M2, T0))] == [
        (COURSE_ID, M2)
    ]


def test_a_path_skips_a_retired_course_and_chains_the_next_to_the_one_before():
    third_id = "https://example.com/courses/third"
    path = {
        "id": "https://example.com/paths/p",
        "courses": [COURSE_ID, OTHER_ID, third_id],
        "unlockNext": True,
    }
    s = Scenario(
        course(module(1)),
        course(module(1, course_id=OTHER_ID), course_id=OTHER_ID),
        course(module(1, course_id=third_id), course_id=third_id),
        paths=[path],
    )
    s.retire(OTHER_ID)
    assert s.catalogue.path(TENANT, "HTTPS://example.com/paths/p") == path
    facts = s.say("registered", path["id"])
    assert [(f.course, f.after) for f in facts] == [(COURSE_ID, ""), (third_id, COURSE_ID)]
