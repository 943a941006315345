"""Catalogue documents (validation, normalisation) and the Course / LearningPath aggregates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledger.catalogue import (
    CATALOGUE_TOPICS,
    COURSE,
    PATH,
    Course,
    LearningPath,
    topic_meaning,
)
from ledger.catalogue_validation import check_catalogue_document
from ledger.errors import InvalidCatalogueError
from ledger.ids import catalogue_aggregate_id
from ledger.schemas import v1_validator
from ledger.statements import RECORDED_TOPIC

C = "https://example.com/courses/safety"
M1, M2 = f"{C}/m1", f"{C}/m2"
P = "https://example.com/paths/onboarding"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def course(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": C,
        "title": "Safety basics",
        "modules": [
            {"id": M1, "title": "Intro", "moveOn": "Passed", "masteryScore": 0.8},
            {"id": M2, "moveOn": "Completed", "attendanceMinutes": 50},
        ],
        "criteria": {
            "requiredModules": [M1],
            "minimumScore": 0.7,
            "deadlineDays": 30,
            "validityDays": 365,
        },
    }
    document.update(changes)
    return document


def path(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"id": P, "title": "Onboarding", "courses": [C, f"{C}-2"]}
    document.update(changes)
    return document


def problems(kind: str, document: Any) -> dict[str, str]:
    with pytest.raises(InvalidCatalogueError) as caught:
        check_catalogue_document(kind, document)
    return {p.pointer: p.problem for p in caught.value.details}


# -- valid documents and normalisation --------------------------------------------------------


def test_a_full_course_is_valid_and_keeps_its_values() -> None:
    assert check_catalogue_document(COURSE, course()) == course()


def test_a_minimal_course_gets_the_defaults_filled() -> None:
    document = {"id": C, "title": "T", "modules": [{"id": M1}]}
    assert check_catalogue_document(COURSE, document) == {
        "id": C,
        "title": "T",
        "modules": [{"id": M1, "moveOn": "Completed"}],
        "criteria": {},
    }


def test_a_course_may_have_no_modules() -> None:
    assert check_catalogue_document(COURSE, {"id": C, "title": "T", "modules": []})["modules"] == []


def test_ids_are_kept_as_given() -> None:
    document = course(id="HTTPS://Example.COM/courses/Safety")
    assert check_catalogue_document(COURSE, document)["id"] == "HTTPS://Example.COM/courses/Safety"


def test_normalising_does_not_change_the_input() -> None:
    document = {"id": C, "title": "T", "modules": [{"id": M1}]}
    check_catalogue_document(COURSE, document)
    assert document == {"id": C, "title": "T", "modules": [{"id": M1}]}


def test_whole_number_days_written_as_floats_are_stored_as_integers() -> None:
    normalised = check_catalogue_document(COURSE, course(criteria={"deadlineDays": 30.0}))
    assert normalised["criteria"]["deadlineDays"] == 30
    assert isinstance(normalised["criteria"]["deadlineDays"], int)


def test_a_path_gets_unlock_next_false_by_default() -> None:
    assert check_catalogue_document(PATH, path())["unlockNext"] is False
    assert check_catalogue_document(PATH, path(unlockNext=True))["unlockNext"] is True


@pytest.mark.parametrize(
    "move_on", ["Completed", "Passed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable"]
)
def test_every_move_on_value_is_accepted(move_on: str) -> None:
    document = course(modules=[{"id": M1, "moveOn": move_on}], criteria={})
    assert check_catalogue_document(COURSE, document)["modules"][0]["moveOn"] == move_on


@pytest.mark.parametrize("score", [0, 1, 0.5])
def test_scores_at_the_bounds_are_accepted(score: float) -> None:
    document = course(modules=[{"id": M1, "masteryScore": score}], criteria={"minimumScore": score})
    assert check_catalogue_document(COURSE, document)["criteria"]["minimumScore"] == score


# -- course rules: each names the field ---------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "pointer", "words"),
    [
        ([], "", "JSON object"),
        ({"title": "T", "modules": []}, "/id", "required"),
        ({"id": C, "modules": []}, "/title", "required"),
        ({"id": C, "title": "T"}, "/modules", "required"),
        (course(id="not an iri"), "/id", "absolute IRI"),
        (course(id="relative/path"), "/id", "absolute IRI"),
        (course(id=""), "/id", "empty"),
        (course(id=7), "/id", "string"),
        (course(title=""), "/title", "empty"),
        (course(title="   "), "/title", "blank"),
        (course(title=None), "/title", "null"),
        (course(modules={}), "/modules", "array"),
        (course(modules=["x"]), "/modules/0", "JSON object"),
        (course(modules=[{"title": "no id"}]), "/modules/0/id", "required"),
        (course(modules=[{"id": M1}, {"id": "m 2"}], criteria={}), "/modules/1/id", "IRI"),
        (course(modules=[{"id": M1, "moveOn": "Done"}]), "/modules/0/moveOn", "one of"),
        (course(modules=[{"id": M1, "masteryScore": 1.5}]), "/modules/0/masteryScore", "at most"),
        (course(modules=[{"id": M1, "masteryScore": -0.1}]), "/modules/0/masteryScore", "least"),
        (course(modules=[{"id": M1, "masteryScore": "0.8"}]), "/modules/0/masteryScore", "number"),
        (course(modules=[{"id": M1, "masteryScore": True}]), "/modules/0/masteryScore", "number"),
        (
            course(modules=[{"id": M1, "attendanceMinutes": 0}]),
            "/modules/0/attendanceMinutes",
            "greater than 0",
        ),
        (course(modules=[{"id": M1, "title": 3}]), "/modules/0/title", "string"),
        (course(modules=[{"id": M1, "mastery": 0.8}]), "/modules/0/mastery", "unknown member"),
        (course(criteria=[]), "/criteria", "JSON object"),
        (course(criteria={"minimumScore": 2}), "/criteria/minimumScore", "at most 1"),
        (course(criteria={"deadlineDays": 0}), "/criteria/deadlineDays", "at least 1"),
        (course(criteria={"deadlineDays": 1.5}), "/criteria/deadlineDays", "integer"),
        (course(criteria={"validityDays": -3}), "/criteria/validityDays", "at least 1"),
        (course(criteria={"requiredModules": M1}), "/criteria/requiredModules", "array"),
        (
            course(criteria={"requiredModules": [f"{C}/m9"]}),
            "/criteria/requiredModules/0",
            "names no module",
        ),
        (
            course(criteria={"requiredModules": [M1, M1]}),
            "/criteria/requiredModules/1",
            "repeats",
        ),
        (course(criteria={"due": 3}), "/criteria/due", "unknown member"),
        (course(description="typo'd"), "/description", "unknown member"),
    ],
)
def test_a_course_breaking_a_rule_is_refused_naming_the_field(
    document: Any, pointer: str, words: str
) -> None:
    found = problems(COURSE, document)
    assert pointer in found, found
    assert words in found[pointer]


def test_module_ids_must_be_unique() -> None:
    document = course(modules=[{"id": M1}, {"id": M2}, {"id": M1}], criteria={})
    assert problems(COURSE, document) == {"/modules/2/id": "repeats the module id at /modules/0/id"}


def test_module_ids_differing_only_in_case_of_scheme_and_host_are_the_same() -> None:
    same = "HTTPS://EXAMPLE.com/courses/safety/m1"
    found = problems(COURSE, course(modules=[{"id": M1}, {"id": same}], criteria={}))
    assert list(found) == ["/modules/1/id"]


def test_required_modules_are_compared_in_normalised_form() -> None:
    document = course(criteria={"requiredModules": ["HTTPS://EXAMPLE.com/courses/safety/m1"]})
    assert check_catalogue_document(COURSE, document)["criteria"]["requiredModules"] == [
        "HTTPS://EXAMPLE.com/courses/safety/m1"
    ]


def test_a_typo_in_a_member_name_suggests_the_right_one() -> None:
    assert (
        "did you mean title?" in problems(COURSE, {"id": C, "titel": "T", "modules": []})["/titel"]
    )


def test_every_problem_is_reported_at_once() -> None:
    document = {"id": "x y", "title": "", "modules": [{"id": M1, "masteryScore": 5}], "extra": 1}
    assert set(problems(COURSE, document)) == {
        "/id",
        "/title",
        "/modules/0/masteryScore",
        "/extra",
    }


def test_the_error_message_names_the_first_problem() -> None:
    with pytest.raises(InvalidCatalogueError) as caught:
        check_catalogue_document(COURSE, course(criteria={"minimumScore": 7}))
    assert "/criteria/minimumScore" in caught.value.message
    assert caught.value.code == "invalid_catalogue"


def test_member_names_with_slashes_are_escaped_in_pointers() -> None:
    assert "/a~1b" in problems(COURSE, course(**{"a/b": 1}))


# -- path rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "pointer", "words"),
    [
        ({"title": "T", "courses": [C]}, "/id", "required"),
        ({"id": P, "courses": [C]}, "/title", "required"),
        ({"id": P, "title": "T"}, "/courses", "required"),
        (path(id="onboarding"), "/id", "absolute IRI"),
        (path(title=""), "/title", "empty"),
        (path(courses=[]), "/courses", "at least 1 item"),
        (path(courses=C), "/courses", "array"),
        (path(courses=[C, "not an iri"]), "/courses/1", "absolute IRI"),
        (path(courses=[C, 3]), "/courses/1", "string"),
        (path(courses=[C, f"{C}-2", C]), "/courses/2", "repeats the course at /courses/0"),
        (path(courses=[C, "HTTPS://EXAMPLE.COM/courses/safety"]), "/courses/1", "repeats"),
        (path(unlockNext="yes"), "/unlockNext", "true or false"),
        (path(unlocknext=True), "/unlocknext", "did you mean unlockNext?"),
    ],
)
def test_a_path_breaking_a_rule_is_refused_naming_the_field(
    document: Any, pointer: str, words: str
) -> None:
    found = problems(PATH, document)
    assert pointer in found, found
    assert words in found[pointer]


def test_an_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="kind"):
        check_catalogue_document("module", course())


@pytest.mark.parametrize("name", ["course", "learning-path"])
def test_the_schemas_are_valid_json_schema_2020_12(name: str) -> None:
    assert v1_validator(name).schema["$schema"].endswith("2020-12/schema")


# -- aggregates -----------------------------------------------------------------------------


def test_defining_a_course_is_revision_one_with_the_document() -> None:
    item = Course.define("acme", C, course(), T0)
    (event,) = item.collect_events()
    assert isinstance(event, Course.Defined)
    assert (event.tenant, event.catalogue_id, event.document) == ("acme", C, course())
    assert event.originator_version == 1
    assert event.originator_id == catalogue_aggregate_id("acme", COURSE, C)
    assert (item.document, item.retired, item.version) == (course(), False, 1)


def test_revising_and_retiring_add_revisions_and_keep_the_last_document() -> None:
    item = Course.define("acme", C, course(), T0)
    item.revise(course(title="New"), T0 + timedelta(days=1))
    item.retire(T0 + timedelta(days=2))
    events = item.collect_events()
    assert [type(e) for e in events] == [Course.Defined, Course.Revised, Course.Retired]
    assert [e.originator_version for e in events] == [1, 2, 3]
    assert item.retired
    assert item.document["title"] == "New"
    assert [(r.revision, r.change) for r in item.history] == [
        (1, "defined"),
        (2, "revised"),
        (3, "retired"),
    ]
    assert item.history[2].recorded == T0 + timedelta(days=2)


def test_revising_a_retired_course_reinstates_it() -> None:
    item = Course.define("acme", C, course(), T0)
    item.retire(T0)
    item.revise(course(), T0)
    assert not item.retired
    assert item.version == 3


def test_course_and_path_with_one_iri_are_different_aggregates() -> None:
    assert catalogue_aggregate_id("acme", COURSE, C) != catalogue_aggregate_id("acme", PATH, C)
    assert catalogue_aggregate_id("acme", COURSE, C) != catalogue_aggregate_id("other", COURSE, C)
    assert catalogue_aggregate_id("acme", COURSE, C) == catalogue_aggregate_id(
        "acme", COURSE, "HTTPS://EXAMPLE.COM/courses/safety"
    )


def test_a_path_has_its_own_events() -> None:
    item = LearningPath.define("acme", P, path(), T0)
    item.retire(T0)
    assert [type(e) for e in item.collect_events()] == [
        LearningPath.Defined,
        LearningPath.Retired,
    ]


def test_the_topics_are_the_public_contract() -> None:
    assert CATALOGUE_TOPICS == (
        "ledger.catalogue:Course.Defined",
        "ledger.catalogue:Course.Revised",
        "ledger.catalogue:Course.Retired",
        "ledger.catalogue:LearningPath.Defined",
        "ledger.catalogue:LearningPath.Revised",
        "ledger.catalogue:LearningPath.Retired",
    )
    assert topic_meaning("ledger.catalogue:Course.Revised") == ("course", "revised")
    assert topic_meaning("ledger.catalogue:LearningPath.Defined") == ("path", "defined")
    assert topic_meaning(RECORDED_TOPIC) is None
