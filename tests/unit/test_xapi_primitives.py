"""Shared xAPI data types (checklist §3, §4.1, §4.3, §4.13, §4.16, §4.17, §17)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledger.xapi import (
    format_timestamp,
    is_duration,
    is_iri,
    is_irl,
    is_language_tag,
    is_mailto_iri,
    is_sha1_hex,
    is_sha2_hex,
    is_timestamp,
    is_uuid,
    parse_timestamp,
)

UTC = UTC


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("fd41c918-b88b-4b20-a0a5-a4c32391aaa0", True, id="4.1 lowercase v4"),
        pytest.param("FD41C918-B88B-4B20-A0A5-A4C32391AAA0", True, id="4.1 uppercase"),
        pytest.param("c232ab00-9414-11ec-b3c8-9f6bdeced846", True, id="4.1 version 1"),
        pytest.param("00000000-0000-0000-0000-000000000000", True, id="4.1 nil"),
        pytest.param("{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}", False, id="18 braces"),
        pytest.param("urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0", False, id="18 urn"),
        pytest.param("fd41c918b88b4b20a0a5a4c32391aaa0", False, id="18 unhyphenated"),
        pytest.param("fd41c918-b88b-4b20-a0a5-a4c32391aaa", False, id="4.1 too short"),
        pytest.param("gd41c918-b88b-4b20-a0a5-a4c32391aaa0", False, id="4.1 non-hex"),
        pytest.param("fd41c918-b88b-4b20-a0a5-a4c32391aaa0\n", False, id="4.1 trailing newline"),
        pytest.param("", False, id="3 empty string"),
        pytest.param(None, False, id="3 null"),
        pytest.param(123, False, id="3 number"),
    ],
)
def test_uuid(value: object, ok: bool) -> None:
    """§4.1: strict hyphenated 8-4-4-4-12 hex, either case."""
    assert is_uuid(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("http://adlnet.gov/expapi/verbs/answered", True, id="3 http"),
        pytest.param("urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0", True, id="3 urn"),
        pytest.param("tag:example.com,2024:verbs/x", True, id="3 tag"),
        pytest.param("http://example.com/café", True, id="3 unicode IRI"),
        pytest.param("A+b.c-d:x", True, id="3 scheme chars"),
        pytest.param("answered", False, id="3 no scheme"),
        pytest.param("/relative/path", False, id="3 relative"),
        pytest.param("ab=c://should.fail.com", False, id="3 bad scheme char"),
        pytest.param("1http://example.com", False, id="3 scheme starts with digit"),
        pytest.param("http://example.com/a b", False, id="3 space"),
        pytest.param("http://example.com/\t", False, id="3 control char"),
        pytest.param("http://example.com/\x85", False, id="3 C1 control char"),
        pytest.param("http:", False, id="3 nothing after scheme"),
        pytest.param("", False, id="3 empty"),
        pytest.param(5, False, id="3 number"),
    ],
)
def test_iri(value: object, ok: bool) -> None:
    """§3: IRIs are absolute; beyond that best-effort (no whitespace or control characters)."""
    assert is_iri(value) is ok
    assert is_irl(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("mailto:ada@example.com", True, id="4.3 mailto"),
        pytest.param("mailto:Ada.Lovelace+xapi@Example.COM", True, id="4.3 mixed case"),
        pytest.param("ada@example.com", False, id="4.3 bare address"),
        pytest.param("http://example.com", False, id="4.3 other scheme"),
        pytest.param("mailto:ada", False, id="4.3 no at sign"),
        pytest.param("mailto:@example.com", False, id="4.3 empty local part"),
        pytest.param("mailto:a@b@c", False, id="4.3 two at signs"),
        pytest.param("mailto:a b@example.com", False, id="4.3 space"),
        pytest.param("", False, id="4.3 empty"),
    ],
)
def test_mailto_iri(value: object, ok: bool) -> None:
    """§4.3: mbox is `mailto:` + an e-mail address."""
    assert is_mailto_iri(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("a" * 40, True, id="4.3 lowercase"),
        pytest.param("ABCDEF0123" * 4, True, id="4.3 uppercase"),
        pytest.param("a" * 39, False, id="4.3 short"),
        pytest.param("a" * 41, False, id="4.3 long"),
        pytest.param("g" * 40, False, id="4.3 non-hex"),
    ],
)
def test_sha1_hex(value: object, ok: bool) -> None:
    """§4.3: mbox_sha1sum holds 40 hex digits."""
    assert is_sha1_hex(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("a" * 56, True, id="4.16 sha224"),
        pytest.param("a" * 64, True, id="4.16 sha256"),
        pytest.param("A" * 96, True, id="4.16 sha384"),
        pytest.param("0" * 128, True, id="4.16 sha512"),
        pytest.param("a" * 40, False, id="4.16 sha1 length"),
        pytest.param("a" * 63, False, id="4.16 odd length"),
        pytest.param("z" * 64, False, id="4.16 non-hex"),
        pytest.param("", False, id="4.16 empty"),
    ],
)
def test_sha2_hex(value: object, ok: bool) -> None:
    """§4.16: sha2 is the hex of a SHA-2 digest."""
    assert is_sha2_hex(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("en", True, id="4.17 language"),
        pytest.param("en-US", True, id="4.17 region"),
        pytest.param("EN-us", True, id="4.17 any case"),
        pytest.param("zh-Hant-TW", True, id="4.17 script"),
        pytest.param("es-419", True, id="4.17 UN M.49 region"),
        pytest.param("sl-rozaj-biske", True, id="4.17 variants"),
        pytest.param("de-CH-1901", True, id="4.17 digit variant"),
        pytest.param("zh-yue-HK", True, id="4.17 extlang"),
        pytest.param("en-a-bbb-x-a-ccc", True, id="4.17 extension and private use"),
        pytest.param("x-whatever", True, id="4.17 private use only"),
        pytest.param("i-klingon", True, id="4.17 irregular grandfathered"),
        pytest.param("en-GB-oed", True, id="4.17 irregular grandfathered with region"),
        pytest.param("zh-min-nan", True, id="4.17 regular grandfathered"),
        pytest.param("", False, id="4.17 empty"),
        pytest.param("a12345", False, id="4.17 digits in language"),
        pytest.param("a12345678", False, id="4.17 nine characters"),
        pytest.param("something", False, id="4.17 nine letters"),
        pytest.param("en_US", False, id="4.17 underscore"),
        pytest.param("en-", False, id="4.17 trailing hyphen"),
        pytest.param("-en", False, id="4.17 leading hyphen"),
        pytest.param("en--US", False, id="4.17 empty subtag"),
        pytest.param("e", False, id="4.17 one letter"),
        pytest.param("en-US\n", False, id="4.17 trailing newline"),
        pytest.param("en-a", False, id="4.17 bare singleton"),
        pytest.param("should error", False, id="4.17 free text"),
        pytest.param(None, False, id="4.17 null"),
    ],
)
def test_language_tag(value: object, ok: bool) -> None:
    """§4.17: RFC 5646 well-formedness."""
    assert is_language_tag(value) is ok
    assert is_language_tag(value) is ok  # second call may hit the cache of known tags


def test_language_tag_check_is_linear_on_hostile_input() -> None:
    """A long near-miss tag must not make the regex backtrack for ages."""
    hostile = "en" + "-a-bb" * 20_000 + "-"
    started = time.perf_counter()
    assert not is_language_tag(hostile)
    assert not is_language_tag("a-" + "1234-" * 20_000)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("PT1H0M0.1S", True, id="4.17 CTS valid"),
        pytest.param("PT4H35M59.14S", True, id="4.17 hms"),
        pytest.param("PT16559.14S", True, id="4.17 seconds only"),
        pytest.param("P3Y1M29DT4H35M59.14S", True, id="4.17 all components"),
        pytest.param("P3Y", True, id="4.17 years"),
        pytest.param("P1M", True, id="4.17 months"),
        pytest.param("PT1M", True, id="4.17 minutes"),
        pytest.param("P4W", True, id="4.17 weeks"),
        pytest.param("P0D", True, id="4.17 zero"),
        pytest.param("PT0.0012345S", True, id="16.4 finer than 0.01 s"),
        pytest.param("PT1,5S", True, id="4.17 decimal comma"),
        pytest.param("PT1.5H", True, id="4.17 fraction on last component"),
        pytest.param("PT1.5H30M", False, id="4.17 fraction not on last component"),
        pytest.param("P4W1D", False, id="4.17 weeks mixed"),
        pytest.param("P1WT1H", False, id="4.17 weeks with time"),
        pytest.param("PA1H0M0S", False, id="4.17 CTS invalid"),
        pytest.param("P0003-01-29T04:35:59", False, id="4.17 alternative form"),
        pytest.param("P", False, id="4.17 no component"),
        pytest.param("PT", False, id="4.17 T without component"),
        pytest.param("P1DT", False, id="4.17 trailing T"),
        pytest.param("PT1", False, id="4.17 number without designator"),
        pytest.param("P1H", False, id="4.17 hours before T"),
        pytest.param("PT1D", False, id="4.17 days after T"),
        pytest.param("P1M1Y", False, id="4.17 wrong order"),
        pytest.param("-PT1S", False, id="4.17 negative"),
        pytest.param("pt1s", False, id="4.17 lower case"),
        pytest.param("PT.5S", False, id="4.17 fraction without integer"),
        pytest.param("should fail", False, id="4.17 free text"),
        pytest.param("", False, id="3 empty"),
        pytest.param(12345, False, id="3 number"),
    ],
)
def test_duration(value: object, ok: bool) -> None:
    """§4.17: ISO 8601:2004 §4.4.3.2 durations only."""
    assert is_duration(value) is ok


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, tzinfo=UTC), id="4.13 Z"),
        pytest.param(
            "2024-05-01t12:00:00z", datetime(2024, 5, 1, 12, tzinfo=UTC), id="4.13 lower case"
        ),
        pytest.param(
            "2024-05-01T12:00:00.123Z",
            datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC),
            id="4.13 milliseconds",
        ),
        pytest.param(
            "2024-05-01T12:00:00.1234567891Z",
            datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC),
            id="4.13 finer than microseconds truncated",
        ),
        pytest.param(
            "2024-05-01T12:00:00+02:00",
            datetime(2024, 5, 1, 10, tzinfo=UTC),
            id="16.5 offset to UTC",
        ),
        pytest.param(
            "2024-05-01T12:00:00-0530",
            datetime(2024, 5, 1, 17, 30, tzinfo=UTC),
            id="4.13 offset without colon",
        ),
        pytest.param(
            "2024-05-01T12:00:00+05", datetime(2024, 5, 1, 7, tzinfo=UTC), id="4.13 hour offset"
        ),
        pytest.param(
            "2024-05-01T12:00:00+00:00", datetime(2024, 5, 1, 12, tzinfo=UTC), id="4.13 +00:00"
        ),
        pytest.param(
            "2024-05-01T12:00:00", datetime(2024, 5, 1, 12, tzinfo=UTC), id="17 zone-less is UTC"
        ),
        pytest.param(
            "2008-09-15 15:53:00.601+00:00",
            datetime(2008, 9, 15, 15, 53, 0, 601000, tzinfo=UTC),
            id="4.13 RFC 3339 space",
        ),
        pytest.param(
            "20080915T155300Z", datetime(2008, 9, 15, 15, 53, tzinfo=UTC), id="4.13 basic format"
        ),
        pytest.param(
            "20080915T155300,5+0100",
            datetime(2008, 9, 15, 14, 53, 0, 500000, tzinfo=UTC),
            id="4.13 basic with comma and offset",
        ),
        pytest.param("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC), id="4.13 leap day"),
        pytest.param(
            "2000-02-29T00:00:00Z", datetime(2000, 2, 29, tzinfo=UTC), id="4.13 leap century"
        ),
        pytest.param(
            "2999-12-31T23:59:59Z", datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC), id="16.4 future"
        ),
    ],
)
def test_timestamp_accepted_and_parsed_to_utc(value: str, expected: datetime) -> None:
    """§4.13, §16.5: accepted forms parse to the same instant in UTC."""
    assert is_timestamp(value)
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2008-09-15T15:53:00.601-00", id="4.13 -00"),
        pytest.param("2008-09-15T15:53:00.601-0000", id="4.13 -0000"),
        pytest.param("2008-09-15T15:53:00.601-00:00", id="4.13 -00:00"),
        pytest.param("01/011/2015", id="4.13 CTS invalid date"),
        pytest.param("should fail", id="4.13 free text"),
        pytest.param("2008-09-15", id="4.13 date only"),
        pytest.param("2008-09-15T15:53Z", id="4.13 no seconds"),
        pytest.param("2008-09-15T15:53:00.Z", id="4.13 empty fraction"),
        pytest.param("2024-02-30T00:00:00Z", id="4.13 February 30"),
        pytest.param("2023-02-29T00:00:00Z", id="4.13 not a leap year"),
        pytest.param("1900-02-29T00:00:00Z", id="4.13 not a leap century"),
        pytest.param("2024-04-31T00:00:00Z", id="4.13 April 31"),
        pytest.param("2024-13-01T00:00:00Z", id="4.13 month 13"),
        pytest.param("2024-00-01T00:00:00Z", id="4.13 month 0"),
        pytest.param("2024-01-00T00:00:00Z", id="4.13 day 0"),
        pytest.param("2024-01-01T24:00:00Z", id="4.13 hour 24"),
        pytest.param("2024-01-01T23:60:00Z", id="4.13 minute 60"),
        pytest.param("2016-12-31T23:59:60Z", id="4.13 leap second refused"),
        pytest.param("2024-01-01T00:00:00+24:00", id="4.13 offset 24 h"),
        pytest.param("2024-01-01T00:00:00Z\n", id="4.13 trailing newline"),
        pytest.param("0000-01-01T00:00:00Z", id="4.13 year zero"),
        pytest.param("0001-01-01T00:00:00+01:00", id="4.13 before year 1 in UTC"),
        pytest.param("9999-12-31T23:59:59-01:00", id="4.13 after year 9999 in UTC"),
        pytest.param("2024-05-01T12:00:00ZZ", id="4.13 double zone"),
        pytest.param("2024-05-01T120000Z", id="4.13 mixed basic and extended"),
        pytest.param("٢٠٢٤-05-01T12:00:00Z", id="4.13 non-ASCII digits"),
        pytest.param("", id="3 empty"),
    ],
)
def test_timestamp_refused(value: str) -> None:
    """§4.13: anything but an ISO 8601 combined date-time (and the -00 offsets) is refused."""
    assert not is_timestamp(value)
    with pytest.raises(ValueError):
        parse_timestamp(value)


@pytest.mark.parametrize("value", [None, 1714564800, 1.5, True, [], {}])
def test_timestamp_of_wrong_type_is_refused(value: object) -> None:
    """§3: a timestamp is a string."""
    assert not is_timestamp(value)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        pytest.param(
            datetime(2024, 5, 1, 12, 0, 0, 123999, tzinfo=UTC),
            "2024-05-01T12:00:00.123Z",
            id="4.13 truncated",
        ),
        pytest.param(
            datetime(2024, 5, 1, 12, tzinfo=UTC), "2024-05-01T12:00:00.000Z", id="4.13 three digits"
        ),
        pytest.param(
            datetime(2024, 5, 1, 12, tzinfo=timezone(timedelta(hours=-2))),
            "2024-05-01T14:00:00.000Z",
            id="4.13 converted to UTC",
        ),
        pytest.param(datetime(2024, 5, 1, 12), "2024-05-01T12:00:00.000Z", id="naive is UTC"),
        pytest.param(
            datetime(5, 1, 2, 3, 4, 5, tzinfo=UTC),
            "0005-01-02T03:04:05.000Z",
            id="small year padded",
        ),
    ],
)
def test_format_timestamp(moment: datetime, text: str) -> None:
    """§4.13: output is UTC with exactly three fraction digits, truncated."""
    assert format_timestamp(moment) == text


def test_format_then_parse_round_trips_to_the_millisecond() -> None:
    """What the LRS writes, it can read back."""
    moment = datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=UTC)
    assert parse_timestamp(format_timestamp(moment)) == moment
