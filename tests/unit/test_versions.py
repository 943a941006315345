"""X-Experience-API-Version negotiation (checklist §2.1, §16.1)."""

from __future__ import annotations

import pytest

from ledger.errors import UnsupportedVersionError
from ledger.xapi import SUPPORTED, V1, V2, negotiate_version


def test_constants() -> None:
    """§15, §16.1: the two lines served, oldest first."""
    assert (V1, V2) == ("1.0.3", "2.0.0")
    assert SUPPORTED == (V1, V2)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("1.0", V1, id="2.1 bare 1.0"),
        pytest.param("1.0.0", V1, id="2.1 1.0.0"),
        pytest.param("1.0.1", V1, id="2.1 1.0.1"),
        pytest.param("1.0.3", V1, id="2.1 1.0.3"),
        pytest.param("1.0.9", V1, id="2.1 future patch 1.0.9"),
        pytest.param(" 1.0.3 ", V1, id="2.1 surrounding whitespace"),
        pytest.param("2.0", V2, id="16.1 bare 2.0"),
        pytest.param("2.0.0", V2, id="16.1 2.0.0"),
        pytest.param("2.0.7", V2, id="16.1 future patch 2.0.7"),
    ],
)
def test_supported_header_selects_rule_set(header: str, expected: str) -> None:
    """1.0.x → 1.0.3 rules, 2.0.x → 2.0.0 rules."""
    assert negotiate_version(header) == expected


def test_missing_header_is_refused() -> None:
    """§2.1, §16.1: no header → 400 (callers exempt /about)."""
    with pytest.raises(UnsupportedVersionError) as caught:
        negotiate_version(None)
    assert caught.value.message == "X-Experience-API-Version header is required"


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        pytest.param("0.9", "older than 1.0.0", id="2.1 0.9"),
        pytest.param("0.95", "older than 1.0.0", id="2.1 0.95"),
        pytest.param("1.1.0", "not supported", id="2.1 1.1.0"),
        pytest.param("1.1", "not supported", id="2.1 1.1"),
        pytest.param("2.1.0", "not supported", id="16.1 2.1.0"),
        pytest.param("3.0.0", "not supported", id="16.1 3.0.0"),
        pytest.param("", "not a version number", id="2.1 empty"),
        pytest.param("latest", "not a version number", id="2.1 garbage"),
        pytest.param("1.0.x", "not a version number", id="2.1 placeholder x"),
        pytest.param("1.0.3-beta", "not a version number", id="2.1 pre-release"),
        pytest.param("1.0.3.1", "not a version number", id="2.1 four parts"),
        pytest.param("v1.0.3", "not a version number", id="2.1 v prefix"),
    ],
)
def test_unsupported_header_is_refused_with_reason(header: str, fragment: str) -> None:
    """§2.1, §16.1: other versions → 400 with a short explanation."""
    with pytest.raises(UnsupportedVersionError) as caught:
        negotiate_version(header)
    assert fragment in caught.value.message
    assert "\n" not in caught.value.message
