"""Transport rules applied around routing: the 1.0.3 alternate request syntax, body types, sizes.

The alternate request syntax (xAPI 1.0.3 Comm §1.3, checklist §2.4) is rewritten at the WSGI
level, before Falcon builds its request: `XapiApp.__call__` turns a form POST with `?method=`
into the intended request (method, headers, query string, body) in the WSGI environ, so every
resource — statements, documents, agents, activities — sees an ordinary request and needs no
code of its own for it. A refused alternate-syntax request is not answered there: the error is
left in the environ and raised by `TransportMiddleware`, so it gets the same JSON body, version
header, request id, CORS headers and log line as every other error.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import falcon

from api.http import media_type
from api.middleware import response_version
from ledger.errors import InvalidInputError, LedgerError, PayloadTooLargeError, Problem
from ledger.xapi import V1, V2
from ledger.xapi.primitives import media_type as content_media_type

FORM = "application/x-www-form-urlencoded"
#: The intended methods the alternate syntax may name.
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")
#: Form fields read as headers (Comm §1.3: never Content-Transfer-Encoding), by lower-case name.
HEADER_FIELDS = {
    "authorization": "HTTP_AUTHORIZATION",
    "x-experience-api-version": "HTTP_X_EXPERIENCE_API_VERSION",
    "content-type": "CONTENT_TYPE",
    "content-length": "CONTENT_LENGTH",
    "if-match": "HTTP_IF_MATCH",
    "if-none-match": "HTTP_IF_NONE_MATCH",
}
#: Set in the environ when the query string holds `method`: the intended method ('' if refused).
ENV_METHOD = "ledger.alternate_syntax.method"
#: Set in the environ when an alternate-syntax request is refused: the LedgerError to raise.
ENV_ERROR = "ledger.alternate_syntax.error"


class XapiApp(falcon.App):
    """The Falcon app, with alternate-syntax requests rewritten before Falcon reads them."""

    def __init__(self, *args: Any, max_body_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_body_bytes = max_body_bytes

    def __call__(self, env: dict[str, Any], start_response: Any) -> Any:
        """Serve one WSGI request."""
        rewrite_alternate_syntax(env, self.max_body_bytes)
        return super().__call__(env, start_response)


def rewrite_alternate_syntax(env: dict[str, Any], max_body_bytes: int) -> None:
    """Turn a 1.0.3 alternate-syntax request into the intended one, in place (Comm §1.3).

    Only `/xapi/` requests whose query string names `method` are touched (never a CORS
    preflight). A refused one is left as it came, with the error in `env[ENV_ERROR]`.
    """
    if not env.get("PATH_INFO", "").startswith("/xapi/") or env.get("REQUEST_METHOD") == "OPTIONS":
        return
    query = parse_qsl(env.get("QUERY_STRING", ""), keep_blank_values=True)
    if not any(name == "method" for name, _ in query):
        return
    env[ENV_METHOD] = ""
    try:
        _rewrite(env, query, max_body_bytes)
    except LedgerError as ex:
        env[ENV_ERROR] = ex


def _refuse(message: str, pointer: str, problem: str) -> InvalidInputError:
    return InvalidInputError(message, [Problem(pointer, problem)])


def _read_form(env: dict[str, Any], max_body_bytes: int) -> list[tuple[str, str]]:
    kind = content_media_type(env.get("CONTENT_TYPE"))
    raw_length = (env.get("CONTENT_LENGTH") or "").strip()
    if raw_length and not raw_length.isdigit():
        raise _refuse("Content-Length is not a number", "", "bad Content-Length header")
    length = int(raw_length or 0)
    if length > max_body_bytes:
        raise PayloadTooLargeError(f"the body is {length} bytes; the limit is {max_body_bytes}")
    stream = env["wsgi.input"]
    if "chunked" in env.get("HTTP_TRANSFER_ENCODING", "").lower():
        data = stream.read(max_body_bytes + 1)
        if len(data) > max_body_bytes:
            raise PayloadTooLargeError(f"the body is larger than the limit of {max_body_bytes}")
    else:
        data = stream.read(length) if length else b""
    if kind != FORM and (kind or data):
        raise _refuse(
            "the alternate request syntax (?method=…) takes an application/x-www-form-urlencoded "
            f"body, not {kind or 'an untyped one'}",
            "",
            f"Content-Type must be {FORM}",
        )
    try:
        return parse_qsl(data.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise _refuse("the form is not UTF-8 (xAPI 1.0.3 Comm §1.4)", "", "not UTF-8") from None


def _rewrite(env: dict[str, Any], query: list[tuple[str, str]], max_body_bytes: int) -> None:
    if env.get("REQUEST_METHOD") != "POST":
        raise _refuse(
            "the alternate request syntax (?method=…) must be sent as POST",
            "?method",
            "only allowed on POST",
        )
    extra = [name for name, _ in query if name != "method"] or ["method"]
    if len(query) != 1:
        raise InvalidInputError(
            "with the alternate request syntax, method must be the only query parameter; "
            "send the others as form fields",
            [Problem(f"?{name}", "not allowed next to method") for name in extra],
        )
    method = query[0][1]
    if method not in METHODS:
        raise _refuse(
            f"method must be one of {', '.join(METHODS)}", "?method", "not an xAPI method"
        )
    headers: dict[str, str] = {}
    content: str | None = None
    params: list[tuple[str, str]] = []
    for name, value in _read_form(env, max_body_bytes):
        key = name.lower()
        if key in HEADER_FIELDS or name == "content":
            if key in headers or (name == "content" and content is not None):
                raise _refuse(f"form field {name!r} is repeated", f"?{name}", "repeated")
            if name == "content":
                content = value
            else:
                headers[key] = value
        else:
            params.append((name, value))
    for key in ("authorization", "x-experience-api-version", "if-match", "if-none-match"):
        # A real header wins over its form field; the field fills a header the request lacks.
        if key in headers and not env.get(HEADER_FIELDS[key]):
            env[HEADER_FIELDS[key]] = headers[key]
    body = b"" if content is None else content.encode("utf-8")
    env.pop("HTTP_TRANSFER_ENCODING", None)
    if content is None:
        env.pop("CONTENT_TYPE", None)
    else:
        # The outer type describes the form; the content's own type is the form field's, and
        # JSON (what every xAPI body but a document is) when the form names none.
        env["CONTENT_TYPE"] = headers.get("content-type") or falcon.MEDIA_JSON
    # The length is the content's, measured: a form Content-Length counted in characters
    # rather than UTF-8 bytes would otherwise cut non-ASCII content short.
    env["CONTENT_LENGTH"] = str(len(body))
    env["wsgi.input"] = io.BytesIO(body)
    env["QUERY_STRING"] = urlencode(params, quote_via=quote)
    env["REQUEST_METHOD"] = method
    env[ENV_METHOD] = method


class TransportMiddleware:
    """Enforce the rules every xAPI resource shares about how a request arrives.

    - 413 for a declared body above the size limit, before anything reads it (§2.8);
    - the alternate request syntax: refused under 2.0 (§16.2), or its deferred 400 (§2.4);
    - 1.0.x: an urlencoded form body without `?method=` → 400 (§2.3 SHOULD*, 1.0.3 Comm §3.2).

    Runs before `XapiVersionMiddleware`, so a body too large to read, or a refused
    alternate-syntax request whose version header was in its form, is answered as such rather
    than as "version header missing"; the 1.0.x-only form rule waits for the negotiated version.
    """

    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Refuse oversized bodies and refused alternate-syntax requests."""
        length = req.content_length
        if length is not None and length > self.max_body_bytes:
            raise PayloadTooLargeError(
                f"the body is {length} bytes; the limit is {self.max_body_bytes}"
            )
        if ENV_METHOD not in req.env:
            return
        if response_version(req.get_header("X-Experience-API-Version")) == V2:
            raise _refuse(
                "the alternate request syntax (?method=…) was removed in xAPI 2.0; "
                "send the intended request with its own method and headers",
                "?method",
                "not allowed under xAPI 2.0",
            )
        error: LedgerError | None = req.env.get(ENV_ERROR)
        if error is not None:
            raise error

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]
    ) -> None:
        """Refuse (1.0.x) a form body sent without the alternate syntax."""
        if (
            req.method in ("PUT", "POST")
            and ENV_METHOD not in req.env
            and getattr(req.context, "xapi_version", None) == V1
            and hasattr(resource, f"on_{req.method.lower()}")
            and media_type(req) == FORM
        ):
            raise _refuse(
                f"an {FORM} body is only accepted as the alternate request syntax, with "
                "?method=<the intended method> as the only query parameter",
                "?method",
                "required with a form body",
            )
