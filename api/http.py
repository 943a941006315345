"""Request parsing and response writing shared by the resources: strict, bounded, JSON."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import falcon
import orjson

from ledger.errors import (
    InvalidInputError,
    PayloadTooLargeError,
    Problem,
    UnsupportedMediaTypeError,
)
from ledger.xapi import parse_json
from ledger.xapi.primitives import media_type as content_media_type


def query_params(
    req: falcon.Request, allowed: Collection[str], required: Collection[str] = ()
) -> dict[str, str]:
    """Return the query parameters, refusing unknown, repeated or missing ones with 400.

    Names are case-exact (xAPI 1.0.3 Comm §3.2: `StatementId` is not `statementId`).
    """
    params: dict[str, str] = {}
    for name, value in req.params.items():
        if name not in allowed:
            hint = next((a for a in allowed if a.lower() == name.lower()), None)
            problem = f"unknown parameter (did you mean {hint}?)" if hint else "unknown parameter"
            raise InvalidInputError(
                f"query parameter {name!r} is not allowed here", [Problem(f"?{name}", problem)]
            )
        if isinstance(value, list):
            raise InvalidInputError(
                f"query parameter {name!r} is repeated", [Problem(f"?{name}", "repeated")]
            )
        params[name] = value
    missing = [name for name in required if name not in params]
    if missing:
        raise InvalidInputError(
            f"query parameter {missing[0]!r} is required",
            [Problem(f"?{name}", "required parameter is missing") for name in missing],
        )
    return params


def boolean_param(params: dict[str, str], name: str, default: bool = False) -> bool:
    """Read a boolean parameter: only the literal strings `true` and `false` (Comm §2.1.3)."""
    value = params.get(name)
    if value is None:
        return default
    if value == "true":
        return True
    if value == "false":
        return False
    raise InvalidInputError(
        f"query parameter {name!r} must be true or false", [Problem(f"?{name}", "not a boolean")]
    )


def media_type(req: falcon.Request) -> str:
    """Return the request's media type, lower-cased, without parameters ('' if none)."""
    return content_media_type(req.content_type)


def read_body(req: falcon.Request, limit: int) -> bytes:
    """Read the whole body, refusing one larger than `limit` bytes with 413."""
    length = req.content_length
    if length is not None and length > limit:
        raise PayloadTooLargeError(f"the body is {length} bytes; the limit is {limit}")
    data: bytes = req.bounded_stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLargeError(f"the body is larger than the limit of {limit} bytes")
    return data


def json_body(req: falcon.Request, limit: int) -> Any:
    """Read and parse a JSON body sent as `application/json`."""
    kind = media_type(req)
    if kind != "application/json":
        raise UnsupportedMediaTypeError(
            f"the body must be application/json, not {kind or 'unspecified'}",
            [Problem("", "Content-Type must be application/json")],
        )
    return parse_json(read_body(req, limit))


def send_json(resp: falcon.Response, body: Any, status: int = 200) -> None:
    """Write `body` as the JSON response."""
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.data = orjson.dumps(body)
