"""Normalisation of a valid Statement into the form the ledger stores and returns."""

from __future__ import annotations

import re
from typing import Any

from ledger.xapi.primitives import format_timestamp, parse_timestamp

# A timestamp already in `format_timestamp` form needs no parse/format round trip (hot path).
_CANONICAL_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def normalise_statement(statement: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a valid Statement in stored form; the input is left untouched.

    Only two things change: every `context.contextActivities` value that is a single Activity
    becomes a one-item array (1.0.3 Data §2.4.6.2, checklist §4.12), and `timestamp` is
    rewritten in UTC as `YYYY-MM-DDTHH:MM:SS.fffZ` (checklist §4.13, §16.5). Both also apply
    inside a SubStatement. Everything else keeps the serialization received (checklist §5.3).
    Dicts that need no change are shared with the input, not copied.

    Args:
        statement: a Statement that already passed validation.

    Returns:
        A new top-level dict; nested dicts are new only where something changed.
    """
    out = _normalise_parts(statement)
    return dict(statement) if out is statement else out


def _normalise_parts(statement: dict[str, Any]) -> dict[str, Any]:
    """Return `statement` itself if nothing changes, else a shallow copy with the changes."""
    changes: dict[str, Any] = {}
    timestamp = statement.get("timestamp")
    if isinstance(timestamp, str) and not _CANONICAL_TIMESTAMP.fullmatch(timestamp):
        changes["timestamp"] = format_timestamp(parse_timestamp(timestamp))
    context = statement.get("context")
    if isinstance(context, dict):
        new_context = _normalise_context(context)
        if new_context is not context:
            changes["context"] = new_context
    obj = statement.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        new_obj = _normalise_parts(obj)
        if new_obj is not obj:
            changes["object"] = new_obj
    if not changes:
        return statement
    return {**statement, **changes}


def _normalise_context(context: dict[str, Any]) -> dict[str, Any]:
    """Return `context` itself, or a copy whose contextActivities values are all arrays."""
    activities = context.get("contextActivities")
    if not isinstance(activities, dict):
        return context
    # 1.0.3 Data §2.4.6.2: a lone Activity object is returned as a one-item array.
    singles = {key: [value] for key, value in activities.items() if isinstance(value, dict)}
    if not singles:
        return context
    return {**context, "contextActivities": {**activities, **singles}}
