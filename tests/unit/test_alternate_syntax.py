"""The 1.0.3 alternate request syntax rewritten in the WSGI environ (checklist §2.4)."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from api.transport import ENV_ERROR, ENV_METHOD, rewrite_alternate_syntax
from ledger.errors import InvalidInputError, PayloadTooLargeError

LIMIT = 4096


def environ(
    form: dict[str, str] | bytes | None,
    *,
    query: str = "method=PUT",
    method: str = "POST",
    path: str = "/xapi/statements",
    content_type: str | None = "application/x-www-form-urlencoded",
    **headers: str,
) -> dict[str, Any]:
    """A WSGI environ of a request carrying `form` as its body."""
    body = form if isinstance(form, bytes) else urlencode(form or {}).encode()
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if content_type is not None:
        env["CONTENT_TYPE"] = content_type
    env.update(headers)
    return env


def rewritten(env: dict[str, Any]) -> dict[str, Any]:
    rewrite_alternate_syntax(env, LIMIT)
    assert ENV_ERROR not in env, env.get(ENV_ERROR)
    return env


def refused(env: dict[str, Any]) -> Exception:
    rewrite_alternate_syntax(env, LIMIT)
    error = env[ENV_ERROR]
    assert env[ENV_METHOD] == ""
    return error


def test_a_form_post_becomes_the_intended_put() -> None:
    """(checklist §2.4; 1.0.3 Comm §1.3): method, headers, query and body all rewritten."""
    env = rewritten(
        environ(
            {
                "statementId": "f1b6a5e2-6b7a-4b7e-9f0e-3c1d2e4f5a6b",
                "content": '{"verb": "é"}',
                "Content-Type": "application/json; charset=utf-8",
                "Content-Length": "3",
                "Authorization": "Basic abc",
                "X-Experience-API-Version": "1.0.3",
                "If-Match": '"abc"',
                "If-None-Match": "*",
            }
        )
    )
    assert env["REQUEST_METHOD"] == "PUT"
    assert env[ENV_METHOD] == "PUT"
    assert parse_qsl(env["QUERY_STRING"]) == [
        ("statementId", "f1b6a5e2-6b7a-4b7e-9f0e-3c1d2e4f5a6b")
    ]
    assert env["HTTP_AUTHORIZATION"] == "Basic abc"
    assert env["HTTP_X_EXPERIENCE_API_VERSION"] == "1.0.3"
    assert env["HTTP_IF_MATCH"] == '"abc"'
    assert env["HTTP_IF_NONE_MATCH"] == "*"
    assert env["CONTENT_TYPE"] == "application/json; charset=utf-8"
    body = '{"verb": "é"}'.encode()
    assert env["CONTENT_LENGTH"] == str(len(body))  # measured, not the form field's 3
    assert env["wsgi.input"].read() == body


def test_content_without_a_content_type_field_is_json() -> None:
    """(checklist §2.4 IMPLIED; CTS 1.0.3 "PUT issued as a POST" sends no Content-Type field)."""
    env = rewritten(environ({"content": "{}", "statementId": "x"}))
    assert env["CONTENT_TYPE"] == "application/json"


def test_a_form_get_has_no_body_and_no_content_type() -> None:
    """(checklist §2.4; 1.0.3 Comm §1.3, §2.1.2): POST ?method=GET is the query it carries."""
    env = rewritten(
        environ({"limit": "1", "agent": '{"mbox": "mailto:a@b.c"}'}, query="method=GET")
    )
    assert env["REQUEST_METHOD"] == "GET"
    assert "CONTENT_TYPE" not in env
    assert env["CONTENT_LENGTH"] == "0"
    assert parse_qsl(env["QUERY_STRING"]) == [("limit", "1"), ("agent", '{"mbox": "mailto:a@b.c"}')]


def test_real_headers_win_over_their_form_fields() -> None:
    """(checklist §2.4 decided): the header wins; the form field fills a header the request lacks.

    CTS 1.0.3 Comm 1.3.s3.b7 sends a version header 1.0.x and a form field 0.8 and expects 204.
    """
    env = rewritten(
        environ(
            {"X-Experience-API-Version": "0.8", "Authorization": "Basic form"},
            HTTP_X_EXPERIENCE_API_VERSION="1.0.3",
        )
    )
    assert env["HTTP_X_EXPERIENCE_API_VERSION"] == "1.0.3"
    assert env["HTTP_AUTHORIZATION"] == "Basic form"


def test_header_fields_are_matched_in_any_case() -> None:
    """(checklist §2.4): form fields named like the headers, case-insensitively, are headers."""
    env = rewritten(environ({"authorization": "Basic x", "x-experience-api-version": "1.0.0"}))
    assert env["HTTP_AUTHORIZATION"] == "Basic x"
    assert env["QUERY_STRING"] == ""


def test_content_transfer_encoding_stays_a_query_parameter() -> None:
    """(checklist §2.4; 1.0.3 Comm §1.3): never read as a header; the resource refuses it."""
    env = rewritten(environ({"Content-Transfer-Encoding": "binary"}))
    assert parse_qsl(env["QUERY_STRING"]) == [("Content-Transfer-Encoding", "binary")]
    assert "HTTP_CONTENT_TRANSFER_ENCODING" not in env


@pytest.mark.parametrize(
    ("env", "pointer"),
    [
        pytest.param(environ({}, method="GET"), "?method", id="2.4 GET with method"),
        pytest.param(environ({}, method="PUT"), "?method", id="2.4 PUT with method"),
        pytest.param(
            environ({}, query="method=PUT&statementId=x"), "?statementId", id="2.4 extra parameter"
        ),
        pytest.param(environ({}, query="method=PUT&method=PUT"), "?method", id="2.4 method twice"),
        pytest.param(environ({}, query="method=PATCH"), "?method", id="2.4 unknown method"),
        pytest.param(environ({}, query="method=put"), "?method", id="2.4 method in lower case"),
        pytest.param(
            environ(b'{"content": "{}"}', content_type="application/json"),
            "",
            id="2.4 JSON body instead of a form",
        ),
        pytest.param(environ(b"content=%FF"), "", id="2.2 form not UTF-8"),
    ],
)
def test_malformed_alternate_syntax_is_refused_with_400(env: dict[str, Any], pointer: str) -> None:
    """(checklist §2.4; 1.0.3 Comm §1.3; CTS 1.0.3 Comm 1.3): the request is left as it came."""
    query = env["QUERY_STRING"]
    error = refused(env)
    assert isinstance(error, InvalidInputError)
    assert error.details[0].pointer == pointer
    assert env["QUERY_STRING"] == query
    assert env["REQUEST_METHOD"] in ("GET", "PUT", "POST")


def test_only_the_field_named_content_is_the_body() -> None:
    """(checklist §2.4; 1.0.3 Comm §1.3): `content` exactly; look-alikes are query parameters."""
    env = rewritten(environ({"content": "a", "Content": "b"}))
    assert env["wsgi.input"].read() == b"a"
    assert parse_qsl(env["QUERY_STRING"]) == [("Content", "b")]


def test_a_repeated_header_field_is_refused() -> None:
    """(checklist §2.4): a header given twice as a form field is ambiguous → 400."""
    env = environ(b"Authorization=a&authorization=b")
    assert isinstance(refused(env), InvalidInputError)


def test_an_oversized_form_is_refused_with_413() -> None:
    """(checklist §2.8; 1.0.3 Comm §3.2): the form body counts against the size limit."""
    assert isinstance(refused(environ({"content": "x" * LIMIT})), PayloadTooLargeError)


def test_an_empty_untyped_body_counts_as_an_empty_form() -> None:
    """(checklist §2.4 decided): POST ?method=GET with no body at all is the plain query."""
    env = rewritten(environ(None, query="method=GET", content_type=None))
    assert env["REQUEST_METHOD"] == "GET"


@pytest.mark.parametrize(
    "env",
    [
        pytest.param(environ({}, query="statementId=x"), id="no method parameter"),
        pytest.param(environ({}, path="/v1/triggers"), id="not an xAPI path"),
        pytest.param(environ({}, method="OPTIONS"), id="CORS preflight"),
    ],
)
def test_other_requests_are_left_alone(env: dict[str, Any]) -> None:
    """(checklist §2.4, §2.5): only xAPI requests naming `method` are touched."""
    before = dict(env)
    rewrite_alternate_syntax(env, LIMIT)
    assert env == before
