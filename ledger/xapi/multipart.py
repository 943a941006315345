"""multipart/mixed on raw bytes (RFC 2046): reading statement requests, writing responses.

xAPI 1.0.3 Comm §1.5.2 (checklist §8.1, §8.2). Part bodies are never text-decoded: an
attachment's bytes are what its digest is computed over. The reader takes the request's
Content-Type header value and body; it knows nothing of HTTP otherwise.

Line ends: RFC 2046 delimiters are CRLF + "--" + boundary. Real clients (the ADL conformance
suite's stored `.part` files among them) also send bare LF, so the line end that follows the
first delimiter sets the convention for the whole body, and every later delimiter must use it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from ledger.errors import InvalidMultipartError, Problem
from ledger.xapi.primitives import is_sha2_hex, media_type

#: The request header pointer used in error details.
CONTENT_TYPE: Final = "Content-Type"

# RFC 2046 §5.1.1: 1-70 characters from bchars, not ending in a space.
_BOUNDARY_RE: Final = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
_PARAM_RE: Final = re.compile(
    r';\s*([!#$%&\'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)\s*'
)
_LWSP: Final = b" \t"

#: SHA-2 digest by the length of its hex form (§4.16: 224, 256, 384 or 512 bits).
_DIGESTS: Final[dict[int, Callable[[bytes], Any]]] = {
    56: hashlib.sha224,
    64: hashlib.sha256,
    96: hashlib.sha384,
    128: hashlib.sha512,
}


@dataclass(frozen=True)
class Part:
    """One body part: its headers (names lower-cased) and its raw body."""

    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class AttachmentPart:
    """An attachment part after the statement part, checked against its own headers.

    `sha2` is the lower-cased X-Experience-API-Hash (verified against the bytes);
    `content_type` and `content_length` are the part's headers when it sent them.
    """

    number: int
    sha2: str
    data: bytes
    content_type: str | None
    content_length: int | None

    @property
    def pointer(self) -> str:
        """Where this part is, for error details: `part 2` is the first attachment part."""
        return f"part {self.number}"


@dataclass(frozen=True)
class StatementRequest:
    """A multipart statement request: the statement part's JSON and the attachment parts."""

    statements_json: bytes
    attachments: dict[str, AttachmentPart]


def _bad(pointer: str, problem: str, message: str | None = None) -> InvalidMultipartError:
    return InvalidMultipartError(
        message or f"the multipart/mixed body is malformed: {pointer}: {problem}",
        [Problem(pointer, problem)],
    )


def boundary_of(content_type: str) -> bytes:
    """Return the `boundary` parameter of a multipart Content-Type (quoted or not).

    Raises:
        InvalidMultipartError: there is no boundary, or it breaks RFC 2046 §5.1.1.
    """
    rest = content_type.split(";", 1)
    params = {}
    if len(rest) == 2:
        for match in _PARAM_RE.finditer(";" + rest[1]):
            value = match.group(2)
            if value.startswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            params[match.group(1).lower()] = value
    boundary = params.get("boundary")
    if not boundary:
        raise _bad(
            CONTENT_TYPE,
            "multipart/mixed needs a boundary parameter",
            "the Content-Type multipart/mixed has no boundary parameter (RFC 2046 §5.1.1)",
        )
    if _BOUNDARY_RE.fullmatch(boundary) is None:
        raise _bad(CONTENT_TYPE, "the boundary is not 1-70 RFC 2046 boundary characters")
    return boundary.encode("ascii")


def _after_dashes(body: bytes, end: int) -> tuple[str, int]:
    """Classify what follows `--boundary` at `end`: ("line", next), ("close", next) or ("", end)."""
    if body.startswith(b"--", end):
        return "close", end + 2
    pos = end
    while pos < len(body) and body[pos] in _LWSP:
        pos += 1
    if body.startswith(b"\r\n", pos):
        return "crlf", pos + 2
    if body.startswith(b"\n", pos):
        return "lf", pos + 1
    return "", end


def split_parts(content_type: str, body: bytes) -> list[Part]:
    """Split a multipart body into its parts (preamble and epilogue are dropped).

    Raises:
        InvalidMultipartError: no boundary, no delimiter in the body, no closing delimiter,
            or a part whose headers cannot be read.
    """
    dashes = b"--" + boundary_of(content_type)
    # The first delimiter starts the body or a line (RFC 2046 §5.1.1: the preamble may hold
    # anything, so look at line starts only).
    search = 0
    while True:
        found = body.find(dashes, search)
        if found == -1:
            raise _bad(
                "",
                "the body has no line starting with --boundary",
                "the multipart/mixed body does not contain the boundary of its Content-Type",
            )
        if found == 0 or body[found - 1 : found] == b"\n":
            kind, position = _after_dashes(body, found + len(dashes))
            if kind in ("crlf", "lf"):
                break
            if kind == "close":
                raise _bad("", "the body has no parts: it starts with the closing delimiter")
        search = found + 1
    eol = b"\r\n" if kind == "crlf" else b"\n"
    delimiter = eol + dashes
    parts: list[Part] = []
    while True:
        search = position
        while True:
            found = body.find(delimiter, search)
            if found == -1:
                raise _bad(
                    f"part {len(parts) + 1}",
                    "not ended by a delimiter: the body must end with --boundary--",
                )
            kind, after = _after_dashes(body, found + len(delimiter))
            if kind == "close" or kind == ("crlf" if eol == b"\r\n" else "lf"):
                break
            search = found + 1
        parts.append(_part(body[position:found], eol, len(parts) + 1))
        if kind == "close":
            return parts
        position = after


def _part(raw: bytes, eol: bytes, number: int) -> Part:
    """Read one part: header lines, an empty line, then the body (kept as bytes)."""
    if raw.startswith(eol):
        return Part({}, raw[len(eol) :])
    end = raw.find(eol + eol)
    if end == -1:
        raise _bad(f"part {number}", "has no empty line between its headers and its body")
    try:
        text = raw[:end].decode("utf-8")
    except UnicodeDecodeError:
        raise _bad(f"part {number}", "its headers are not UTF-8 text") from None
    headers: dict[str, str] = {}
    last = ""
    for line in text.split(eol.decode()):
        if line[:1] in (" ", "\t") and last:
            headers[last] += " " + line.strip()  # RFC 5322 §2.2.3 folding
            continue
        name, colon, value = line.partition(":")
        name = name.strip().lower()
        if not colon or not name or " " in name:
            raise _bad(f"part {number}", f"header line {line[:60]!r} is not 'Name: value'")
        if name in headers:
            raise _bad(f"part {number}/{name}", "the header is repeated")
        headers[name] = value.strip()
        last = name
    return Part(headers, raw[end + 2 * len(eol) :])


def digest_hex(sha2: str, data: bytes) -> str:
    """Return the hex digest of `data` by the SHA-2 variant a hex digest's length implies."""
    return _DIGESTS[len(sha2)](data).hexdigest()


def _attachment_part(part: Part, number: int) -> AttachmentPart:
    """Check an attachment part's own headers (xAPI 1.0.3 Comm §1.5.2; checklist §8.1)."""
    where = f"part {number}"
    sha2 = part.headers.get("x-experience-api-hash")
    if sha2 is None:
        raise _bad(
            f"{where}/X-Experience-API-Hash",
            "every part after the statements needs an X-Experience-API-Hash header",
        )
    if not is_sha2_hex(sha2):
        raise _bad(f"{where}/X-Experience-API-Hash", "is not a hex SHA-2 digest")
    encoding = part.headers.get("content-transfer-encoding")
    if encoding is None or encoding.lower() != "binary":
        raise _bad(
            f"{where}/Content-Transfer-Encoding",
            "every part after the statements needs Content-Transfer-Encoding: binary"
            + ("" if encoding is None else f" (got {encoding!r})"),
        )
    length_header = part.headers.get("content-length")
    length = None
    if length_header is not None:
        if not length_header.isdigit() or not length_header.isascii():
            raise _bad(f"{where}/Content-Length", "is not a number of bytes")
        length = int(length_header)
        if length != len(part.body):
            raise _bad(
                f"{where}/Content-Length",
                f"says {length} bytes but the part holds {len(part.body)}",
            )
    sha2 = sha2.lower()
    # Checklist §8.1 PRACTICE: the hash must be the data's, by the SHA-2 its length implies.
    actual = digest_hex(sha2, part.body)
    if actual != sha2:
        raise _bad(
            f"{where}/X-Experience-API-Hash",
            f"does not match the part's data (its SHA-{len(sha2) * 4} is {actual})",
        )
    return AttachmentPart(number, sha2, part.body, part.headers.get("content-type"), length)


def parse_statement_request(content_type: str, body: bytes) -> StatementRequest:
    """Read a multipart/mixed statement request (xAPI 1.0.3 Comm §1.5.2).

    The first part must be `application/json` and holds every statement; each later part
    must carry `X-Experience-API-Hash` (matching its data's SHA-2) and
    `Content-Transfer-Encoding: binary`. Whether each part belongs to an attachment the
    statements declare is checked later, with the statements (`ledger.xapi.attachments`).

    Raises:
        InvalidMultipartError: the body breaks any of those rules.
    """
    parts = split_parts(content_type, body)
    first = parts[0]
    kind = media_type(first.headers.get("content-type"))
    if kind != "application/json":
        raise _bad(
            "part 1/Content-Type",
            "the first part must be application/json and hold the statements"
            + (f" (got {kind})" if kind else " (it has no Content-Type)"),
        )
    attachments: dict[str, AttachmentPart] = {}
    for number, part in enumerate(parts[1:], start=2):
        attachment = _attachment_part(part, number)
        # A repeated part (same hash, hence same bytes) is kept once (Comm §1.5.2 SHOULD).
        attachments.setdefault(attachment.sha2, attachment)
    return StatementRequest(first.body, attachments)


def build_multipart(
    first_json: bytes, attachments: Iterable[tuple[str, str, bytes]]
) -> tuple[str, bytes]:
    """Write a multipart/mixed response (xAPI 1.0.3 Comm §1.5.2; checklist §8.2).

    Args:
        first_json: the first part, `application/json` (a Statement or StatementResult).
        attachments: (content type, sha2, data) of each attachment, each sent once.

    Returns:
        The Content-Type header value (an unquoted boundary) and the body.
    """
    items = list(attachments)
    while True:
        boundary = secrets.token_hex(16)
        dashes = b"--" + boundary.encode()
        if dashes not in first_json and not any(dashes in data for _, _, data in items):
            break
    out = [dashes, b"\r\nContent-Type: application/json\r\n\r\n", first_json]
    for content_type, sha2, data in items:
        out += [
            b"\r\n",
            dashes,
            b"\r\nContent-Type: ",
            content_type.encode("utf-8"),
            b"\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: ",
            sha2.encode("ascii"),
            b"\r\n\r\n",
            data,
        ]
    out += [b"\r\n", dashes, b"--\r\n"]
    return f"multipart/mixed; boundary={boundary}", b"".join(out)
