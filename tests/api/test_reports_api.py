"""The learning reports over HTTP (`/v1/reports/...`), on SQLite and PostgreSQL.

The view rows are put straight into the tables: these tests are about filtering, sorting,
paging and formats, not about how the projections derive the rows.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
import pytest
from falcon import testing

from ledger.application import Ledger
from ledger.xapi.ifi import ifi_key
from projections import learning_tables as tables
from projections.learners import learner_id
from tests.conftest import basic, xapi_headers
from tests.learning_rows import create_learning_tables, insert, ms

TENANT = "default"
C1 = "https://example.com/courses/safety"
C2 = "https://example.com/courses/first-aid"
C3 = "https://example.com/courses/fire"
M1 = "https://example.com/courses/safety/m1"
PATH = "https://example.com/paths/onboarding"
ADA = {"objectType": "Agent", "mbox": "mailto:ada@example.com"}
BOB = {"objectType": "Agent", "account": {"homePage": "https://hr.example.com", "name": 'b,o"b'}}
CAT = {"objectType": "Agent", "mbox_sha1sum": "f" * 40}
DAN = {"objectType": "Agent", "openid": "https://openid.example.com/dan"}
T0 = ms("2026-01-01T00:00:00Z")
DAY = 86_400_000
FAR = ms("2099-01-01T00:00:00Z")


def key(agent: dict[str, Any]) -> str:
    found = ifi_key(agent)
    assert found is not None
    return found


def lid(agent: dict[str, Any]) -> str:
    return learner_id(key(agent))


def enrollment(agent: dict[str, Any], course: str, status: str, **fields: Any) -> dict[str, Any]:
    row = {
        "tenant": TENANT,
        "learner": key(agent),
        "course": course,
        "revision": 1,
        "status": status,
        "source": "xapi",
        "path": "",
        "enrolled_at": None,
        "started_at": None,
        "last_activity_at": None,
        "completed_at": None,
        "withdrawn_at": None,
        "due_at": None,
        "expires_at": None,
        "position": 1,
    }
    row.update(fields)
    return row


@pytest.fixture
def rows(ledger: Ledger) -> Ledger:
    """A ledger whose learning views hold a few learners' rows in three courses."""
    create_learning_tables(ledger)
    insert(
        ledger,
        tables.ENROLLMENTS,
        # completed, but its validity ran out long ago: expired at read time
        enrollment(
            ADA, C1, "completed", enrolled_at=T0, completed_at=T0 + 5 * DAY,
            expires_at=T0 + 10 * DAY, last_activity_at=T0 + 5 * DAY, path=PATH,
        ),
        enrollment(ADA, C2, "in_progress", enrolled_at=T0 + DAY, last_activity_at=T0 + 2 * DAY),
        enrollment(BOB, C1, "enrolled", enrolled_at=T0 + 2 * DAY, due_at=T0 + 3 * DAY),
        enrollment(BOB, C3, "withdrawn", enrolled_at=T0 + 3 * DAY, withdrawn_at=T0 + 4 * DAY),
        enrollment(
            CAT, C2, "passed", enrolled_at=T0 + 4 * DAY, completed_at=T0 + 6 * DAY,
            expires_at=FAR, source="hr",
        ),
        enrollment(DAN, C1, "failed", enrolled_at=None),
    )  # fmt: skip
    module = {"module": M1, "moveOn": "Completed", "state": "completed", "satisfied": True,
              "progress": 1.0, "best": None, "latest": None, "attempts": 0, "minutes": 0.0,
              "last_at": T0 + 5 * DAY}  # fmt: skip
    insert(
        ledger,
        tables.PROGRESS,
        {"tenant": TENANT, "learner": key(ADA), "course": C1, "revision": 1, "fraction": 1.0,
         "required": 1, "met": 1, "modules": orjson.dumps([module]).decode(),
         "last_activity_at": T0 + 5 * DAY, "position": 1},
        {"tenant": TENANT, "learner": key(BOB), "course": C1, "revision": 1, "fraction": 0.0,
         "required": 1, "met": 0, "modules": "[]", "last_activity_at": None, "position": 1},
    )  # fmt: skip
    insert(
        ledger,
        tables.SCORES,
        {"tenant": TENANT, "learner": key(ADA), "course": C1, "module": "", "attempts": 2,
         "best": 0.9, "latest": 0.7, "latest_at": T0 + 5 * DAY, "position": 1},
        {"tenant": TENANT, "learner": key(ADA), "course": C1, "module": M1, "attempts": 1,
         "best": 0.5, "latest": 0.5, "latest_at": T0 + 4 * DAY, "position": 1},
        {"tenant": TENANT, "learner": key(CAT), "course": C2, "module": "", "attempts": 1,
         "best": None, "latest": None, "latest_at": None, "position": 1},
    )  # fmt: skip
    insert(
        ledger,
        tables.SCORES_ATTEMPTS,
        *(
            {"tenant": TENANT, "learner": key(ADA), "course": C1, "module": module,
             "statement": statement, "scaled": scaled, "success": success, "happened": at}
            for module, statement, scaled, success, at in [
                ("", "s-2", 0.7, None, T0 + 5 * DAY),
                ("", "s-1", 0.9, 1, T0 + 3 * DAY),
                (M1, "s-3", 0.5, 0, T0 + 4 * DAY),
            ]
        ),
    )  # fmt: skip
    insert(
        ledger,
        tables.COMPLETIONS,
        {"tenant": TENANT, "learner": key(ADA), "course": C1, "completed_at": T0 + 5 * DAY,
         "passed": 1, "score": 0.9, "revision": 1, "expires_at": T0 + 10 * DAY, "on_time": 1,
         "statement": "s-1", "position": 1},
        {"tenant": TENANT, "learner": key(CAT), "course": C2, "completed_at": T0 + 6 * DAY,
         "passed": 1, "score": None, "revision": 2, "expires_at": FAR, "on_time": 0,
         "statement": "s-2", "position": 1},
    )  # fmt: skip
    insert(
        ledger,
        tables.CERTIFICATE_ELIGIBILITY,
        {"tenant": TENANT, "learner": key(ADA), "course": C1, "revision": 1, "status": "eligible",
         "unmet": "[]", "completed_at": T0 + 5 * DAY, "due_at": None,
         "expires_at": T0 + 10 * DAY, "position": 1},
        {"tenant": TENANT, "learner": key(BOB), "course": C1, "revision": 1, "status": "not_yet",
         "unmet": '["module m1 not met"]', "completed_at": None, "due_at": T0 + 3 * DAY,
         "expires_at": None, "position": 1},
        {"tenant": TENANT, "learner": key(CAT), "course": C2, "revision": 2, "status": "eligible",
         "unmet": "[]", "completed_at": T0 + 6 * DAY, "due_at": None, "expires_at": FAR,
         "position": 1},
    )  # fmt: skip
    insert(
        ledger,
        tables.CATALOGUE,
        {"tenant": TENANT, "kind": "path", "id": PATH, "revision": 1, "retired": 0,
         "document": orjson.dumps({"id": PATH, "title": "On", "courses": [C1, C3]}).decode(),
         "position": 1, "recorded": T0},
        {"tenant": TENANT, "kind": "path", "id": PATH, "revision": 2, "retired": 0,
         "document": orjson.dumps({"id": PATH, "title": "On", "courses": [C1, C2]}).decode(),
         "position": 2, "recorded": T0},
        # retiring keeps the courses of the latest revision in force before it
        {"tenant": TENANT, "kind": "path", "id": PATH, "revision": 3, "retired": 1,
         "document": "{}", "position": 3, "recorded": T0},
    )  # fmt: skip
    return ledger


def get(client: testing.TestClient, report: str, auth: str | None = None, **params: Any):
    headers = {"Authorization": auth or basic()}
    headers.update(params.pop("headers", {}))
    return client.simulate_get(f"/v1/reports/{report}", params=params, headers=headers)


def items(client: testing.TestClient, report: str, **params: Any) -> list[dict[str, Any]]:
    response = get(client, report, **params)
    assert response.status_code == 200, response.text
    return response.json["items"]


def pairs(found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(row["learner_id"], row["course"]) for row in found]


# -- rows and filters ---------------------------------------------------------------------------


def test_enrollment_rows_show_learner_agent_times_and_read_time_status(rows, client):
    found = {(row["learner_id"], row["course"]): row for row in items(client, "enrollments")}
    assert len(found) == 6
    ada = found[(lid(ADA), C1)]
    assert ada["learner"] == ADA
    assert ada["status"] == "expired"  # its completion's validity ended before now
    assert ada["enrolled_at"] == "2026-01-01T00:00:00.000Z"
    assert ada["completed_at"] == "2026-01-06T00:00:00.000Z"
    assert ada["path"] == PATH
    assert found[(lid(BOB), C1)]["learner"] == BOB
    assert found[(lid(BOB), C1)]["path"] is None
    assert found[(lid(BOB), C1)]["overdue"] is True  # due before now, not completed
    assert found[(lid(ADA), C1)]["overdue"] is False
    assert found[(lid(CAT), C2)]["learner"] == CAT
    assert found[(lid(CAT), C2)]["status"] == "passed"
    assert found[(lid(CAT), C2)]["source"] == "hr"
    assert found[(lid(DAN), C1)]["learner"] == DAN
    assert found[(lid(DAN), C1)]["enrolled_at"] is None


def test_course_filter_is_repeatable(rows, client):
    assert {row["course"] for row in items(client, "enrollments", course=C2)} == {C2}
    found = items(client, "enrollments", course=[C2, C3])
    assert sorted(pairs(found)) == sorted([(lid(ADA), C2), (lid(CAT), C2), (lid(BOB), C3)])


def test_path_filter_takes_the_courses_of_the_latest_revision_not_retired(rows, client):
    found = items(client, "enrollments", path=PATH)
    assert {row["course"] for row in found} == {C1, C2}
    # together with a course filter, both must hold
    assert {row["course"] for row in items(client, "enrollments", path=PATH, course=C3)} == set()


def test_path_filter_naming_no_path_is_refused(rows, client):
    response = get(client, "enrollments", path="https://example.com/paths/none")
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == "?path"


def test_learner_and_agent_filters(rows, client):
    found = items(client, "enrollments", learner=[lid(ADA), lid(DAN)])
    assert {row["learner_id"] for row in found} == {lid(ADA), lid(DAN)}
    found = items(
        client, "enrollments", agent=orjson.dumps({"mbox": "mailto:ADA@EXAMPLE.COM"}).decode()
    )
    assert pairs(found) == []  # the local part is case-sensitive; only the domain folds
    found = items(
        client, "enrollments", agent=orjson.dumps({"mbox": "mailto:ada@EXAMPLE.com"}).decode()
    )
    assert {row["learner_id"] for row in found} == {lid(ADA)}
    found = items(client, "enrollments", agent=orjson.dumps(BOB).decode())
    assert sorted(pairs(found)) == sorted([(lid(BOB), C1), (lid(BOB), C3)])


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"learner": "not base64!"}, "?learner"),
        ({"learner": learner_id("nonsense")}, "?learner"),
        ({"agent": "{}"}, "?agent"),
        ({"course": "not an iri"}, "?course"),
        ({"status": "done"}, "?status"),
        ({"enrolled_since": "yesterday"}, "?enrolled_since"),
        ({"sort": "title"}, "?sort"),
        ({"limit": "0"}, "?limit"),
        ({"limit": "1001"}, "?limit"),
        ({"limit": "ten"}, "?limit"),
        ({"format": "xml"}, "?format"),
        ({"min_position": "-1"}, "?min_position"),
        ({"path": [PATH, PATH]}, "?path"),
    ],
)
def test_bad_parameters_are_refused_naming_them(rows, client, params, pointer):
    response = get(client, "enrollments", **params)
    assert response.status_code == 400, response.text
    assert response.json["error"]["details"][0]["pointer"] == pointer


def test_status_filter_uses_the_read_time_status(rows, client):
    assert pairs(items(client, "enrollments", status="expired")) == [(lid(ADA), C1)]
    assert pairs(items(client, "enrollments", status="completed")) == []
    found = items(client, "enrollments", status=["passed", "withdrawn"])
    assert sorted(pairs(found)) == sorted([(lid(CAT), C2), (lid(BOB), C3)])


def test_date_windows_include_since_and_exclude_until(rows, client):
    found = items(
        client,
        "enrollments",
        enrolled_since="2026-01-02T00:00:00Z",
        enrolled_until="2026-01-04T00:00:00Z",
    )
    assert sorted(pairs(found)) == sorted([(lid(ADA), C2), (lid(BOB), C1)])
    found = items(client, "enrollments", completed_since="2026-01-06T00:00:00.001Z")
    assert pairs(found) == [(lid(CAT), C2)]
    found = items(client, "completions", completed_until="2026-01-07T00:00:00Z")
    assert pairs(found) == [(lid(ADA), C1)]


def test_progress_rows_show_modules_and_the_enrollment_status(rows, client):
    found = {row["learner_id"]: row for row in items(client, "progress")}
    ada = found[lid(ADA)]
    assert ada["fraction"] == 1.0
    assert ada["status"] == "expired"
    assert ada["modules"][0]["module"] == M1
    assert ada["modules"][0]["last_at"] == "2026-01-06T00:00:00.000Z"
    assert found[lid(BOB)]["status"] == "enrolled"
    assert pairs(items(client, "progress", status="enrolled")) == [(lid(BOB), C1)]


def test_scores_filter_by_module_and_show_course_scores_without_one(rows, client):
    found = items(client, "scores", learner=lid(ADA))
    assert [(row["module"], row["best"], row["latest"]) for row in found] == [
        (None, 0.9, 0.7),
        (M1, 0.5, 0.5),
    ]
    assert found[0]["history"] == [
        {"statement": "s-1", "scaled": 0.9, "success": True, "at": "2026-01-04T00:00:00.000Z"},
        {"statement": "s-2", "scaled": 0.7, "success": None, "at": "2026-01-06T00:00:00.000Z"},
    ]
    assert found[1]["history"] == [
        {"statement": "s-3", "scaled": 0.5, "success": False, "at": "2026-01-05T00:00:00.000Z"}
    ]
    assert [row["module"] for row in items(client, "scores", module=M1)] == [M1]
    assert [row["history"] for row in items(client, "scores", learner=lid(CAT))] == [[]]
    assert get(client, "scores", status="passed").status_code == 400  # no status on scores


def test_completions_show_expiry_at_read_time(rows, client):
    found = {row["learner_id"]: row for row in items(client, "completions")}
    assert found[lid(ADA)]["expired"] is True
    assert found[lid(ADA)]["passed"] is True
    assert found[lid(CAT)]["expired"] is False
    assert found[lid(CAT)]["on_time"] is False
    assert found[lid(CAT)]["score"] is None


def test_certificate_eligibility_at_read_time(rows, client):
    found = {row["learner_id"]: row for row in items(client, "certificate-eligibility")}
    assert found[lid(ADA)]["eligibility"] == "expired"
    assert found[lid(ADA)]["unmet"] == ["completion expired"]
    assert found[lid(CAT)]["eligibility"] == "eligible"
    assert found[lid(BOB)]["eligibility"] == "not_yet"
    assert found[lid(BOB)]["unmet"] == ["module m1 not met", "deadline passed"]
    only = items(client, "certificate-eligibility", status="eligible")
    assert pairs(only) == [(lid(CAT), C2)]


def test_learner_attribute_filters_are_refused_until_there_is_a_registry(rows, client):
    for name in ("role", "team", "location"):
        response = get(client, "enrollments", **{name: "x"})
        assert response.status_code == 400
        assert response.json["error"]["details"][0]["pointer"] == f"?{name}"
        assert "registry" in response.json["error"]["message"]


def test_unknown_parameters_are_refused_naming_them(rows, client):
    response = get(client, "enrollments", colour="red", module=M1)
    assert response.status_code == 400
    pointers = {d["pointer"] for d in response.json["error"]["details"]}
    assert pointers == {"?colour", "?module"}


def test_reports_need_the_reports_scope(rows, client, ledger):
    key_, secret = ledger.issue_credential(TENANT, ["statements/read"], "reader", "test")
    assert get(client, "enrollments", auth=basic(key_, secret)).status_code == 403
    key_, secret = ledger.issue_credential(TENANT, ["reports:read"], "reporter", "test")
    assert get(client, "enrollments", auth=basic(key_, secret)).status_code == 200
    assert client.simulate_get("/v1/reports/enrollments").status_code == 401


def test_other_tenants_rows_are_not_shown(rows, client, ledger):
    insert(ledger, tables.ENROLLMENTS, {**enrollment(ADA, C3, "enrolled"), "tenant": "other"})
    assert C3 not in {row["course"] for row in items(client, "enrollments", learner=lid(ADA))}


# -- sorting and pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["enrolled_at", "completed_at", "status", "learner", "course"])
def test_sort_both_directions(rows, client, sort):
    ascending = items(client, "enrollments", sort=sort)
    descending = items(client, "enrollments", sort=f"-{sort}")
    assert pairs(descending) == list(reversed(pairs(ascending)))
    if sort.endswith("_at"):
        values = [row[sort] for row in ascending]
        times = [value for value in values if value is not None]
        assert times == sorted(times)  # ISO strings sort as times
        assert values == times + [None] * (len(values) - len(times))  # nulls last ascending


def test_default_sort_is_learner_then_course(rows, client):
    found = pairs(items(client, "enrollments"))
    assert found == sorted(found, key=lambda p: (key_of(p[0]), p[1]))


def key_of(value: str) -> str:
    from projections.learners import learner_key

    return learner_key(value)


@pytest.fixture
def many(ledger: Ledger) -> list[tuple[str, str]]:
    """23 enrollments whose enrolled_at values tie (and some are null)."""
    create_learning_tables(ledger)
    made = []
    for n in range(23):
        agent = {"mbox": f"mailto:learner{n % 7}@example.com"}
        course = f"https://example.com/courses/c{n}"
        enrolled = None if n % 5 == 0 else T0 + (n % 3) * DAY
        insert(
            ledger, tables.ENROLLMENTS, enrollment(agent, course, "enrolled", enrolled_at=enrolled)
        )
        made.append((lid(agent), course))
    return made


@pytest.mark.parametrize("sort", ["learner", "-learner", "enrolled_at", "-enrolled_at", "status"])
def test_keyset_pages_cover_every_row_exactly_once(many, client, sort):
    seen: list[dict[str, Any]] = []
    response = get(client, "enrollments", sort=sort, limit=4)
    pages = 1
    while True:
        assert response.status_code == 200, response.text
        seen.extend(response.json["items"])
        link = response.json["next"]
        if link is None:
            break
        assert len(response.json["items"]) == 4
        url = urlsplit(link)
        assert url.path == "/v1/reports/enrollments"
        response = client.simulate_get(
            url.path, params=dict(parse_qsl(url.query)), headers={"Authorization": basic()}
        )
        pages += 1
    assert pages == 6
    assert sorted(pairs(seen)) == sorted(many)
    assert len(set(pairs(seen))) == len(many)
    assert pairs(seen) == pairs(items(client, "enrollments", sort=sort, limit=1000))


def next_cursor(response) -> str:
    return dict(parse_qsl(urlsplit(response.json["next"]).query))["cursor"]


def test_a_tampered_cursor_is_refused(many, client):
    cursor = next_cursor(get(client, "enrollments", limit=4))
    payload, signature = cursor.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    for bad in (f"{flipped}.{signature}", "nonsense", cursor + "x", ""):
        response = get(client, "enrollments", limit=4, cursor=bad)
        assert response.status_code == 400, bad
        assert response.json["error"]["details"][0]["pointer"] == "?cursor"


def test_a_signed_cursor_whose_key_does_not_fit_the_query_is_refused(many, client, ledger):
    """A cursor of another release's key shape (signed, so not tampered with) is a 400."""
    from projections.report_query import encode_cursor, query_digest

    digest = query_digest([("sort", "enrolled_at")])
    secret = ledger.tenant_secret(TENANT)
    for key in [(2, 0, "a", "b"), (0, "a"), (True, 1, "a", "b")]:
        cursor = encode_cursor(secret, TENANT, "enrollments", digest, 0, key)
        response = get(client, "enrollments", sort="enrolled_at", cursor=cursor)
        assert response.status_code == 400, key
    good = encode_cursor(secret, TENANT, "enrollments", digest, 0, (0, T0, "a", "b"))
    assert get(client, "enrollments", sort="enrolled_at", cursor=good).status_code == 200


def test_a_cursor_only_goes_on_with_its_own_query(many, client):
    cursor = next_cursor(get(client, "enrollments", limit=4, sort="enrolled_at"))
    assert get(client, "enrollments", cursor=cursor, sort="enrolled_at").status_code == 200
    assert get(client, "enrollments", cursor=cursor, limit=2, sort="enrolled_at").status_code == 200
    assert get(client, "enrollments", cursor=cursor, sort="learner").status_code == 400
    assert get(client, "completions", cursor=cursor, sort="learner").status_code == 400


# -- formats ------------------------------------------------------------------------------------


def test_ndjson_streams_every_row_when_no_limit_is_given(many, client):
    response = get(client, "enrollments", format="ndjson")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = response.text.splitlines()
    assert len(lines) == 23
    assert [tuple(orjson.loads(line)[k] for k in ("learner_id", "course")) for line in lines] == (
        pairs(items(client, "enrollments", limit=100))
    )


def test_csv_has_a_header_and_quotes_fields_as_rfc_4180_says(rows, client):
    agent = orjson.dumps(BOB).decode()
    response = get(client, "enrollments", format="csv", agent=agent, course=C1)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.startswith("learner_id,learner,course,revision,status,source,path,")
    assert "\r\n" in response.text
    table = list(csv.reader(io.StringIO(response.text)))
    header, first = table[0], dict(zip(table[0], table[1], strict=True))
    assert header[:5] == ["learner_id", "learner", "course", "revision", "status"]
    assert len(table) == 2
    assert orjson.loads(first["learner"]) == BOB  # nested values as JSON text (quoted)
    assert '"{""objectType"":""Agent""' in response.text
    assert first["path"] == ""  # null → empty field
    assert first["enrolled_at"] == "2026-01-03T00:00:00.000Z"


def test_csv_shows_booleans_and_lists(rows, client):
    table = list(csv.DictReader(io.StringIO(get(client, "completions", format="csv").text)))
    assert {row["expired"] for row in table} == {"true", "false"}
    table = list(
        csv.DictReader(io.StringIO(get(client, "certificate-eligibility", format="csv").text))
    )
    assert {row["unmet"] for row in table} == {
        "[]",
        '["completion expired"]',
        '["module m1 not met","deadline passed"]',
    }


def test_an_empty_csv_export_still_has_its_header(rows, client):
    response = get(client, "scores", format="csv", course="https://example.com/courses/none")
    assert response.text == (
        "learner_id,learner,course,module,attempts,best,latest,latest_at,history\r\n"
    )


def test_paged_exports_give_the_next_page_in_a_link_header(many, client):
    seen = []
    response = get(client, "enrollments", format="csv", limit=10)
    while True:
        table = list(csv.DictReader(io.StringIO(response.text)))
        seen.extend((row["learner_id"], row["course"]) for row in table)
        link = response.headers.get("link")
        if link is None:
            break
        assert link.endswith('>; rel="next"')
        url = urlsplit(link[1 : link.index(">")])
        response = client.simulate_get(
            url.path, params=dict(parse_qsl(url.query)), headers={"Authorization": basic()}
        )
    assert sorted(seen) == sorted(many)


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/x-ndjson", "application/x-ndjson"),
        ("text/csv", "text/csv"),
        ("text/csv;q=0.4, application/x-ndjson", "application/x-ndjson"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("text/html", "application/json"),
    ],
)
def test_accept_chooses_the_format(rows, client, accept, content_type):
    response = get(client, "enrollments", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)


def test_format_parameter_wins_over_accept(rows, client):
    response = get(client, "enrollments", format="csv", headers={"Accept": "application/json"})
    assert response.headers["content-type"].startswith("text/csv")


# -- min_position -------------------------------------------------------------------------------


class FakeWaiter:
    def __init__(self, reached: int) -> None:
        self.reached = reached
        self.asked: list[tuple[int, float]] = []

    def wait_for(self, position: int, timeout: float) -> bool:
        self.asked.append((position, timeout))
        return position <= self.reached


def resource(client: testing.TestClient, report: str) -> Any:
    return client.app._router.find(f"/v1/reports/{report}")[0]


def test_min_position_reached_answers_the_rows(rows, client):
    response = get(client, "enrollments", min_position=0)
    assert response.status_code == 200
    assert len(response.json["items"]) == 6


def test_min_position_not_reached_answers_503_with_retry_after(rows, client):
    waiter = FakeWaiter(reached=10)
    resource(client, "enrollments").waiter = waiter
    response = get(client, "enrollments", min_position=11)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json["error"]["code"] == "projections_behind"
    assert waiter.asked == [(11, 5.0)]
    assert get(client, "enrollments", min_position=10).status_code == 200


def test_a_write_then_a_report_at_its_position_shows_the_write(client):
    """Read your writes: the report waits for the projections to reach X-Ledger-Position."""
    course = {"id": C1, "title": "Safety", "modules": [{"id": M1, "moveOn": "Passed"}]}
    response = client.simulate_put(
        "/v1/catalogue/courses", json=course, headers={"Authorization": basic()}
    )
    assert response.status_code == 201, response.text
    statement = {
        "actor": ADA,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
        "object": {"id": M1},
        "result": {"score": {"scaled": 0.75}},
    }
    response = client.simulate_post("/xapi/statements", json=statement, headers=xapi_headers())
    assert response.status_code == 200, response.text
    position = response.headers["x-ledger-position"]
    found = items(client, "scores", min_position=position, module=M1)
    assert [(row["learner"], row["best"]) for row in found] == [(ADA, 0.75)]
    found = items(client, "enrollments", min_position=position)
    assert [(row["learner_id"], row["status"]) for row in found] == [(lid(ADA), "passed")]
