"""Middleware: request id and log, xAPI version negotiation, authentication and scopes."""

from __future__ import annotations

import base64
import binascii
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import uuid4

import falcon
import orjson

from ledger.application import Ledger
from ledger.credentials import Principal
from ledger.errors import AuthenticationError, PermissionDeniedError
from ledger.xapi import V1, V2, negotiate_version
from ledger.xapi.primitives import format_timestamp

request_log = logging.getLogger("ledger.requests")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestLogMiddleware:
    """Give every request an id (`X-Request-Id`, echoed or made) and log one JSON line for it.

    The line holds time, request id, tenant, credential key id, method, path, status,
    duration in ms and statements stored — never headers, bodies, secrets or tokens.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Stamp the request with its start time and id."""
        req.context.started = time.perf_counter()
        given = req.get_header("X-Request-Id")
        req.context.request_id = given if given and _REQUEST_ID.match(given) else uuid4().hex
        req.context.principal = None
        req.context.statements_stored = 0

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        """Echo the request id and write the log line."""
        resp.set_header("X-Request-Id", req.context.request_id)
        if not self.enabled:
            return
        principal: Principal | None = req.context.principal
        request_log.info(
            orjson.dumps(
                {
                    "time": format_timestamp(datetime.now().astimezone()),
                    "request_id": req.context.request_id,
                    "tenant": principal.tenant if principal else None,
                    "credential": principal.key if principal else None,
                    "method": req.method,
                    "path": req.path,
                    "status": int(resp.status_code),
                    "duration_ms": round((time.perf_counter() - req.context.started) * 1000, 2),
                    "statements_stored": req.context.statements_stored,
                }
            ).decode()
        )


def response_version(header: str | None) -> str:
    """The `X-Experience-API-Version` to answer: `2.0.0` for a 2.x request, else `1.0.3`."""
    return V2 if (header or "").strip().startswith("2") else V1


class XapiVersionMiddleware:
    """Negotiate `X-Experience-API-Version` for `/xapi/` requests (checklist §2.1, §16.1).

    Every `/xapi/` response carries the header — `1.0.3` or `2.0.0` by the request's major
    version — errors included. `/xapi/about` ignores the request's header. Statement resource
    responses also carry `X-Experience-API-Consistent-Through` (Comm §2.1.3), from
    `consistent_through`.
    """

    def __init__(self, consistent_through: Callable[[], str]) -> None:
        self.consistent_through = consistent_through

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Choose the rule set for the request, or refuse it with 400."""
        if not req.path.startswith("/xapi/"):
            return
        header = req.get_header("X-Experience-API-Version")
        req.context.response_version = response_version(header)
        if req.path == "/xapi/about" or req.method == "OPTIONS":
            return  # /about ignores the header (Comm §2.8); a CORS preflight carries none
        req.context.xapi_version = negotiate_version(header)
        req.context.response_version = req.context.xapi_version

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        """Put the version header (and Consistent-Through) on the response."""
        if not req.path.startswith("/xapi/"):
            return
        version = getattr(req.context, "response_version", None)
        if version is None:  # an earlier middleware refused the request before negotiation
            version = response_version(req.get_header("X-Experience-API-Version"))
        resp.set_header("X-Experience-API-Version", version)
        if req.path.startswith("/xapi/statements"):
            resp.set_header("X-Experience-API-Consistent-Through", self.consistent_through())


#: The methods that may write to the log.
_WRITES = frozenset({"POST", "PUT", "DELETE"})


class LedgerPositionMiddleware:
    """Answer every successful write with `X-Ledger-Position`: the last log position it
    wrote (`req.context.ledger_position`, set by the resource), or the log's head when it
    wrote nothing new (a duplicate, an unchanged document), so that a client can ask a report
    for `min_position` and read its own writes.
    """

    def __init__(self, head: Callable[[], int]) -> None:
        self.head = head

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """No position until a resource sets one."""
        req.context.ledger_position = None

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        """Put the position on a successful write's response."""
        if req.method not in _WRITES or not req_succeeded or resource is None:
            return
        if not 200 <= int(resp.status_code) < 300:
            return
        position = getattr(req.context, "ledger_position", None)
        if position is None:
            position = self.head()
        resp.set_header("X-Ledger-Position", str(position))


def parse_basic(header: str | None) -> tuple[str, str]:
    """Return (key, secret) from an `Authorization: Basic …` header, or raise 401."""
    if not header:
        raise AuthenticationError("credentials are required: send HTTP Basic key:secret")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise AuthenticationError("the Authorization header must use the Basic scheme")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise AuthenticationError("the Basic credentials are not valid base64 UTF-8") from None
    key, sep, secret = decoded.partition(":")
    if not sep or not key or not secret:
        raise AuthenticationError("the Basic credentials must be key:secret")
    return key, secret


class AuthMiddleware:
    """Authenticate every request to a resource that is not public, and check its scopes.

    Resources declare `scopes = {"GET": (...), "POST": (...)}`: the credential needs at least
    one of the listed scopes for the method (HEAD counts as GET). A resource with
    `public = True` needs no credentials.
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]
    ) -> None:
        """Authenticate and authorise the request before its responder runs."""
        if (
            resource is None
            or req.method == "OPTIONS"  # a CORS preflight carries no credentials (§2.5)
            or getattr(resource, "public", False)
            or not hasattr(resource, f"on_{req.method.lower()}")  # Falcon answers 405
        ):
            return
        key, secret = parse_basic(req.get_header("Authorization"))
        principal = self.ledger.authenticate(key, secret)
        req.context.principal = principal
        method = "GET" if req.method == "HEAD" else req.method
        required: tuple[str, ...] = getattr(resource, "scopes", {}).get(method, ())
        if not required or not principal.has_any_scope(required):
            raise PermissionDeniedError(
                f"this credential may not {req.method} {req.path}: it needs one of the scopes "
                + ", ".join(required or ("(none grant this)",))
            )
