"""A learner's course records from their facts: moveOn, mastery, deadlines, expiry (issue 5).

Scenario tests of `projections.learning.evaluate` and the read-time rules (`current`, and the
SQL fragments the reports filter with, which must agree with it).
"""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projections.learning import (
    current,
    eligibility_sql,
    evaluate,
    overdue_sql,
    status_sql,
)
from projections.learning_model import (
    DAY_MS,
    ELIGIBLE,
    EXPIRED,
    NOT_YET,
    STATUS_COMPLETED,
    STATUS_ENROLLED,
    STATUS_EXPIRED,
    STATUS_FAILED,
    STATUS_IN_PROGRESS,
    STATUS_PASSED,
    STATUS_WITHDRAWN,
    STATUSES,
)
from projections.learning_tables import CERTIFICATE_ELIGIBILITY, ENROLLMENTS, ddl
from projections.statement_facts import SOURCE_EXTENSION
from tests.learning_strategies import (
    ADL_XAPI,
    COURSE_ID,
    T0,
    WITHDREW,
    Scenario,
    course,
    module,
    module_id,
    scenarios,
)

M1, M2, M3 = module_id(1), module_id(2), module_id(3)
SATISFIED = ADL_XAPI + "satisfied"
WAIVED = ADL_XAPI + "waived"


def one_module(move_on: str, **more: object) -> Scenario:
    """Return a scenario of a course whose only module has this moveOn."""
    return Scenario(course(module(1, move_on, **more)))


# -- moveOn --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("move_on", "verbs", "satisfied"),
    [
        ("Completed", ["completed"], True),
        ("Completed", ["passed"], False),
        ("Passed", ["passed"], True),
        ("Passed", ["completed"], False),
        ("Passed", ["failed"], False),
        ("CompletedAndPassed", ["completed"], False),
        ("CompletedAndPassed", ["passed"], False),
        ("CompletedAndPassed", ["passed", "completed"], True),  # in two statements
        ("CompletedOrPassed", ["completed"], True),
        ("CompletedOrPassed", ["passed"], True),
        ("CompletedOrPassed", ["failed"], False),
        ("Completed", [WAIVED], True),
        ("Passed", [SATISFIED], True),
    ],
)
def test_a_module_is_satisfied_by_its_move_on_rule(move_on, verbs, satisfied):
    s = one_module(move_on)
    for verb in verbs:
        s.say(verb, M1)
    record = s.record()
    assert record.modules[M1].satisfied is satisfied
    assert record.met == ([M1] if satisfied else [])
    assert (record.completed_at is not None) is satisfied
    assert record.fraction == (1.0 if satisfied else 0.0)


def test_module_states_say_what_happened():
    s = Scenario(
        course(
            module(1, "Passed"),
            module(2, "CompletedAndPassed"),
            module(3),
            module(4),
            module(5),
        )
    )
    s.say("failed", M1)
    s.say("completed", M2)
    s.say("launched", M3)
    s.say(WAIVED, module_id(4))
    states = {key: state.state for key, state in s.record().modules.items()}
    assert states == {
        M1: "failed",
        M2: "completed",
        M3: "in_progress",
        module_id(4): "waived",
        module_id(5): "not_started",
    }


def test_not_applicable_modules_are_not_required_and_always_satisfied():
    s = Scenario(course(module(1), module(2, "NotApplicable")))
    s.say("completed", M1)
    record = s.record()
    assert record.required == [M1]
    assert record.modules[M2].satisfied is True
    assert record.status == STATUS_COMPLETED


def test_the_listed_required_modules_are_the_ones_that_count():
    s = Scenario(course(module(1), module(2), requiredModules=[M2]))
    s.say("completed", M1)
    assert s.record().status == STATUS_IN_PROGRESS
    s.say("completed", M2)
    record = s.record()
    assert (record.status, record.required, record.met) == (STATUS_COMPLETED, [M2], [M2])


def test_the_course_completes_when_the_last_required_module_is_satisfied():
    s = Scenario(course(module(1), module(2, "Passed", masteryScore=0.8)))
    s.say("registered", COURSE_ID)
    s.say("completed", M1)
    record = s.record()
    assert (record.status, record.fraction, record.completed_at) == (STATUS_IN_PROGRESS, 0.5, None)
    assert record.unmet == [f"module {M2} not satisfied"]
    s.say("scored", M2, result={"score": {"scaled": 0.8}})  # equal to mastery: passes
    record = s.record()
    assert record.status == STATUS_PASSED
    assert record.completed_at == s.clock
    assert record.eligibility == ELIGIBLE
    assert record.unmet == []
    [completion] = record.completions
    assert (completion.passed, completion.score, completion.revision) == (True, 0.8, 1)


def test_a_score_just_below_mastery_fails_the_module_and_the_course_status():
    s = one_module("Passed", masteryScore=0.8)
    s.say("scored", M1, result={"score": {"scaled": 0.79}})
    record = s.record()
    assert record.modules[M1].state == "failed"
    assert record.status == STATUS_FAILED
    assert record.eligibility == NOT_YET
    s.say("scored", M1, result={"score": {"scaled": 0.5}, "success": True})  # success given
    assert s.record().status == STATUS_PASSED


def test_attended_minutes_add_up_to_complete_a_module():
    s = one_module("Completed", attendanceMinutes=90)
    s.say("attended", M1, result={"duration": "PT45M"})
    record = s.record()
    assert (record.modules[M1].minutes, record.modules[M1].satisfied) == (45, False)
    s.say("attended", M1, result={"duration": "PT45M"})
    record = s.record()
    assert (record.modules[M1].state, record.status) == ("completed", STATUS_COMPLETED)


def test_a_course_level_satisfied_or_passed_statement_completes_the_course():
    s = Scenario(course(module(1), module(2)))
    s.say("completed", M1)
    s.say(SATISFIED, COURSE_ID)
    record = s.record()
    assert (record.status, record.completed_at, record.fraction) == (
        STATUS_COMPLETED,
        s.clock,
        0.5,
    )
    passed = Scenario(course(module(1)))
    passed.say("passed", COURSE_ID, result={"score": {"scaled": 0.9}})
    record = passed.record()
    assert (record.status, record.best, record.completions[0].passed) == (STATUS_PASSED, 0.9, True)


def test_a_course_without_modules_completes_only_by_a_course_level_statement():
    s = Scenario(course())
    s.say("launched", COURSE_ID)
    record = s.record()
    assert (record.status, record.unmet) == (STATUS_IN_PROGRESS, ["course not completed"])
    s.say("completed", COURSE_ID)
    assert s.record().status == STATUS_COMPLETED


# -- scores --------------------------------------------------------------------------------------
def test_every_scored_statement_is_an_attempt_with_best_and_latest():
    s = Scenario(course(module(1, "Passed", masteryScore=0.5), module(2, "Passed")))
    s.say("scored", M1, result={"score": {"scaled": 0.4}})
    s.say("scored", M1, result={"score": {"scaled": 0.9}})
    s.say("scored", M1, result={"score": {"scaled": 0.6}})
    s.say("passed", M2, result={"score": {"scaled": 0.7}})
    record = s.record()
    state = record.modules[M1]
    assert (state.best, state.latest, state.attempts) == (0.9, 0.6, 3)
    assert [(a.module, a.scaled, a.success) for a in record.attempts] == [
        (M1, 0.4, False),
        (M1, 0.9, True),
        (M1, 0.6, True),
        (M2, 0.7, True),
    ]
    assert record.best == pytest.approx((0.9 + 0.7) / 2)
    assert record.latest == pytest.approx((0.6 + 0.7) / 2)


def test_a_course_score_below_the_minimum_keeps_the_certificate_back():
    s = Scenario(course(module(1, "Passed"), minimumScore=0.7))
    s.say("passed", M1, result={"score": {"scaled": 0.55}})
    record = s.record()
    assert (record.status, record.eligibility) == (STATUS_PASSED, NOT_YET)
    assert record.unmet == ["course score 0.55 below minimum 0.7"]
    s.say("passed", M1, result={"score": {"scaled": 0.75}})
    assert s.record().eligibility == ELIGIBLE


def test_a_course_without_any_score_cannot_meet_a_minimum():
    s = one_module("Completed")
    s.define(course(module(1), minimumScore=0.5))
    s.say("completed", M1)
    assert s.record().unmet == ["no course score (minimum 0.5)"]


# -- revisions -----------------------------------------------------------------------------------
def test_the_revision_of_the_latest_fact_decides_the_modules():
    s = Scenario(course(module(1)))
    s.say("completed", M1)
    assert s.record().status == STATUS_COMPLETED
    s.define(course(module(1), module(2)))
    s.say("launched", M2)
    record = s.record()
    assert (record.revision, record.required, record.met) == (2, [M1, M2], [M1])
    assert record.status == STATUS_COMPLETED  # the completion under revision 1 stands
    assert [c.revision for c in record.completions] == [1]


# -- enrollment ----------------------------------------------------------------------------------
def test_enrollment_is_explicit_or_implied_by_the_first_fact():
    s = Scenario(course(module(1)))
    s.say("launched", M1, extensions={SOURCE_EXTENSION: "hris"})
    record = s.record()
    assert (record.enrolled_at, record.started_at, record.source) == (s.clock, s.clock, "hris")
    registered = Scenario(course(module(1)))
    registered.say("registered", COURSE_ID)
    record = registered.record()
    assert (record.status, record.enrolled_at, record.started_at) == (
        STATUS_ENROLLED,
        registered.clock,
        None,
    )
    assert record.last_activity_at is None


def test_withdrawal_and_re_enrollment():
    s = Scenario(course(module(1), deadlineDays=10))
    s.say("registered", COURSE_ID, at=s.days(0))
    s.say("launched", M1, at=s.days(1))
    s.say(WITHDREW, COURSE_ID, at=s.days(2))
    record = s.record()
    assert (record.status, record.withdrawn_at) == (STATUS_WITHDRAWN, s.days(2))
    s.say("completed", M1, at=s.days(3))  # activity alone does not re-enroll
    assert s.record().status == STATUS_WITHDRAWN
    s.say("registered", COURSE_ID, at=s.days(20))
    record = s.record()
    assert (record.status, record.enrolled_at, record.withdrawn_at) == (
        STATUS_COMPLETED,
        s.days(20),
        None,
    )
    assert record.due_at == s.days(30)


def test_unlock_next_enrolls_in_the_next_course_when_the_previous_completes():
    second_id = "https://example.com/courses/advanced"
    path = {
        "id": "https://example.com/paths/p",
        "title": "P",
        "courses": [COURSE_ID, second_id],
        "unlockNext": True,
    }
    s = Scenario(
        course(module(1)),
        course(module(1, course_id=second_id), course_id=second_id, deadlineDays=5),
        paths=[path],
    )
    s.say("registered", path["id"], at=s.days(0))
    records = s.records()
    assert list(records) == [COURSE_ID]
    assert records[COURSE_ID].path == path["id"]
    s.say("completed", M1, at=s.days(3))
    second = s.records()[second_id]
    assert (second.status, second.enrolled_at, second.due_at, second.path) == (
        STATUS_ENROLLED,
        s.days(3),
        s.days(8),
        path["id"],
    )


def test_a_locked_course_with_facts_of_its_own_has_a_record():
    second_id = "https://example.com/courses/advanced"
    path = {"id": "https://example.com/paths/p", "courses": [COURSE_ID, second_id]}
    s = Scenario(
        course(module(1)),
        course(module(1, course_id=second_id), course_id=second_id),
        paths=[{**path, "unlockNext": True}],
    )
    s.say("registered", path["id"])
    s.say("launched", module_id(1, second_id))
    record = s.records()[second_id]
    assert (record.status, record.enrolled_at, record.path) == (STATUS_IN_PROGRESS, s.clock, "")


# -- deadlines and validity ----------------------------------------------------------------------
def test_a_completion_by_the_deadline_is_eligible_and_one_after_it_is_not():
    on_time = Scenario(course(module(1), deadlineDays=30))
    on_time.say("registered", COURSE_ID, at=on_time.days(0))
    on_time.say("completed", M1, at=on_time.days(30))  # exactly at the due time
    record = on_time.record()
    assert (record.due_at, record.eligibility, record.completions[0].on_time) == (
        on_time.days(30),
        ELIGIBLE,
        True,
    )
    late = Scenario(course(module(1), deadlineDays=30))
    late.say("registered", COURSE_ID, at=late.days(0))
    late.say("completed", M1, at=late.days(30) + 1)
    record = late.record()
    assert (record.status, record.eligibility) == (STATUS_COMPLETED, NOT_YET)
    assert record.unmet == ["completed after the deadline"]


def test_a_passed_deadline_shows_at_read_time():
    s = Scenario(course(module(1), deadlineDays=30))
    s.say("registered", COURSE_ID, at=s.days(0))
    r = s.record()
    before = current(
        r.expires_at, r.due_at, r.completed_at, r.status, r.eligibility, r.unmet, s.days(29)
    )
    after = current(
        r.expires_at, r.due_at, r.completed_at, r.status, r.eligibility, r.unmet, s.days(31)
    )
    assert "deadline passed" not in before.unmet
    assert after.unmet == [f"module {M1} not satisfied", "deadline passed"]
    assert after.status == STATUS_ENROLLED


def test_a_completion_expires_and_recertification_needs_the_modules_again():
    s = Scenario(course(module(1), module(2), validityDays=365))
    s.say("completed", M1, at=s.days(0))
    s.say("completed", M2, at=s.days(1))
    record = s.record()
    assert (record.status, record.expires_at) == (STATUS_COMPLETED, s.days(366))
    assert record.fraction == 1.0  # the completed cycle shows until a new one starts
    at_day_400 = current(
        record.expires_at,
        record.due_at,
        record.completed_at,
        record.status,
        record.eligibility,
        record.unmet,
        s.days(400),
    )
    assert at_day_400 == (STATUS_EXPIRED, EXPIRED, ["completion expired"])
    s.say("completed", M1, at=s.days(390))
    record = s.record()
    assert (record.met, record.expires_at) == ([M1], s.days(366))
    s.say("completed", M2, at=s.days(395))
    record = s.record()
    assert [c.completed_at for c in record.completions] == [s.days(1), s.days(395)]
    assert (record.expires_at, record.eligibility) == (s.days(760), ELIGIBLE)
    again = current(
        record.expires_at,
        record.due_at,
        record.completed_at,
        record.status,
        record.eligibility,
        record.unmet,
        s.days(400),
    )
    assert again == (STATUS_COMPLETED, ELIGIBLE, [])


def test_without_validity_later_facts_update_scores_but_never_complete_again():
    s = Scenario(course(module(1, "Passed")))
    s.say("passed", M1, result={"score": {"scaled": 0.6}})
    s.say("failed", M1, result={"score": {"scaled": 0.3}})
    s.say("passed", M1, result={"score": {"scaled": 0.9}})
    record = s.record()
    assert len(record.completions) == 1
    assert (record.status, record.best, record.latest) == (STATUS_PASSED, 0.9, 0.9)


# -- order and voiding ---------------------------------------------------------------------------
def test_a_voided_fact_left_out_is_as_if_never_said():
    s = Scenario(course(module(1)))
    s.say("launched", M1)
    [voided] = s.say("completed", M1)
    live = [f for f in s.facts if f is not voided]
    [record] = evaluate(live, s.catalogue)
    assert (record.status, record.completed_at) == (STATUS_IN_PROGRESS, None)


@given(scenarios(), st.randoms(use_true_random=False))
def test_records_do_not_depend_on_the_order_facts_come_in(scenario, rnd):
    expected = evaluate(scenario.facts, scenario.catalogue)
    shuffled = list(scenario.facts)
    rnd.shuffle(shuffled)
    assert evaluate(shuffled, scenario.catalogue) == expected
    for record in expected:
        assert record.status in STATUSES and record.status != STATUS_EXPIRED
        assert set(record.met) <= set(record.required)
        assert record.eligibility in (ELIGIBLE, NOT_YET)
        assert (record.eligibility == ELIGIBLE) == (record.completions != [] and not record.unmet)
        times = [c.completed_at for c in record.completions]
        assert times == sorted(set(times))  # the completions table's key holds
    keys = [(f.statement, f.course, f.module) for f in scenario.facts]
    assert len(keys) == len(set(keys))  # the facts table's key holds


def test_facts_of_several_learners_give_a_record_each():
    s = Scenario(course(module(1)))
    s.say("completed", M1)
    s.say("launched", M1, actor={"mbox": "mailto:bo@example.com"})
    records = evaluate(s.facts, s.catalogue)
    assert [(r.learner, r.status) for r in records] == [
        ("mbox:mailto:ada@example.com", STATUS_COMPLETED),
        ("mbox:mailto:bo@example.com", STATUS_IN_PROGRESS),
    ]


# -- read time in Python and in SQL --------------------------------------------------------------
_TIMES = st.one_of(st.none(), st.integers(T0 - 2 * DAY_MS, T0 + 2 * DAY_MS))


@given(
    rows=st.lists(
        st.tuples(
            _TIMES,
            _TIMES,
            _TIMES,
            st.sampled_from(STATUSES[:-1]),
            st.sampled_from((ELIGIBLE, NOT_YET)),
        ),
        min_size=1,
        max_size=20,
    ),
    now=st.integers(T0 - 2 * DAY_MS, T0 + 2 * DAY_MS),
)
def test_the_sql_read_time_rules_agree_with_current(rows, now):
    db = sqlite3.connect(":memory:")
    for statement in ddl(bigint="INTEGER", real="REAL", without_rowid=" WITHOUT ROWID"):
        db.execute(statement)
    for n, (expires_at, due_at, completed_at, status, eligibility) in enumerate(rows):
        learner = f"l{n}"
        db.execute(
            f"INSERT INTO {ENROLLMENTS} (tenant, learner, course, revision, status, source, path, "
            "completed_at, due_at, expires_at, position) VALUES ('t', ?, 'c', 1, ?, 'xapi', '', "
            "?, ?, ?, 1)",
            (learner, status, completed_at, due_at, expires_at),
        )
        db.execute(
            f"INSERT INTO {CERTIFICATE_ELIGIBILITY} (tenant, learner, course, revision, status, "
            "unmet, completed_at, due_at, expires_at, position) "
            "VALUES ('t', ?, 'c', 1, ?, '[]', ?, ?, ?, 1)",
            (learner, eligibility, completed_at, due_at, expires_at),
        )
    got = db.execute(
        f"SELECT {status_sql(':now', 'e.')}, {eligibility_sql(':now', 'c.')}, "
        f"{overdue_sql(':now', 'e.')} FROM {ENROLLMENTS} e JOIN {CERTIFICATE_ELIGIBILITY} c "
        "USING (tenant, learner, course) ORDER BY CAST(substr(e.learner, 2) AS INTEGER)",
        {"now": now},
    ).fetchall()
    expected = []
    for expires_at, due_at, completed_at, status, eligibility in rows:
        now_is = current(expires_at, due_at, completed_at, status, eligibility, [], now)
        expected.append((now_is.status, now_is.eligibility, int("deadline passed" in now_is.unmet)))
    assert [(s, e, bool(o)) for s, e, o in got] == [(s, e, bool(o)) for s, e, o in expected]


def test_statements_timed_with_the_completion_do_not_start_recertification():
    s = Scenario(course(module(1), validityDays=30))
    s.say("completed", M1, at=s.days(1))
    s.say("completed", M1, at=s.days(1))
    s.say("completed", M1, at=s.days(2))
    assert [c.completed_at for c in s.record().completions] == [s.days(1), s.days(2)]
