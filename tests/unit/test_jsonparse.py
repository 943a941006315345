"""Strict JSON parsing of request bodies (checklist §2.2, §3, §16.4, §18)."""

from __future__ import annotations

import pytest

from ledger.errors import InvalidJSONError
from ledger.xapi import parse_json


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            b'{"a": 1, "b": [true, null, "x"]}', {"a": 1, "b": [True, None, "x"]}, id="2.2 object"
        ),
        pytest.param(b"[1, 2.5, -0.0]", [1, 2.5, -0.0], id="2.2 array"),
        pytest.param(b'"text"', "text", id="2.2 bare string"),
        pytest.param('{"é": "ü"}'.encode(), {"é": "ü"}, id="2.2 UTF-8"),
        pytest.param(
            b'{"e": "\\ud83d\\ude00"}', {"e": "\U0001f600"}, id="2.2 surrogate pair escape"
        ),
        pytest.param(
            b'{"a": {"k": 1}, "b": {"k": 2}}',
            {"a": {"k": 1}, "b": {"k": 2}},
            id="3 same key in sibling objects",
        ),
        pytest.param(b'{"k": 1, "K": 2}', {"k": 1, "K": 2}, id="3 keys differ in case"),
        pytest.param(b'{"x": "\\\\ud800"}', {"x": "\\ud800"}, id="2.2 escaped backslash before u"),
    ],
)
def test_well_formed_json_is_parsed(body: bytes, expected: object) -> None:
    """Ordinary JSON parses to plain Python values."""
    assert parse_json(body) == expected


def test_numbers_keep_their_precision_and_type() -> None:
    """§2.2: never coerce numbers to integers; keep float precision."""
    value = parse_json(b'{"scaled": 0.1234567890123, "raw": 1.0, "max": 100}')
    assert value == {"scaled": 0.1234567890123, "raw": 1.0, "max": 100}
    assert type(value["raw"]) is float
    assert type(value["max"]) is int


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param(b'{"actor": 1, "actor": 2}', "'actor'", id="3 repeated key"),
        pytest.param(b'{"a": {"b": 1, "c": 2, "b": 3}}', "'b'", id="3 repeated key nested"),
        pytest.param(
            b'[{"x": 1}, {"id": 1, "id": 1}]', "'id'", id="3 repeated key with equal values"
        ),
    ],
)
def test_repeated_key_is_refused_and_named(body: bytes, fragment: str) -> None:
    """§3, §16.4: a key used twice in one object → 400, and the message names it."""
    with pytest.raises(InvalidJSONError) as caught:
        parse_json(body)
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"raw": NaN}', id="18 NaN"),
        pytest.param(b'{"raw": Infinity}', id="18 Infinity"),
        pytest.param(b'{"raw": -Infinity}', id="18 -Infinity"),
    ],
)
def test_non_finite_constants_are_refused(body: bytes) -> None:
    """§18: NaN and Infinity are not JSON."""
    with pytest.raises(InvalidJSONError, match="not a JSON number"):
        parse_json(body)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param(b"", "not well-formed", id="2.2 empty body"),
        pytest.param(b"{", "not well-formed", id="2.2 truncated"),
        pytest.param(b"{'a': 1}", "not well-formed", id="2.2 single quotes"),
        pytest.param(b'{"a": 1,}', "not well-formed", id="2.2 trailing comma"),
        pytest.param(b'{"a": 1} x', "not well-formed", id="2.2 trailing garbage"),
        pytest.param(b'{"a": "\xff"}', "UTF-8", id="2.2 invalid UTF-8"),
        pytest.param(b'{"a": "\xed\xa0\x80"}', "UTF-8", id="2.2 encoded surrogate"),
        pytest.param('{"a": 1}'.encode("utf-16"), "UTF-8", id="2.2 UTF-16"),
        pytest.param(b'\xef\xbb\xbf{"a": 1}', "byte-order mark", id="2.2 BOM"),
        pytest.param(b'{"a": "\\ud800"}', "lone surrogate", id="2.2 lone surrogate escape"),
        pytest.param(b'{"\\udc00": 1}', "lone surrogate", id="2.2 lone surrogate in key"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "nested too deeply", id="2.2 deep nesting"),
        pytest.param(b"1" * 5000, "acceptable", id="2.2 integer beyond digit limit"),
    ],
)
def test_malformed_body_is_refused(body: bytes, fragment: str) -> None:
    """§2.2: a body that is not well-formed UTF-8 JSON → InvalidJSONError with a reason."""
    with pytest.raises(InvalidJSONError) as caught:
        parse_json(body)
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b'{"n": 1e400}', "too large"),
        (b'{"n": -1e400}', "too large"),
        (b'{"n": 123456789012345678901234567890}', "64-bit"),
        (b'{"n": -9223372036854775809}', "64-bit"),
    ],
    ids=[
        "2.2 overflowing float",
        "2.2 overflowing negative float",
        "2.2 huge int",
        "2.2 int below",
    ],
)
def test_numbers_the_ledger_cannot_store_exactly_are_refused(body: bytes, needle: str) -> None:
    """Checklist §2.2: never lose a number silently (inf would come back as null)."""
    with pytest.raises(InvalidJSONError, match=needle):
        parse_json(body)


def test_64_bit_integers_are_kept() -> None:
    assert parse_json(b"[18446744073709551615, -9223372036854775808, 1.5e308]") == [
        2**64 - 1,
        -(2**63),
        1.5e308,
    ]
