"""Statements with attachments over HTTP: multipart/mixed in and out, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace

import orjson
import pytest
from falcon import testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from tests.conftest import event_count, xapi_headers
from tests.factories import statement, with_id
from tests.multipart import (
    BOUNDARY,
    URL,
    PartSpec,
    attachment,
    blob_count,
    multipart_body,
    post_multipart,
    read_multipart,
    sha256,
)

TEXT = b"here is a simple attachment"
OTHER = b"here is another simple attachment"
FILE_URL = "http://over.there.com/file.txt"


def get(client, version="1.0.3", **params):
    return client.simulate_get(URL, params=params, headers=xapi_headers(version))


def stored_nothing(ledger, events_before, blobs_before=0):
    return event_count(ledger) == events_before and blob_count(ledger) == blobs_before


def test_a_statement_with_an_attachment_part_is_stored_and_returned_byte_for_byte(client):
    """Checklist §2.3, §8.1, §8.2, §7.5: multipart in; attachments=true → multipart out."""
    body = with_id(attachments=[attachment(TEXT)])
    response = post_multipart(client, multipart_body(body, [PartSpec(TEXT)]))
    assert response.status_code == 200, response.text
    assert response.json == [body["id"]]

    fetched = get(client, statementId=body["id"], attachments="true")
    assert fetched.status_code == 200
    assert fetched.headers["content-type"].startswith("multipart/mixed; boundary=")
    first, second = read_multipart(fetched)
    assert first.headers["content-type"] == "application/json"
    assert orjson.loads(first.body)["attachments"] == body["attachments"]
    assert second.headers == {
        "content-type": "text/plain",
        "content-transfer-encoding": "binary",
        "x-experience-api-hash": sha256(TEXT),
    }
    assert second.body == TEXT


@pytest.mark.parametrize("params", [{"attachments": "false"}, {}], ids=["false", "absent"])
def test_without_attachments_true_the_answer_is_json_with_the_attachment_objects(client, params):
    """Checklist §7.5 (CTS XAPI-00161): attachments=false or absent → application/json only."""
    body = with_id(attachments=[attachment(TEXT)])
    assert post_multipart(client, multipart_body(body, [PartSpec(TEXT)])).status_code == 200
    for query in ({"statementId": body["id"]}, {}):
        fetched = get(client, **query, **params)
        assert fetched.headers["content-type"] == "application/json"
        found = fetched.json if "statementId" in query else fetched.json["statements"][0]
        assert found["attachments"] == body["attachments"]


def test_one_part_serves_every_statement_that_declares_its_hash(client, ledger):
    """Checklist §8.1, §8.2: one part for two statements; sent once on the way out."""
    first = with_id(attachments=[attachment(TEXT)])
    second = with_id(attachments=[attachment(TEXT), attachment(OTHER)])
    body = multipart_body([first, second], [PartSpec(TEXT), PartSpec(OTHER)])
    assert post_multipart(client, body).status_code == 200
    assert blob_count(ledger) == 2

    page = get(client, attachments="true")
    parts = read_multipart(page)
    assert [orjson.loads(parts[0].body)["statements"][i]["id"] for i in (0, 1)] == [
        second["id"],
        first["id"],
    ]
    assert sorted(part.body for part in parts[1:]) == sorted([TEXT, OTHER])


def test_a_query_page_with_attachments_true_is_multipart_even_without_attachments(client):
    """Checklist §7.5, §16.5: attachments=true always answers multipart/mixed."""
    assert client.simulate_post(URL, json=statement(), headers=xapi_headers()).status_code == 200
    parts = read_multipart(get(client, attachments="true"))
    assert len(parts) == 1
    assert len(orjson.loads(parts[0].body)["statements"]) == 1


def test_following_more_keeps_the_multipart_format(client):
    """Checklist §7.4, §7.5: the `more` page of an attachments=true query is multipart too."""
    for data in (TEXT, OTHER):
        body = with_id(attachments=[attachment(data)])
        assert post_multipart(client, multipart_body(body, [PartSpec(data)])).status_code == 200
    first = read_multipart(get(client, attachments="true", limit="1"))
    more = orjson.loads(first[0].body)["more"]
    assert more
    second = read_multipart(client.simulate_get(more, headers=xapi_headers()))
    assert len(second) == 2
    assert {first[1].body, second[1].body} == {TEXT, OTHER}


def test_head_with_attachments_true_has_the_multipart_headers_and_no_body(client):
    """Checklist §7.5, 1.0.3 Comm §1.1: HEAD answers as GET would, without the body."""
    body = with_id(attachments=[attachment(TEXT)])
    assert post_multipart(client, multipart_body(body, [PartSpec(TEXT)])).status_code == 200
    head = client.simulate_head(
        URL, params={"statementId": body["id"], "attachments": "true"}, headers=xapi_headers()
    )
    assert head.status_code == 200
    assert head.headers["content-type"].startswith("multipart/mixed; boundary=")
    assert head.content == b""


def test_put_takes_a_multipart_statement(client):
    """Checklist §2.3: PUT accepts multipart/mixed too."""
    statement_id = str(uuid.uuid4())
    body = statement(attachments=[attachment(TEXT)])
    response = client.simulate_put(
        URL,
        params={"statementId": statement_id},
        body=multipart_body(body, [PartSpec(TEXT)]),
        headers=xapi_headers(**{"Content-Type": f"multipart/mixed; boundary={BOUNDARY}"}),
    )
    assert response.status_code == 204, response.text
    parts = read_multipart(get(client, statementId=statement_id, attachments="true"))
    assert parts[1].body == TEXT


def test_the_conformance_suites_line_feed_bodies_with_a_preamble_are_accepted(client):
    """Checklist §8.1: bare-LF delimiters, a preamble, `Name:value` headers, header case."""
    body = with_id(attachments=[attachment(TEXT), attachment(OTHER)])
    parts = [
        PartSpec(TEXT, extra=(("Content-Disposition", 'attachment; filename="a.txt"'),)),
        PartSpec(OTHER),
    ]
    raw = multipart_body(body, parts, eol=b"\n", preamble=b"\n", separator=b":")
    raw = raw.replace(b"X-Experience-API-Hash", b"x-experience-api-hash")
    boundary = "-------314159265358979323846"
    raw = raw.replace(BOUNDARY.encode(), boundary.encode())
    response = post_multipart(client, raw, content_type=f'multipart/mixed; boundary="{boundary}"')
    assert response.status_code == 200, response.text
    fetched = read_multipart(get(client, statementId=body["id"], attachments="true"))
    assert [part.body for part in fetched[1:]] == [TEXT, OTHER]


@pytest.mark.parametrize(
    "digest", [hashlib.sha384, hashlib.sha512, hashlib.sha224], ids=["384", "512", "224"]
)
def test_other_sha2_lengths_are_checked_with_their_own_algorithm(client, digest):
    """Checklist §4.16, §8.1: the hash's length names the SHA-2 it is checked with."""
    sha2 = digest(TEXT).hexdigest()
    body = with_id(attachments=[attachment(TEXT, sha2=sha2)])
    response = post_multipart(client, multipart_body(body, [PartSpec(TEXT, sha2=sha2.upper())]))
    assert response.status_code == 200, response.text
    assert read_multipart(get(client, statementId=body["id"], attachments="true"))[1].body == TEXT


def test_multipart_with_no_attachments_or_only_file_urls_is_accepted(client):
    """Checklist §8.1, §16.4: multipart without attachment data is fine (SHALL in 2.0)."""
    for version in ("1.0.3", "2.0.0"):
        plain = with_id()
        by_url = with_id(attachments=[attachment(TEXT, fileUrl=FILE_URL)])
        response = post_multipart(client, multipart_body([plain, by_url]), version=version)
        assert response.status_code == 200, response.text


def test_application_json_needs_a_file_url_on_every_attachment(client, ledger):
    """Checklist §8.1 (CTS XAPI-00129): JSON with an attachment lacking fileUrl → 400."""
    with_url = with_id(attachments=[attachment(TEXT, fileUrl=FILE_URL)])
    response = client.simulate_post(URL, json=with_url, headers=xapi_headers())
    assert response.status_code == 200
    before = event_count(ledger)
    without = with_id(attachments=[attachment(TEXT, fileUrl=FILE_URL), attachment(TEXT)])
    response = client.simulate_post(URL, json=without, headers=xapi_headers())
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == "/attachments/1"
    assert "fileUrl" in response.json["error"]["details"][0]["problem"]
    assert event_count(ledger) == before


def test_a_part_may_bring_the_data_of_an_attachment_that_has_a_file_url(client):
    """Checklist §8.1: a part whose hash a fileUrl attachment declares is not surplus."""
    body = with_id(attachments=[attachment(TEXT, fileUrl=FILE_URL)])
    assert post_multipart(client, multipart_body(body, [PartSpec(TEXT)])).status_code == 200
    assert read_multipart(get(client, statementId=body["id"], attachments="true"))[1].body == TEXT


def test_a_substatements_attachments_need_their_data_too(client, ledger):
    """Checklist §4.10, §8.1: a SubStatement's attachment without fileUrl needs a part."""
    sub = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:bo@example.com"},
        "verb": {"id": "http://example.com/verbs/shared"},
        "object": {"id": "http://example.com/activities/a"},
        "attachments": [attachment(OTHER)],
    }
    body = with_id(object=sub, context=None)
    before = event_count(ledger)
    refused = post_multipart(client, multipart_body(body))
    assert refused.status_code == 400
    assert refused.json["error"]["details"][0]["pointer"] == "/object/attachments/0"
    assert event_count(ledger) == before
    assert post_multipart(client, multipart_body(body, [PartSpec(OTHER)])).status_code == 200
    assert read_multipart(get(client, statementId=body["id"], attachments="true"))[1].body == OTHER


def _valid() -> dict:
    return with_id(attachments=[attachment(TEXT)])


MALFORMED = [
    pytest.param(
        lambda s: (multipart_body(s, [PartSpec(TEXT)]), "multipart/mixed"),
        "Content-Type",
        id="8.1 no boundary parameter",
    ),
    pytest.param(
        lambda s: (multipart_body(s, [PartSpec(TEXT)], boundary="other"), None),
        "",
        id="8.1 body not delimited by the boundary",
    ),
    pytest.param(
        lambda s: (multipart_body(s, [PartSpec(TEXT)], first_type="text/plain"), None),
        "part 1/Content-Type",
        id="8.1 first part not application/json",
    ),
    pytest.param(
        lambda s: (multipart_body(s, [PartSpec(TEXT)], first_type=None), None),
        "part 1/Content-Type",
        id="8.1 first part without Content-Type",
    ),
    pytest.param(
        lambda s: (multipart_body(s, [PartSpec(TEXT, hash_header=False)]), None),
        "part 2/X-Experience-API-Hash",
        id="8.1 part without X-Experience-API-Hash",
    ),
    pytest.param(
        lambda s: (multipart_body(s, [PartSpec(TEXT, encoding=None)]), None),
        "part 2/Content-Transfer-Encoding",
        id="8.1 part without Content-Transfer-Encoding",
    ),
    pytest.param(
        lambda s: (multipart_body(s, [PartSpec(TEXT, encoding="base64")]), None),
        "part 2/Content-Transfer-Encoding",
        id="8.1 part with Content-Transfer-Encoding base64",
    ),
    pytest.param(
        lambda s: (multipart_body(s, [PartSpec(TEXT), PartSpec(OTHER)]), None),
        "part 3/X-Experience-API-Hash",
        id="8.1 surplus part no sha2 declares",
    ),
    pytest.param(
        lambda s: (multipart_body(s, [PartSpec(OTHER, sha2=sha256(TEXT))]), None),
        "part 2/X-Experience-API-Hash",
        id="8.1 hash does not match the data",
    ),
    pytest.param(
        lambda s: (multipart_body(s), None),
        "/attachments/0",
        id="8.1 attachment with neither fileUrl nor part",
    ),
    pytest.param(
        lambda s: (multipart_body(s, [PartSpec(TEXT, content_type="image/png")]), None),
        "/attachments/0/contentType",
        id="8.1 part Content-Type differs from contentType",
    ),
    pytest.param(
        lambda s: (
            multipart_body(s, [PartSpec(TEXT, extra=(("Content-Length", "3"),))]),
            None,
        ),
        "part 2/Content-Length",
        id="8.1 part Content-Length differs from its data",
    ),
    pytest.param(
        lambda s: (
            multipart_body(s, [PartSpec(TEXT, content_type="application/json", hash_header=False)]),
            None,
        ),
        "part 2/X-Experience-API-Hash",
        id="8.1 statements split over two parts",
    ),
    pytest.param(
        lambda s: (multipart_body(s, [PartSpec(TEXT)]).rsplit(b"--", 1)[0], None),
        "part 2",
        id="8.1 body not closed by the closing delimiter",
    ),
]


@pytest.mark.parametrize(("build", "pointer"), MALFORMED)
def test_a_malformed_multipart_request_is_refused_and_stores_nothing(
    client, ledger, build, pointer
):
    """Checklist §8.1, §5.2 (CTS XAPI-00128..135): each broken rule → 400 naming it."""
    body, content_type = build(_valid())
    before = event_count(ledger)
    response = post_multipart(client, body, content_type=content_type)
    assert response.status_code == 400, response.text
    assert response.json["error"]["details"][0]["pointer"] == pointer
    assert stored_nothing(ledger, before)


def test_a_length_that_differs_from_the_parts_content_length_header_is_refused(client):
    """Checklist §8.1: header and property must agree (Content-Length ↔ length)."""
    body = with_id(attachments=[attachment(TEXT, length=len(TEXT) + 1)])
    raw = multipart_body(body, [PartSpec(TEXT, extra=(("Content-Length", str(len(TEXT))),))])
    response = post_multipart(client, raw)
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == "/attachments/0/length"


def test_one_bad_attachment_in_a_batch_stores_none_of_the_batch(client, ledger):
    """Checklist §5.2: attachment matching covers the whole batch before anything is stored."""
    good = [with_id(attachments=[attachment(TEXT)]), with_id()]
    bad = with_id(attachments=[attachment(OTHER)])
    before = event_count(ledger)
    response = post_multipart(client, multipart_body([*good, bad], [PartSpec(TEXT)]))
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == "/2/attachments/0"
    assert stored_nothing(ledger, before)
    for statement_body in good:
        assert get(client, statementId=statement_body["id"]).status_code == 404


_CHUNKS = st.sampled_from(
    [b"\r\n", b"\n", b"\r", b"--", b"--" + BOUNDARY.encode(), b"\r\n--", b"--\r\n", b"\x00", b" "]
)
_DATA = st.one_of(
    st.binary(max_size=300),
    st.lists(st.one_of(_CHUNKS, st.binary(max_size=8)), max_size=20).map(b"".join),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=_DATA, crlf=st.booleans())
def test_any_attachment_bytes_round_trip_byte_for_byte(client, data, crlf):
    """Checklist §8.1, §8.2: raw binary, never decoded — CRLF and boundary-like bytes too."""
    body = with_id(attachments=[attachment(data, content_type="application/octet-stream")])
    raw = multipart_body(
        body,
        [PartSpec(data, content_type="application/octet-stream")],
        eol=b"\r\n" if crlf else b"\n",
        boundary=BOUNDARY + "x",
    )
    response = post_multipart(client, raw, boundary=BOUNDARY + "x")
    assert response.status_code == 200, response.text
    fetched = read_multipart(get(client, statementId=body["id"], attachments="true"))
    assert fetched[1].body == data
    assert fetched[1].headers["x-experience-api-hash"] == sha256(data)


def _truncate(raw: bytes, cut: int) -> bytes:
    return raw[: max(0, len(raw) - 8 - cut)]


_CORRUPTIONS = {
    "no closing delimiter": lambda raw, data, n: _truncate(raw, n),
    "data changed": lambda raw, data, n: raw.replace(data, data + bytes([n % 256])),
    "hash header dropped": lambda raw, data, n: raw.replace(b"X-Experience-API-Hash", b"X-Other"),
    "encoding not binary": lambda raw, data, n: raw.replace(b": binary", b": 8bit"),
    "first part retyped": lambda raw, data, n: raw.replace(b"application/json", b"text/json", 1),
}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(min_size=1, max_size=100),
    corruption=st.sampled_from(sorted(_CORRUPTIONS)),
    n=st.integers(min_value=0, max_value=1000),
)
def test_a_malformed_multipart_request_never_stores_anything(client, ledger, data, corruption, n):
    """Checklist §8.1, §5.2: any broken multipart body → 400, no events, no blobs."""
    body = with_id(attachments=[attachment(data, content_type="application/octet-stream")])
    raw = multipart_body(body, [PartSpec(data, content_type="application/octet-stream")])
    broken = _CORRUPTIONS[corruption](raw, data, n)
    events, blobs = event_count(ledger), blob_count(ledger)
    response = post_multipart(client, broken)
    assert response.status_code == 400, (corruption, response.text)
    assert event_count(ledger) == events
    assert blob_count(ledger) == blobs


def test_attachments_true_applies_the_format_to_the_json_part(client):
    """Checklist §7.3, §7.5: format=ids shapes the first part; the data still follows."""
    body = with_id(attachments=[attachment(TEXT)])
    assert post_multipart(client, multipart_body(body, [PartSpec(TEXT)])).status_code == 200
    parts = read_multipart(get(client, attachments="true", format="ids"))
    listed = orjson.loads(parts[0].body)["statements"][0]
    assert listed["object"] == {"objectType": "Activity", "id": body["object"]["id"]}
    assert listed["attachments"] == body["attachments"]
    assert parts[1].body == TEXT


def test_resending_a_held_statement_with_its_data_changes_nothing(client, ledger):
    """Checklist §5.3: an id already held changes nothing, not even attachment data."""
    body = with_id(attachments=[attachment(TEXT, fileUrl=FILE_URL)])
    assert client.simulate_post(URL, json=body, headers=xapi_headers()).status_code == 200
    events = event_count(ledger)
    assert post_multipart(client, multipart_body(body, [PartSpec(TEXT)])).status_code == 200
    assert stored_nothing(ledger, events)
    parts = read_multipart(get(client, statementId=body["id"], attachments="true"))
    assert len(parts) == 1


def test_a_multipart_body_over_the_size_limit_is_refused_with_413(settings, ledger):
    """Checklist §8.1 MAY, §5.2: oversized attachments → 413, nothing stored."""
    small = testing.TestClient(create_app(replace(settings, max_body_bytes=4096), ledger=ledger))
    data = b"x" * 5000
    body = with_id(attachments=[attachment(data)])
    before = event_count(ledger)
    response = post_multipart(small, multipart_body(body, [PartSpec(data)]))
    assert response.status_code == 413
    assert stored_nothing(ledger, before)
