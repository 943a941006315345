"""Builders shared by the learning projection tests: a course, statements about it, rows."""

from __future__ import annotations

import uuid
from typing import Any

from ledger.application import Ledger
from projections import learning_tables as tables
from projections.learning_store import LearningProjections

ADL = "http://adlnet.gov/expapi/verbs/"
COURSE = "https://courses.example.com/learning/safety"
MODULES = [f"{COURSE}/m1", f"{COURSE}/m2"]
ADA = "mailto:ada@example.com"
BOB = "mailto:bob@example.com"

Json = dict[str, Any]


def course(iri: str = COURSE, **criteria: Any) -> Json:
    """A course of two modules: m1 completes, m2 passes at 0.8."""
    document: Json = {
        "id": iri,
        "title": "Safety basics",
        "modules": [
            {"id": f"{iri}/m1", "moveOn": "Completed"},
            {"id": f"{iri}/m2", "moveOn": "Passed", "masteryScore": 0.8},
        ],
    }
    if criteria:
        document["criteria"] = criteria
    return document


def said(
    verb: str,
    activity: str,
    learner: str = ADA,
    *,
    scaled: float | None = None,
    timestamp: str = "2026-03-01T10:00:00.000Z",
) -> Json:
    """A statement by `learner` with an ADL verb about an Activity."""
    body: Json = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": learner},
        "verb": {"id": ADL + verb},
        "object": {"objectType": "Activity", "id": activity},
        "timestamp": timestamp,
    }
    if scaled is not None:
        body["result"] = {"score": {"scaled": scaled}}
    return body


def voids(target: str, learner: str = ADA) -> Json:
    """A statement voiding `target`."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": learner},
        "verb": {"id": ADL + "voided"},
        "object": {"objectType": "StatementRef", "id": target},
    }


def table_rows(projections: LearningProjections, table: str) -> list[tuple[Any, ...]]:
    """Every row of one learning table, sorted."""
    rows = projections.tracking.read(f"SELECT * FROM {{s}}{table}", ())
    return sorted((tuple(row) for row in rows), key=repr)


def view_rows(ledger: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every learning table (stage one and the views), sorted."""
    projections = LearningProjections(ledger)
    names = [*tables.FACT_TABLES, *(t for owned in tables.VIEWS.values() for t in owned)]
    return {table: table_rows(projections, table) for table in names}


def enrollment_status(ledger: Ledger, learner: str = ADA, iri: str = COURSE) -> str | None:
    """The stored enrollment status of a learner in a course (None: no row)."""
    for row in table_rows(LearningProjections(ledger), tables.ENROLLMENTS):
        if row[1] == f"mbox:{learner}" and row[2] == iri:
            return str(row[4])
    return None
