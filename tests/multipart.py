"""Test helpers: Attachment objects, multipart/mixed request bodies, reading multipart responses."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from falcon import testing

from ledger.application import Ledger
from tests.conftest import store_cursor, xapi_headers

URL = "/xapi/statements"
BOUNDARY = "ledger-test-boundary-0123456789"


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def attachment(data: bytes, content_type: str = "text/plain", **overrides: Any) -> dict[str, Any]:
    """Return an Attachment object describing `data` (sha2 and length from the bytes)."""
    body: dict[str, Any] = {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": content_type,
        "length": len(data),
        "sha2": sha256(data),
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


@dataclass
class PartSpec:
    """One attachment part to send: its data and headers (None drops a header)."""

    data: bytes
    content_type: str | None = "text/plain"
    sha2: str | None = None
    encoding: str | None = "binary"
    hash_header: bool = True
    extra: tuple[tuple[str, str], ...] = ()

    def headers(self) -> list[tuple[str, str]]:
        """The part's header lines."""
        lines = []
        if self.content_type is not None:
            lines.append(("Content-Type", self.content_type))
        if self.encoding is not None:
            lines.append(("Content-Transfer-Encoding", self.encoding))
        if self.hash_header:
            lines.append(("X-Experience-API-Hash", self.sha2 or sha256(self.data)))
        return [*lines, *self.extra]


def multipart_body(
    statements: Any,
    parts: Sequence[PartSpec] = (),
    *,
    boundary: str = BOUNDARY,
    eol: bytes = b"\r\n",
    preamble: bytes = b"",
    separator: bytes = b": ",
    first_type: str | None = "application/json",
) -> bytes:
    """Build a multipart/mixed statement request body (xAPI 1.0.3 Comm §1.5.2)."""
    dashes = b"--" + boundary.encode()
    out = [preamble, dashes, eol]
    if first_type is not None:
        out += [b"Content-Type", separator, first_type.encode(), eol]
    out += [eol, orjson.dumps(statements)]
    for part in parts:
        out += [eol, dashes, eol]
        for name, value in part.headers():
            out += [name.encode(), separator, value.encode(), eol]
        out += [eol, part.data]
    out += [eol, dashes, b"--", eol]
    return b"".join(out)


def post_multipart(
    client: testing.TestClient,
    body: bytes,
    *,
    boundary: str = BOUNDARY,
    version: str = "1.0.3",
    content_type: str | None = None,
) -> testing.Result:
    """POST a multipart/mixed body to the Statement resource."""
    kind = content_type or f"multipart/mixed; boundary={boundary}"
    return client.simulate_post(
        URL, body=body, headers=xapi_headers(version, **{"Content-Type": kind})
    )


@dataclass
class ResponsePart:
    """One part of a multipart response."""

    headers: dict[str, str]
    body: bytes


def read_multipart(response: testing.Result) -> list[ResponsePart]:
    """Split a multipart/mixed response the way a simple client would (CRLF delimiters)."""
    kind, _, param = response.headers["content-type"].partition("; boundary=")
    assert kind == "multipart/mixed"
    dashes = b"--" + param.encode()
    body = response.content
    assert body.startswith(dashes + b"\r\n")
    chunks = body[len(dashes) + 2 :].split(b"\r\n" + dashes)
    assert chunks[-1] == b"--\r\n", "the body ends with the closing delimiter"
    parts = []
    for index, chunk in enumerate(chunks[:-1]):
        if index:
            assert chunk.startswith(b"\r\n")
            chunk = chunk[2:]
        head, _, data = chunk.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode().split("\r\n"):
            name, _, value = line.partition(": ")
            headers[name.lower()] = value
        parts.append(ResponsePart(headers, data))
    return parts


def blob_count(ledger: Ledger) -> int:
    """How many attachment blobs the store holds."""
    datastore: Any = ledger.recorder.datastore  # type: ignore[attr-defined]
    schema = getattr(datastore, "schema", None)
    prefix = '"' + schema.replace('"', '""') + '".' if schema else ""
    with store_cursor(ledger) as curs:
        curs.execute(f"SELECT count(*) AS n FROM {prefix}ledger_blobs")
        row = curs.fetchone()
    return int(row["n"] if isinstance(row, dict) else row[0])
