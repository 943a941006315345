"""The multipart/mixed reader and writer (RFC 2046 on raw bytes; checklist §8.1, §8.2)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidMultipartError
from ledger.xapi.multipart import (
    boundary_of,
    build_multipart,
    parse_statement_request,
    split_parts,
)

TEXT = b"here is a simple attachment"
SPEC_BOUNDARY = "abcABC0123'()+_,-./:=?"
# The example of 1.0.3 Comm §1.5.2, with its quoted boundary and `Name:value` headers.
SPEC_EXAMPLE = (
    b"\r\n--" + SPEC_BOUNDARY.encode() + b"\r\n"
    b"Content-Type:application/json\r\n\r\n"
    b'{"attachments":[{"sha2":"495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"}]}'
    b"\r\n--" + SPEC_BOUNDARY.encode() + b"\r\n"
    b"Content-Type:text/plain\r\n"
    b"Content-Transfer-Encoding:binary\r\n"
    b"X-Experience-API-Hash:495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a\r\n"
    b"\r\n" + TEXT + b"\r\n--" + SPEC_BOUNDARY.encode() + b"--"
)


def test_the_specifications_example_is_read():
    """1.0.3 Comm §1.5.2 example: quoted boundary with specials, no space after colons."""
    request = parse_statement_request(f'multipart/mixed; boundary="{SPEC_BOUNDARY}"', SPEC_EXAMPLE)
    assert request.statements_json.startswith(b'{"attachments"')
    (part,) = request.attachments.values()
    assert part.data == TEXT
    assert part.content_type == "text/plain"
    assert part.sha2 == hashlib.sha256(TEXT).hexdigest()


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/mixed",
        "multipart/mixed;",
        "multipart/mixed; charset=x",
        "multipart/mixed; boundary=",
    ],
)
def test_a_content_type_without_boundary_is_refused(content_type):
    """Checklist §8.1 (CTS XAPI-00131): the boundary parameter is required."""
    with pytest.raises(InvalidMultipartError) as caught:
        boundary_of(content_type)
    assert caught.value.details[0].pointer == "Content-Type"


def test_a_boundary_longer_than_70_characters_is_refused():
    """RFC 2046 §5.1.1: a boundary has 1 to 70 characters."""
    with pytest.raises(InvalidMultipartError):
        boundary_of("multipart/mixed; boundary=" + "a" * 71)


def test_a_boundary_like_line_inside_a_part_is_data_and_padding_is_allowed():
    """RFC 2046 §5.1.1: only CRLF--boundary followed by padding and CRLF (or --) delimits."""
    body = (
        b"preamble\r\n--b  \r\nContent-Type: text/plain\r\n\r\nx\r\n--bb\r\n--b-- epilogue\r\n"
        b"\r\n--b\r\n\r\nnot a part"
    )
    (part,) = split_parts("multipart/mixed; boundary=b", body)
    assert part.headers == {"content-type": "text/plain"}
    assert part.body == b"x\r\n--bb"


def test_folded_headers_are_joined_and_names_lower_cased():
    """RFC 5322 §2.2.3: a header line starting with white space continues the previous one."""
    body = b"--b\r\nContent-Type: text/plain;\r\n charset=utf-8\r\n\r\nx\r\n--b--"
    (part,) = split_parts("multipart/mixed; boundary=b", body)
    assert part.headers == {"content-type": "text/plain; charset=utf-8"}


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (b"--b\r\nContent-Type: a/b\r\nContent-Type: a/b\r\n\r\nx\r\n--b--", "part 1/content-type"),
        (b"--b\r\nNo colon here\r\n\r\nx\r\n--b--", "part 1"),
        (b"--b\r\nContent-Type: a/b\r\n--b--", "part 1"),
        (b"--b--\r\n", ""),
        (b"--b\r\n\r\nx\r\n--b\n--b--", "part 1"),
    ],
    ids=["repeated header", "header without colon", "no blank line", "no parts", "mixed ends"],
)
def test_unreadable_parts_are_refused(body, pointer):
    """Checklist §8.1: a body that breaks RFC 2046 → 400 naming where."""
    with pytest.raises(InvalidMultipartError) as caught:
        split_parts("multipart/mixed; boundary=b", body)
    assert caught.value.details[0].pointer == pointer


@given(
    first=st.binary(max_size=200),
    attachments=st.lists(st.binary(max_size=200), max_size=4),
)
def test_what_the_writer_writes_the_reader_reads_back(first, attachments):
    """Checklist §8.2: the response format is strict RFC 2046 (CRLF delimiters)."""
    items = [("application/octet-stream", hashlib.sha256(a).hexdigest(), a) for a in attachments]
    content_type, body = build_multipart(first, items)
    parts = split_parts(content_type, body)
    assert parts[0].body == first
    assert parts[0].headers == {"content-type": "application/json"}
    assert [p.body for p in parts[1:]] == attachments
    for part, (_, sha2, _) in zip(parts[1:], items, strict=True):
        assert part.headers["x-experience-api-hash"] == sha2
        assert part.headers["content-transfer-encoding"] == "binary"
