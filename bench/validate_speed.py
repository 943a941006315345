"""Measure validate_statement (both rule sets) and parse_json against orjson on one Statement."""

from __future__ import annotations

import copy
import json
import sys
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from ledger.xapi import V1, V2, parse_json, validate_statement
from ledger.xapi.primitives import forget_known_values


def realistic_statement() -> dict[str, Any]:
    """Return a ~1.2 KB Statement shaped like typical course-player output."""
    course = "https://lms.example.com/courses/algebra-101"
    return {
        "id": "3f1c2e9a-7b4d-4c1e-9a2f-5d6e7f8a9b0c",
        "actor": {
            "objectType": "Agent",
            "name": "Ada Lovelace",
            "account": {"homePage": "https://lms.example.com", "name": "ada.lovelace-0042"},
        },
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/answered",
            "display": {"en-US": "answered"},
        },
        "object": {
            "objectType": "Activity",
            "id": f"{course}/quiz-3/question-7",
            "definition": {
                "name": {"en-US": "Question 7: solve for x"},
                "description": {"en-US": "A linear equation: 2x + 3 = 11."},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "extensions": {
                    "https://w3id.org/xapi/acrossx/extensions/type": "quiz-question",
                    "https://lms.example.com/xapi/ext/difficulty": 3,
                },
            },
        },
        "result": {
            "score": {"scaled": 0.8, "raw": 8, "min": 0, "max": 10},
            "success": True,
            "completion": True,
            "response": "4",
            "duration": "PT1M12.34S",
        },
        "context": {
            "registration": "a4b9c1d2-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
            "contextActivities": {
                "parent": [{"id": f"{course}/quiz-3", "objectType": "Activity"}],
                "grouping": [{"id": course, "objectType": "Activity"}],
                "category": [
                    {
                        "id": "https://w3id.org/xapi/scorm",
                        "definition": {"type": "http://adlnet.gov/expapi/activities/profile"},
                    }
                ],
            },
            "platform": "Example LMS 5.2",
            "language": "en-US",
            "extensions": {"https://lms.example.com/xapi/ext/session": 5},
        },
        "timestamp": "2024-05-01T12:34:56.789+02:00",
    }


def _per_call_us(func: Any, number: int) -> float:
    best = min(timeit.repeat(func, number=number, repeat=7))
    return best / number * 1e6


def main() -> None:
    """Print microseconds per call for validation (1.0.3, 2.0.0) and for JSON parsing."""
    statement = realistic_statement()
    body = json.dumps(statement, ensure_ascii=False, separators=(",", ":")).encode()
    pristine = copy.deepcopy(statement)
    validate_statement(statement, V1)
    validate_statement(statement, V2)
    if statement != pristine:
        raise SystemExit("validate_statement changed its input")
    number = 20_000
    print(f"statement size: {len(body)} bytes of compact JSON")
    for version in (V1, V2):
        us = _per_call_us(lambda v=version: validate_statement(statement, v), number)
        print(f"validate_statement[{version}]: {us:6.2f} µs/statement ({1e6 / us:,.0f}/s)")

        def cold(v: str = version) -> None:
            forget_known_values()  # every IRI and language tag unseen, as for a novel Statement
            validate_statement(statement, v)

        us = _per_call_us(cold, number)
        print(f"  … with nothing cached:     {us:6.2f} µs/statement ({1e6 / us:,.0f}/s)")
    parse_us = _per_call_us(lambda: parse_json(body), number)
    loads_us = _per_call_us(lambda: json.loads(body), number)
    orjson_us = _per_call_us(lambda: orjson.loads(body), number)
    print(f"parse_json (strict):          {parse_us:6.2f} µs")
    print(f"json.loads (no hooks):        {loads_us:6.2f} µs")
    print(f"orjson.loads:                 {orjson_us:6.2f} µs")
    both = _per_call_us(lambda: validate_statement(parse_json(body), V2), number)
    print(f"parse_json + validate [2.0.0]: {both:6.2f} µs")


if __name__ == "__main__":
    main()
