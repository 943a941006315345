"""The catalogue resources over HTTP (falcon TestClient), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from eventsourcing.postgres import PostgresDatastore
from falcon import testing

from ledger.application import Ledger
from ledger.catalogue import CATALOGUE_TOPICS, Catalogue, CatalogueItem
from ledger.errors import StoreBusyError
from projections.learning_tables import CATALOGUE, ddl
from projections.recorders import schema_prefix
from tests.conftest import basic, event_count

COURSES = "/v1/catalogue/courses"
PATHS = "/v1/catalogue/paths"
C = "https://example.com/courses/safety"
M1, M2 = f"{C}/m1", f"{C}/m2"
P = "https://example.com/paths/onboarding"


def course(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": C,
        "title": "Safety basics",
        "modules": [{"id": M1, "masteryScore": 0.8}, {"id": M2, "moveOn": "NotApplicable"}],
    }
    document.update(changes)
    return document


def headers(authorization: str | None = None, content_type: str = "application/json") -> dict:
    return {"Authorization": authorization or basic(), "Content-Type": content_type}


def put(client: testing.TestClient, url: str, document: Any, **params: str):
    body = document if isinstance(document, bytes) else orjson.dumps(document)
    return client.simulate_put(url, body=body, params=params, headers=headers())


def get(client: testing.TestClient, url: str, auth: str | None = None, **params: str):
    return client.simulate_get(url, params=params, headers=headers(auth))


def delete(client: testing.TestClient, url: str, **params: str):
    return client.simulate_delete(url, params=params, headers=headers())


def catalogue_events(ledger: Ledger) -> list[tuple[str, dict[str, Any]]]:
    """The catalogue events in the log, in order: (topic, state)."""
    found = ledger.recorder.select_notifications(start=None, limit=1000, topics=CATALOGUE_TOPICS)
    return [(n.topic, orjson.loads(n.state)) for n in found]


def topics(ledger: Ledger) -> list[str]:
    return [topic.split(":")[1] for topic, _ in catalogue_events(ledger)]


def problems(response) -> dict[str, str]:
    return {d["pointer"]: d["problem"] for d in response.json["error"]["details"]}


# -- create, revise, unchanged ---------------------------------------------------------------


def test_putting_a_new_course_creates_revision_one_with_defaults_filled(client, ledger):
    response = put(client, COURSES, course())
    assert response.status_code == 201
    body = response.json
    assert body["id"] == C
    assert body["title"] == "Safety basics"
    assert body["modules"] == [
        {"id": M1, "masteryScore": 0.8, "moveOn": "Completed"},
        {"id": M2, "moveOn": "NotApplicable"},
    ]
    assert body["criteria"] == {}
    assert (body["revision"], body["retired"]) == (1, False)
    assert body["recorded"].endswith("Z")
    assert body["revisions"] == [{"revision": 1, "recorded": body["recorded"], "change": "defined"}]
    assert (
        response.headers["location"]
        == "/v1/catalogue/courses?id=https%3A%2F%2Fexample.com%2Fcourses%2Fsafety"
    )
    assert get(client, COURSES, id=C).json == body


def test_the_defined_event_carries_tenant_id_and_normalised_document(client, ledger):
    put(client, COURSES, course())
    ((topic, state),) = catalogue_events(ledger)
    assert topic == "ledger.catalogue:Course.Defined"
    assert state["tenant"] == "default"
    assert state["catalogue_id"] == C
    assert state["document"]["modules"][0]["moveOn"] == "Completed"
    assert state["originator_topic"] == "ledger.catalogue:Course"


def test_putting_the_same_course_again_stores_nothing(client, ledger):
    put(client, COURSES, course())
    before = event_count(ledger)
    # the defaults written out are the same content
    again = put(
        client,
        COURSES,
        course(
            criteria={},
            modules=[
                {"id": M1, "masteryScore": 0.8, "moveOn": "Completed"},
                {"id": M2, "moveOn": "NotApplicable"},
            ],
        ),
    )
    assert again.status_code == 200
    assert again.json["revision"] == 1
    assert event_count(ledger) == before
    assert "location" not in again.headers


def test_putting_a_changed_course_revises_it(client, ledger):
    first = put(client, COURSES, course()).json
    response = put(client, COURSES, course(title="Safety basics, 2nd edition"))
    assert response.status_code == 200
    assert response.json["title"] == "Safety basics, 2nd edition"
    assert response.json["revision"] == 2
    assert [r["revision"] for r in response.json["revisions"]] == [1, 2]
    assert response.json["revisions"][0]["recorded"] == first["recorded"]
    assert topics(ledger) == ["Course.Defined", "Course.Revised"]
    assert catalogue_events(ledger)[1][1]["document"]["title"] == "Safety basics, 2nd edition"


def test_an_id_spelled_differently_names_the_same_course(client, ledger):
    put(client, COURSES, course())
    response = put(client, COURSES, course(id="HTTPS://EXAMPLE.COM/courses/safety", title="New"))
    assert response.status_code == 200
    assert response.json["revision"] == 2
    assert get(client, COURSES, id="https://EXAMPLE.com/courses/safety").json["title"] == "New"


def test_an_old_revision_is_served_with_the_whole_history(client, ledger):
    put(client, COURSES, course())
    put(client, COURSES, course(title="Second"))
    put(client, COURSES, course(title="Third"))
    old = get(client, COURSES, id=C, revision="1")
    assert old.status_code == 200
    assert old.json["title"] == "Safety basics"
    assert old.json["revision"] == 1
    assert [r["revision"] for r in old.json["revisions"]] == [1, 2, 3]
    assert old.json["recorded"] == old.json["revisions"][0]["recorded"]
    assert get(client, COURSES, id=C, revision="2").json["title"] == "Second"
    assert get(client, COURSES, id=C).json["title"] == "Third"


def test_a_revision_that_does_not_exist_is_not_found(client, ledger):
    put(client, COURSES, course())
    response = get(client, COURSES, id=C, revision="2")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "catalogue_not_found"
    assert problems(response) == {"?revision": "must be between 1 and 1"}


def test_a_learning_path_is_created_with_unlock_next_false(client, ledger):
    response = put(client, PATHS, {"id": P, "title": "Onboarding", "courses": [C]})
    assert response.status_code == 201
    assert response.json["unlockNext"] is False
    assert response.json["courses"] == [C]
    assert topics(ledger) == ["LearningPath.Defined"]
    # a path and a course are different entries even with one IRI
    assert get(client, COURSES, id=P).status_code == 404


def test_an_id_parameter_must_name_the_documents_id(client, ledger):
    response = put(client, COURSES, course(), id="https://example.com/courses/other")
    assert response.status_code == 400
    assert "/id" in problems(response)
    assert catalogue_events(ledger) == []
    assert put(client, COURSES, course(), id=C).status_code == 201


# -- retire and reinstate --------------------------------------------------------------------


def test_deleting_a_course_retires_it_and_keeps_its_document(client, ledger):
    put(client, COURSES, course())
    response = delete(client, COURSES, id=C)
    assert response.status_code == 204
    assert response.text == ""
    body = get(client, COURSES, id=C).json
    assert (body["retired"], body["revision"], body["title"]) == (True, 2, "Safety basics")
    assert [r["change"] for r in body["revisions"]] == ["defined", "retired"]
    ((_, state),) = catalogue_events(ledger)[1:]
    assert state["catalogue_id"] == C
    assert topics(ledger) == ["Course.Defined", "Course.Retired"]


def test_retiring_twice_stores_nothing(client, ledger):
    put(client, COURSES, course())
    delete(client, COURSES, id=C)
    before = event_count(ledger)
    assert delete(client, COURSES, id=C).status_code == 204
    assert event_count(ledger) == before


def test_putting_a_retired_course_reinstates_it_even_unchanged(client, ledger):
    put(client, COURSES, course())
    delete(client, COURSES, id=C)
    response = put(client, COURSES, course())
    assert response.status_code == 200
    assert (response.json["retired"], response.json["revision"]) == (False, 3)
    assert topics(ledger) == ["Course.Defined", "Course.Retired", "Course.Revised"]
    assert get(client, COURSES, id=C, revision="2").json["retired"] is True


def test_an_unknown_course_is_not_found(client, ledger):
    for response in (get(client, COURSES, id=C), delete(client, COURSES, id=C)):
        assert response.status_code == 404
        assert response.json["error"]["code"] == "catalogue_not_found"
    assert catalogue_events(ledger) == []


# -- bad requests ----------------------------------------------------------------------------


def test_an_invalid_course_is_refused_naming_each_field_and_nothing_is_stored(client, ledger):
    document = course(
        modules=[{"id": M1, "masteryScore": 1.5}, {"id": M1}],
        criteria={"requiredModules": [f"{C}/m9"], "deadlineDays": 0},
        titel="typo",
    )
    response = put(client, COURSES, document)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_catalogue"
    assert set(problems(response)) == {
        "/modules/0/masteryScore",
        "/modules/1/id",
        "/criteria/requiredModules/0",
        "/criteria/deadlineDays",
        "/titel",
    }
    assert catalogue_events(ledger) == []


def test_an_invalid_path_is_refused_naming_the_field(client, ledger):
    response = put(client, PATHS, {"id": P, "title": "Onboarding", "courses": [C, C]})
    assert response.status_code == 400
    assert problems(response) == {"/courses/1": "repeats the course at /courses/0"}


def test_a_body_that_is_not_json_is_refused(client, ledger):
    response = put(client, COURSES, b'{"id": ')
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_a_body_that_is_not_application_json_is_refused(client, ledger):
    response = client.simulate_put(
        COURSES, body=orjson.dumps(course()), headers=headers(content_type="text/plain")
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "unsupported_media_type"
    assert catalogue_events(ledger) == []


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"id": C, "revision": "first"}, "?revision"),
        ({"id": C, "revision": "0"}, "?revision"),
        ({"id": "not an iri"}, "?id"),
        ({"id": C, "retired": "true"}, "?retired"),
        ({"revision": "1"}, "?revision"),
        ({"retired": "yes"}, "?retired"),
        ({"ID": C}, "?ID"),
    ],
)
def test_bad_query_parameters_are_refused_naming_them(client, ledger, params, pointer):
    put(client, COURSES, course())
    response = get(client, COURSES, **params)
    assert response.status_code == 400
    assert pointer in problems(response)


def test_delete_needs_an_id(client, ledger):
    response = delete(client, COURSES)
    assert response.status_code == 400
    assert "?id" in problems(response)


# -- scopes and tenants ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "may_read", "may_write"),
    [
        ("catalogue:write", True, True),
        ("reports:read", True, False),
        ("admin", True, True),
        ("statements/write", False, False),
        ("all", False, False),
    ],
)
def test_scopes_decide_who_may_read_and_write(client, ledger, scope, may_read, may_write):
    put(client, COURSES, course())
    key, secret = ledger.issue_credential("default", [scope], scope, "test")
    auth = basic(key, secret)
    reading = get(client, COURSES, auth, id=C)
    assert reading.status_code == (200 if may_read else 403)
    writing = client.simulate_put(
        COURSES, body=orjson.dumps(course(title="Changed")), headers=headers(auth)
    )
    assert writing.status_code == (200 if may_write else 403)
    retiring = client.simulate_delete(COURSES, params={"id": C}, headers=headers(auth))
    assert retiring.status_code == (204 if may_write else 403)
    if not may_write:
        assert writing.json["error"]["code"] == "forbidden"
        assert topics(ledger) == ["Course.Defined"]


def test_another_tenants_course_is_invisible(client, ledger):
    put(client, COURSES, course())
    ledger.create_tenant("other")
    key, secret = ledger.issue_credential("other", ["admin"], "other admin", "test")
    assert get(client, COURSES, basic(key, secret), id=C).status_code == 404
    response = client.simulate_put(
        COURSES, body=orjson.dumps(course(title="Theirs")), headers=headers(basic(key, secret))
    )
    assert response.status_code == 201
    assert get(client, COURSES, id=C).json["title"] == "Safety basics"


# -- the list (read from the learning_catalogue projection table) ----------------------------


def write_catalogue_rows(ledger: Ledger, rows: list[tuple]) -> None:
    """Create `learning_catalogue` if need be and write rows into it, as the projection would."""
    datastore: Any = ledger.recorder.datastore  # type: ignore[attr-defined]
    postgres = isinstance(datastore, PostgresDatastore)
    if postgres:
        statements = ddl(schema=schema_prefix(datastore.schema))
    else:
        statements = ddl("INTEGER", "REAL", without_rowid=" WITHOUT ROWID")
    create = next(s for s in statements if "TABLE IF NOT EXISTS " in s and f"{CATALOGUE} (" in s)
    table = f"{schema_prefix(datastore.schema)}{CATALOGUE}" if postgres else CATALOGUE
    mark = "%s" if postgres else "?"
    insert = f"INSERT INTO {table} VALUES ({', '.join([mark] * 8)})"
    with datastore.transaction(commit=True) as curs:
        curs.execute(create)
        for row in rows:
            curs.execute(insert, row)


def listed(tenant: str, kind: str, iri: str, revision: int, title: str, retired: int, ms: int):
    document = orjson.dumps({"id": iri, "title": title, "modules": [], "criteria": {}}).decode()
    return (tenant, kind, iri, revision, document, retired, revision * 10, ms)


def test_the_list_shows_the_latest_revision_of_each_current_entry(client, ledger):
    b = "https://example.com/courses/b"
    write_catalogue_rows(
        ledger,
        [
            listed("default", "course", C, 1, "Old title", 0, 1_700_000_000_000),
            listed("default", "course", C, 2, "New title", 0, 1_700_000_001_000),
            listed("default", "course", b, 1, "B", 0, 1_700_000_002_000),
            listed("default", "course", b, 2, "B", 1, 1_700_000_003_000),
            listed("default", "path", P, 1, "Path", 0, 1_700_000_004_000),
            listed("other", "course", "https://example.com/courses/z", 1, "Z", 0, 1),
        ],
    )
    current = get(client, COURSES)
    assert current.status_code == 200
    assert current.json == [
        {
            "id": C,
            "title": "New title",
            "modules": [],
            "criteria": {},
            "revision": 2,
            "retired": False,
            "recorded": "2023-11-14T22:13:21.000Z",
        }
    ]
    everything = get(client, COURSES, retired="true").json
    assert [(e["id"], e["revision"], e["retired"]) for e in everything] == [
        (b, 2, True),
        (C, 2, False),
    ]
    assert [e["id"] for e in get(client, PATHS).json] == [P]


def test_the_list_with_min_position_shows_the_write_that_answered_that_position(client):
    created = put(client, COURSES, course())
    position = created.headers["X-Ledger-Position"]
    assert int(position) >= 1
    listed_now = get(client, COURSES, min_position=position)
    assert listed_now.status_code == 200
    assert [(e["id"], e["revision"]) for e in listed_now.json] == [(C, 1)]
    revised = put(client, COURSES, course(title="Safety, revised"))
    after = get(client, COURSES, min_position=revised.headers["X-Ledger-Position"]).json
    assert [(e["title"], e["revision"]) for e in after] == [("Safety, revised", 2)]


def test_a_list_waiting_for_a_position_the_log_never_reaches_answers_503(client):
    behind = get(client, COURSES, min_position="1000000")
    assert behind.status_code == 503
    assert behind.headers["Retry-After"]
    assert behind.json["error"]["code"] == "projections_behind"
    assert get(client, COURSES, min_position="soon").status_code == 400


# -- the ledger side: positions and racing writers -------------------------------------------


def test_a_write_reports_the_log_position_of_its_event(ledger):
    catalogue = Catalogue(ledger)
    created = catalogue.put("default", "course", course())
    revised = catalogue.put("default", "course", course(title="New"))
    unchanged = catalogue.put("default", "course", course(title="New"))
    retired = catalogue.retire("default", "course", C)
    positions = [
        n.id
        for n in ledger.recorder.select_notifications(
            start=None, limit=100, topics=CATALOGUE_TOPICS
        )
    ]
    assert [created.position, revised.position, retired.position] == positions
    assert unchanged.position is None
    assert [c.outcome for c in (created, revised, unchanged, retired)] == [
        "created",
        "revised",
        "unchanged",
        "retired",
    ]


class _StaleCatalogue(Catalogue):
    """Reads an old copy of the entry for the first `stale` reads, as a writer that lost a
    race to another would."""

    def __init__(self, ledger: Ledger, stale: int) -> None:
        super().__init__(ledger)
        self.stale = stale
        self.reads = 0

    def _find(self, aggregate_id, version=None) -> CatalogueItem | None:
        self.reads += 1
        if self.reads <= self.stale:
            return super()._find(aggregate_id, version=1)
        return super()._find(aggregate_id, version)


def test_a_writer_that_lost_a_race_decides_again_on_the_new_revision(ledger):
    Catalogue(ledger).put("default", "course", course())
    Catalogue(ledger).put("default", "course", course(title="Second"))
    racing = _StaleCatalogue(ledger, stale=1)
    change = racing.put("default", "course", course(title="Third"))
    assert racing.reads == 2
    assert (change.outcome, change.entry.revision) == ("revised", 3)
    assert topics(ledger) == ["Course.Defined", "Course.Revised", "Course.Revised"]


def test_a_writer_that_keeps_losing_gives_up_with_store_busy(ledger):
    Catalogue(ledger).put("default", "course", course())
    Catalogue(ledger).put("default", "course", course(title="Second"))
    with pytest.raises(StoreBusyError):
        _StaleCatalogue(ledger, stale=100).put("default", "course", course(title="Third"))
    assert len(topics(ledger)) == 2


def test_racing_creates_store_one_definition(ledger):
    Catalogue(ledger).put("default", "path", {"id": P, "title": "First", "courses": [C]})

    class _Unseen(Catalogue):
        """Does not see the path on its first read, as if it was created meanwhile."""

        first = True

        def _find(self, aggregate_id, version=None):
            if self.first:
                self.first = False
                return None
            return super()._find(aggregate_id, version)

    change = _Unseen(ledger).put("default", "path", {"id": P, "title": "Second", "courses": [C]})
    assert (change.outcome, change.entry.revision) == ("revised", 2)
    assert topics(ledger) == ["LearningPath.Defined", "LearningPath.Revised"]
