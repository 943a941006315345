"""Checks of the data types xAPI Statements share (UUID, IRI, timestamp, …); property tables."""

from __future__ import annotations

import itertools
import linecache
import math
import re
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, NamedTuple, TypeGuard

from ledger.errors import Problem

#: Most problems collected for one Statement before further ones are dropped.
MAX_PROBLEMS: Final = 20

#: Sentinel for "key absent" (a present key may hold None, which is a fault of its own).
MISSING: Final[Any] = object()

# --- regular expressions (all used with fullmatch, so a trailing newline never slips through) ---

# §4.1, §4.17: hyphenated 8-4-4-4-12 hex, any RFC 4122 version, either case.
UUID_RE: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)

# §3: IRIs must be absolute (a scheme); beyond that the check is best-effort: something after
# the colon and no whitespace or C0/C1 control character anywhere. The class below spells out
# [^\s\x00-\x1f\x7f-\x9f] as ranges, which the regex engine matches twice as fast.
IRI_RE: Final = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:"
    r"[!-~\xa1-\u167f\u1681-\u1fff\u200b-\u2027\u202a-\u202e\u2030-\u205e\u2060-\u2fff"
    r"\u3001-\U0010ffff]+"
)

# §4.3: mbox is "mailto:" followed by an e-mail address (something@something).
MAILTO_RE: Final = re.compile(r"mailto:[^\s@\x00-\x1f\x7f-\x9f]+@[^\s@\x00-\x1f\x7f-\x9f]+")

SHA1_RE: Final = re.compile(r"[0-9a-fA-F]{40}")
# §4.16: hex of a SHA-2 digest: SHA-224, SHA-256, SHA-384 or SHA-512 (56/64/96/128 digits).
SHA2_RE: Final = re.compile(r"[0-9a-fA-F]{56}(?:[0-9a-fA-F]{8}(?:[0-9a-fA-F]{32}){0,2})?")

# §4.13: ISO 8601 combined date-time, complete to the second. Extended format (RFC 3339,
# whose space or lower-case separators the CTS also sends) or basic format. The zone is
# optional: zone-less input is read as UTC (§17 decision).
_TS_EXTENDED_RE: Final = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12][0-9]|3[01])"
    r"[Tt ](?P<h>[01][0-9]|2[0-3]):(?P<mi>[0-5][0-9]):(?P<s>[0-5][0-9])"
    r"(?:[.,](?P<f>[0-9]+))?"
    r"(?P<z>[Zz]|(?P<sign>[+-])(?P<oh>[01][0-9]|2[0-3])(?::?(?P<om>[0-5][0-9]))?)?"
)
_TS_BASIC_RE: Final = re.compile(
    r"(?P<y>[0-9]{4})(?P<mo>0[1-9]|1[0-2])(?P<d>0[1-9]|[12][0-9]|3[01])"
    r"T(?P<h>[01][0-9]|2[0-3])(?P<mi>[0-5][0-9])(?P<s>[0-5][0-9])"
    r"(?:[.,](?P<f>[0-9]+))?"
    r"(?P<z>Z|(?P<sign>[+-])(?P<oh>[01][0-9]|2[0-3])(?P<om>[0-5][0-9])?)?"
)

# §4.17: ISO 8601:2004 §4.4.3.2 durations: PnYnMnDTnHnMnS or PnW; at least one component;
# "T" is followed by at least one time component; weeks never mix with other units.
# A decimal fraction is allowed on the lowest-order component only (checked after the match).
# The §4.4.3.3 alternative form (P0003-01-29T...) never matches.
_DURATION_RE: Final = re.compile(
    r"P(?:[0-9]+(?:[.,][0-9]+)?W"
    r"|(?=[0-9]|T[0-9])(?:[0-9]+(?:[.,][0-9]+)?Y)?(?:[0-9]+(?:[.,][0-9]+)?M)?"
    r"(?:[0-9]+(?:[.,][0-9]+)?D)?"
    r"(?:T(?=[0-9])(?:[0-9]+(?:[.,][0-9]+)?H)?(?:[0-9]+(?:[.,][0-9]+)?M)?"
    r"(?:[0-9]+(?:[.,][0-9]+)?S)?)?)"
)
_DURATION_FRACTION_RE: Final = re.compile(r"[.,][0-9]+[YMWDHS]")

# §4.17: RFC 5646 well-formedness (the ABNF of §2.1, case-insensitive), incl. grandfathered tags.
_LANGUAGE_TAG_RE: Final = re.compile(
    r"""
    (?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})   # language (+ extlang)
    (?:-[a-z]{4})?                                          # script
    (?:-(?:[a-z]{2}|[0-9]{3}))?                             # region
    (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*                # variants
    (?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*                    # extensions
    (?:-x(?:-[a-z0-9]{1,8})+)?                              # private use
    |x(?:-[a-z0-9]{1,8})+                                   # private use only
    |en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo
    |i-navajo|i-pwn|i-tao|i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de
    """,
    re.ASCII | re.IGNORECASE | re.VERBOSE,
)

# Verb ids, activity types, extension keys and language tags repeat from Statement to
# Statement: remember short valid ones so the hot path skips the regex. Bounded; a full cache
# is emptied and refills with what is current.
_KNOWN_IRIS: set[str] = set()
_KNOWN_TAGS: set[str] = set()
_CACHE_LIMIT: Final = 8192
_CACHEABLE_LENGTH: Final = 512

_DAYS_IN_MONTH: Final = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


# --- problem collection ---


def add_problem(problems: list[Problem], pointer: str, problem: str) -> None:
    """Record one problem unless the list already holds `MAX_PROBLEMS`."""
    if len(problems) < MAX_PROBLEMS:
        problems.append(Problem(pointer, problem))


def escape_key(key: object) -> str:
    """Return `key` escaped as one RFC 6901 reference token (`~` → `~0`, `/` → `~1`)."""
    text = key if isinstance(key, str) else str(key)
    if "~" in text or "/" in text:
        text = text.replace("~", "~0").replace("/", "~1")
    return text


def expected(value: object, what: str) -> str:
    """Return the problem text for a value of the wrong JSON type (§3: null is its own fault)."""
    if value is None:
        return "must not be null"
    return f"must be {what}"


class AllowedKeys(NamedTuple):
    """The keys an xAPI object may carry, as a set for checking and as text for messages."""

    keys: frozenset[str]
    names: str
    #: Problem text for particular keys outside `keys`, in place of "unknown property (…)".
    refusals: Mapping[str, str]


def allowed_keys(*names: str, refusals: Mapping[str, str] | None = None) -> AllowedKeys:
    """Return the AllowedKeys of an object whose properties are `names`, in display order.

    Args:
        *names: The properties, in the order the problem text lists them.
        refusals: Problem text for some keys outside `names` that deserve a word of their own.
    """
    return AllowedKeys(frozenset(names), ", ".join(names), refusals or {})


def check_keys(
    obj: dict[Any, Any], allowed: AllowedKeys, pointer: str, problems: list[Problem]
) -> None:
    """Report every key of `obj` outside `allowed` (§3: case-exact, no unknown properties)."""
    if allowed.keys.issuperset(obj):
        return
    unknown = f"unknown property (allowed: {allowed.names})"
    for key in obj:
        if key not in allowed.keys:
            add_problem(
                problems, f"{pointer}/{escape_key(key)}", allowed.refusals.get(key, unknown)
            )


# --- predicates ---


def is_uuid(value: object) -> bool:
    """Return whether `value` is a UUID string in hyphenated 8-4-4-4-12 form (§4.1)."""
    return type(value) is str and UUID_RE.fullmatch(value) is not None


def is_iri(value: object) -> bool:
    """Return whether `value` is an absolute IRI string (§3, §4.17)."""
    if type(value) is not str:
        return False
    if value in _KNOWN_IRIS:
        return True
    if IRI_RE.fullmatch(value) is None:
        return False
    _remember(_KNOWN_IRIS, value)
    return True


def is_irl(value: object) -> bool:
    """Return whether `value` is an IRL: an absolute IRI that locates a resource (§4.17)."""
    return is_iri(value)


def forget_known_values() -> None:
    """Empty the caches of known-valid IRIs and language tags (for benchmarks and tests)."""
    _KNOWN_IRIS.clear()
    _KNOWN_TAGS.clear()


def _remember(cache: set[str], value: str) -> None:
    if len(value) <= _CACHEABLE_LENGTH:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache.add(value)


def is_mailto_iri(value: object) -> bool:
    """Return whether `value` is `mailto:` followed by an e-mail address (§4.3)."""
    return type(value) is str and MAILTO_RE.fullmatch(value) is not None


def is_sha1_hex(value: object) -> bool:
    """Return whether `value` is a hex SHA-1 digest, either case (§4.3)."""
    return type(value) is str and SHA1_RE.fullmatch(value) is not None


def is_sha2_hex(value: object) -> bool:
    """Return whether `value` is a hex SHA-224/256/384/512 digest, either case (§4.16)."""
    return type(value) is str and SHA2_RE.fullmatch(value) is not None


def is_language_tag(value: object) -> bool:
    """Return whether `value` is a well-formed RFC 5646 language tag (§4.12, §4.17)."""
    if type(value) is not str:
        return False
    if value in _KNOWN_TAGS:
        return True
    if _LANGUAGE_TAG_RE.fullmatch(value) is None:
        return False
    _remember(_KNOWN_TAGS, value)
    return True


def is_duration(value: object) -> bool:
    """Return whether `value` is an ISO 8601 §4.4.3.2 duration (§4.17).

    Durations finer than 0.01 s are accepted (§16.4); a fraction may only sit on the last
    component.
    """
    if type(value) is not str or _DURATION_RE.fullmatch(value) is None:
        return False
    if "." in value or "," in value:
        fraction = _DURATION_FRACTION_RE.search(value)
        return fraction is not None and fraction.end() == len(value)
    return True


def _match_timestamp(value: str) -> re.Match[str] | None:
    match = _TS_EXTENDED_RE.fullmatch(value)
    if match is None:
        match = _TS_BASIC_RE.fullmatch(value)
    return match


def timestamp_problem(value: object) -> str | None:
    """Return why `value` is not an acceptable Timestamp (§4.13), or None when it is."""
    if type(value) is not str:
        return expected(value, "a string holding an ISO 8601 date-time")
    match = _match_timestamp(value)
    if match is None:
        return "must be an ISO 8601 date-time with seconds, e.g. 2024-05-01T12:00:00.000Z"
    day = match["d"]
    if day > "28":
        month = int(match["mo"])
        if int(day) > _DAYS_IN_MONTH[month] or (
            month == 2 and day == "29" and not _is_leap(int(match["y"]))
        ):
            return "must be an ISO 8601 date-time naming a day that exists"
    year = match["y"]
    if match["sign"] == "-" and match["oh"] == "00" and (match["om"] or "00") == "00":
        # CTS timestamps config: the "unknown local offset" forms -00, -0000, -00:00.
        return "must not use the unknown-offset form -00:00 (use Z or +00:00)"
    edge_year = year == "0000" or ((year == "0001" or year == "9999") and match["sign"] is not None)
    if edge_year and _datetime_of(match) is None:
        return "must be an ISO 8601 date-time within years 0001-9999 (UTC)"
    return None


def is_timestamp(value: object) -> bool:
    """Return whether `value` is an acceptable ISO 8601 Timestamp (§4.13, §17)."""
    return timestamp_problem(value) is None


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _datetime_of(match: re.Match[str]) -> datetime | None:
    fraction = match["f"]
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    offset = timedelta(0)
    if match["sign"] is not None:
        offset = timedelta(hours=int(match["oh"]), minutes=int(match["om"] or 0))
        if match["sign"] == "-":
            offset = -offset
    try:
        local = datetime(
            int(match["y"]),
            int(match["mo"]),
            int(match["d"]),
            int(match["h"]),
            int(match["mi"]),
            int(match["s"]),
            micro,
        )
        return (local - offset).replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def parse_timestamp(value: str) -> datetime:
    """Parse an xAPI Timestamp into an aware UTC datetime (zone-less input is read as UTC, §17).

    Digits beyond microseconds are truncated.

    Raises:
        ValueError: `value` is not an acceptable Timestamp (see `is_timestamp`).
    """
    problem = timestamp_problem(value)
    if problem is not None:
        raise ValueError(f"invalid timestamp {value!r}: {problem}")
    match = _match_timestamp(value)
    parsed = _datetime_of(match) if match is not None else None
    if parsed is None:  # unreachable after timestamp_problem; keeps the type checker honest
        raise ValueError(f"invalid timestamp {value!r}")
    return parsed


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def epoch_ms(moment: datetime) -> int:
    """Return an aware datetime as whole milliseconds since the epoch, rounded down.

    Integer arithmetic: a float would put some microsecond values in the wrong millisecond.
    """
    return (moment - _EPOCH) // _MILLISECOND


def from_epoch_ms(millis: int) -> datetime:
    """Return the aware UTC datetime `millis` milliseconds after the epoch (exact)."""
    return _EPOCH + millis * _MILLISECOND


def format_timestamp(moment: datetime) -> str:
    """Format `moment` as `YYYY-MM-DDTHH:MM:SS.fffZ` in UTC, milliseconds truncated (§4.13).

    A naive datetime is taken to be UTC already.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}."
        f"{moment.microsecond // 1000:03d}Z"
    )


# --- structural checks shared by several objects ---


def check_language_map(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check a language map: an object of RFC 5646 tag → string (§4.17); `{}` is accepted (§3)."""
    if not isinstance(value, dict):
        add_problem(problems, pointer, expected(value, "a language map (object of tag → string)"))
        return
    for tag, text in value.items():
        if not is_language_tag(tag):
            add_problem(
                problems, f"{pointer}/{escape_key(tag)}", "key must be an RFC 5646 language tag"
            )
        if type(text) is not str:
            add_problem(problems, f"{pointer}/{escape_key(tag)}", expected(text, "a string"))


def check_extensions(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check an extensions object: IRI keys, any values incl. null; `{}` is valid (§4.17)."""
    if not isinstance(value, dict):
        add_problem(problems, pointer, expected(value, "an object with IRI keys"))
        return
    for key in value:
        if not is_iri(key):
            add_problem(problems, f"{pointer}/{escape_key(key)}", "key must be an absolute IRI")


def check_iri(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check that `value` is an absolute IRI (§3)."""
    if not is_iri(value):
        add_problem(problems, pointer, expected(value, "an absolute IRI"))


def check_irl(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check that `value` is an IRL, i.e. an absolute IRI locating a resource (§4.17)."""
    if not is_iri(value):
        add_problem(problems, pointer, expected(value, "an absolute IRL (e.g. an http(s) URL)"))


def check_uuid(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check that `value` is a UUID string in 8-4-4-4-12 form (§4.1)."""
    if type(value) is not str or UUID_RE.fullmatch(value) is None:
        add_problem(problems, pointer, expected(value, "a UUID in 8-4-4-4-12 form"))


def check_string(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check that `value` is a JSON string (§3: no coercion)."""
    if type(value) is not str:
        add_problem(problems, pointer, expected(value, "a string"))


def check_boolean(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check that `value` is a JSON boolean (`1` is not a boolean, §3)."""
    if type(value) is not bool:
        add_problem(problems, pointer, expected(value, "a boolean"))


def check_timestamp(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check that `value` is an ISO 8601 Timestamp (§4.13); future instants are fine (§16.4)."""
    problem = timestamp_problem(value)
    if problem is not None:
        add_problem(problems, pointer, problem)


def check_duration(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check that `value` is an ISO 8601 §4.4.3.2 duration (§4.17)."""
    if not is_duration(value):
        add_problem(problems, pointer, expected(value, "an ISO 8601 duration such as PT1H30M5.25S"))


def is_number(value: object) -> bool:
    """Return whether `value` is a finite JSON number (`true` is not a number, §3)."""
    if type(value) is float:
        return math.isfinite(value)
    return type(value) is int


# --- property tables: an object's properties, each with its rule, checked in table order ---

#: A check of one value: records in `problems` what is wrong with `value`, found at `pointer`.
#: Any value it returns is ignored.
Check = Callable[[Any, str, list[Problem]], object]
#: A test a value must pass, and what the value must be else ("must be …").
Expect = tuple[Callable[[Any], bool], str]
#: How a property table checks one property's value.
Rule = Check | Expect
#: A Check compiled from a property table; returns whether the value is an object.
ObjectCheck = Callable[[Any, str, list[Problem]], TypeGuard[dict[Any, Any]]]


def equal_to(constant: str) -> Expect:
    """Return the rule that a value is `constant` (e.g. an objectType): "must be '…'"."""
    return (lambda value: value == constant), f"'{constant}'"


def object_check(
    what: str,
    rules: Mapping[str, Rule],
    required: Collection[str] = (),
    keys: AllowedKeys | None = None,
) -> ObjectCheck:
    """Compile the property table of an xAPI object into one Check of it.

    The Check reports a value that is not a JSON object ("must be `what`"); else each key
    outside `keys` (see `check_keys`), then, in table order, each `required` property that is
    absent and what the rule of each present property finds.

    Args:
        what: The object's description in problems, e.g. "a Result object".
        rules: The rule of each property, in the order problems are reported: a Check, or an
            Expect pair (test, what) for a property whose value must pass `test`.
        required: The properties that must be present.
        keys: The allowed keys (see `allowed_keys`); by default those of `rules`, in order.
    """
    return _compile(what, allowed_keys(*rules) if keys is None else keys, rules, required)


def properties_check(rules: Mapping[str, Rule], required: Collection[str] = ()) -> ObjectCheck:
    """Compile a property table like `object_check`, for an object whose keys are checked apart."""
    return _compile(None, allowed_keys(), rules, required)


_TABLE_NUMBERS: Final = itertools.count(1)


def _compile(
    what: str | None, allowed: AllowedKeys, rules: Mapping[str, Rule], required: Collection[str]
) -> ObjectCheck:
    # The table becomes the straight-line code one would write by hand, as dataclasses do: a
    # loop over the rows costs ~25 ns a row, more than the hot ingest path can spare. Each
    # property's pointer is built only when needed. inspect.getsource() shows the code.
    names: dict[str, Any] = {
        "add_problem": add_problem,
        "check_keys": check_keys,
        "expected": expected,
        "what": what,
        "allowed": allowed,
        "keys": allowed.keys,
    }
    lines = ["def check_object(value, pointer, problems):"]
    if what is not None:
        lines += [
            "    if not isinstance(value, dict):",
            "        add_problem(problems, pointer, expected(value, what))",
            "        return False",
            "    if not keys.issuperset(value):",
            "        check_keys(value, allowed, pointer, problems)",
        ]
    for index, (name, rule) in enumerate(rules.items()):
        key, step = repr(name), repr("/" + name)
        lines.append(f"    if {key} in value:")
        if isinstance(rule, tuple):
            names[f"test_{index}"], names[f"must_be_{index}"] = rule
            lines += [
                f"        if not test_{index}(value[{key}]):",
                f"            add_problem(problems, pointer + {step},"
                f" expected(value[{key}], must_be_{index}))",
            ]
        else:
            names[f"check_{index}"] = rule
            lines.append(f"        check_{index}(value[{key}], pointer + {step}, problems)")
        if name in required:
            lines += [
                "    else:",
                f"        add_problem(problems, pointer + {step}, 'required property is missing')",
            ]
    lines.append("    return True\n")
    source = "\n".join(lines)
    filename = f"<property table {next(_TABLE_NUMBERS)}: {what or ', '.join(rules)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), names)
    check: ObjectCheck = names["check_object"]
    return check


def array_check(item_check: Check, what: str) -> Check:
    """Return a Check that a value is an array (else "must be `what`") and of each item in it."""

    def check(value: object, pointer: str, problems: list[Problem]) -> None:
        if not isinstance(value, list):
            add_problem(problems, pointer, expected(value, what))
            return
        for index, item in enumerate(value):
            item_check(item, f"{pointer}/{index}", problems)

    return check


def media_type(value: str | None) -> str:
    """Return the type/subtype of a Content-Type value, lower-cased, without parameters."""
    return (value or "").split(";", 1)[0].strip().lower()
