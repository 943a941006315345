"""Strict JSON parsing of request bodies: UTF-8 only, no repeated keys, no NaN/Infinity."""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from ledger.errors import InvalidJSONError

# A \uD800-\uDFFF escape may decode to a lone surrogate, which is not Unicode text.
_SURROGATE_ESCAPE_RE: Final = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # §3, §16.4: a key repeated inside one object → 400. dict() keeps the last value, so a
    # shorter dict means a repeat; only then look for which key it was.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InvalidJSONError(f"JSON object repeats the key {key!r}")
            seen.add(key)
    return obj


def _constant(name: str) -> Any:
    raise InvalidJSONError(f"{name} is not a JSON number")


_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1


def _int(text: str) -> int:
    # Events and responses are encoded with orjson, which holds integers in 64 bits; refuse
    # larger ones here rather than lose them later (checklist §2.2 asks for float precision).
    value = int(text)
    if not _INT_MIN <= value <= _INT_MAX:
        raise InvalidJSONError(
            f"the integer {text[:40]} is outside the 64-bit range this ledger stores exactly; "
            "send it as a string or a float"
        )
    return value


def _float(text: str) -> float:
    # `1e400` parses to infinity, which JSON cannot hold: it would come back as null.
    value = float(text)
    if value in (math.inf, -math.inf):
        raise InvalidJSONError(f"the number {text[:40]} is too large for a JSON double")
    return value


_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_object_pairs, parse_constant=_constant, parse_int=_int, parse_float=_float
)


def parse_json(body: bytes) -> Any:
    """Parse a request body as strict JSON.

    The body must be UTF-8 (no byte-order mark), well-formed JSON (§2.2), hold no key twice in
    one object (§3) and no NaN/Infinity; strings must be valid Unicode (no lone surrogates).

    Args:
        body: The raw request body.

    Returns:
        The parsed value (dicts, lists, str, int, float, bool, None).

    Raises:
        InvalidJSONError: The body breaks one of the rules above; the message says which.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as ex:
        raise InvalidJSONError(f"body is not valid UTF-8 (byte {ex.start})") from None
    if text.startswith("\ufeff"):
        raise InvalidJSONError("body starts with a byte-order mark; send plain UTF-8")
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as ex:
        raise InvalidJSONError(
            f"body is not well-formed JSON: {ex.msg} (line {ex.lineno}, column {ex.colno})"
        ) from None
    except RecursionError:
        raise InvalidJSONError("body is not acceptable JSON: nested too deeply") from None
    except ValueError as ex:  # e.g. an integer longer than Python's digit limit
        raise InvalidJSONError(f"body is not acceptable JSON: {ex}") from None
    if "\\u" in text and _SURROGATE_ESCAPE_RE.search(text) and _has_lone_surrogate(value):
        raise InvalidJSONError("body is not acceptable JSON: a string holds a lone surrogate")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                return True
        elif isinstance(item, dict):
            for key, child in item.items():
                if not _encodable(key):
                    return True
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
