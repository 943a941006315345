"""Small builders of valid xAPI statements for tests."""

from __future__ import annotations

import uuid
from typing import Any

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def statement(**overrides: Any) -> dict[str, Any]:
    """Return a valid xAPI 1.0.3 statement; keyword arguments replace top-level properties."""
    body: dict[str, Any] = {
        "actor": {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.com"},
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": {"en-US": "completed"},
        },
        "object": {
            "objectType": "Activity",
            "id": "https://courses.example.com/safety-101",
            "definition": {"name": {"en-US": "Safety 101"}},
        },
        "result": {"completion": True, "score": {"scaled": 0.9}, "duration": "PT12M30S"},
        "context": {"registration": str(uuid.uuid4()), "platform": "test"},
        "timestamp": "2026-01-02T03:04:05.678Z",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def with_id(**overrides: Any) -> dict[str, Any]:
    """Return a valid statement with a fresh id."""
    return statement(id=str(uuid.uuid4()), **overrides)


def voiding(target_id: str, **overrides: Any) -> dict[str, Any]:
    """Return a statement that voids `target_id`."""
    return statement(
        id=str(uuid.uuid4()),
        verb={"id": VOIDED, "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": target_id},
        result=None,
        context=None,
        **overrides,
    )
