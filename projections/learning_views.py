"""The rows of the report views (stage two) that a learner's course record gives.

Each table of `projections.learning_tables.VIEWS` has a row maker here (`VIEW_ROWS`) and its
column list and PostgreSQL array types (`view_columns`), in the DDL's column order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from projections import learning_tables as tables
from projections.learning_model import CourseRecord

Row = tuple[Any, ...]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def enrollment_rows(record: CourseRecord) -> list[Row]:
    """The `enrollments` row of a record."""
    r = record
    return [
        (
            r.tenant,
            r.learner,
            r.course,
            r.revision,
            r.status,
            r.source,
            r.path,
            r.enrolled_at,
            r.started_at,
            r.last_activity_at,
            r.completed_at,
            r.withdrawn_at,
            r.due_at,
            r.expires_at,
            r.position,
        )
    ]


def progress_rows(record: CourseRecord) -> list[Row]:
    """The `progress` row of a record (per-module states as a JSON array)."""
    r = record
    modules = orjson.dumps([state.as_json() for state in r.modules.values()]).decode()
    return [
        (
            r.tenant,
            r.learner,
            r.course,
            r.revision,
            float(r.fraction),
            len(r.required),
            len(r.met),
            modules,
            r.last_activity_at,
            r.position,
        )
    ]


def score_rows(record: CourseRecord) -> list[Row]:
    """The `scores` rows of a record: one per module scored, and one for the course ('')."""
    r = record
    latest_at: dict[str, int] = {}
    counts: dict[str, int] = {}
    for attempt in r.attempts:
        counts[attempt.module] = counts.get(attempt.module, 0) + 1
        latest_at[attempt.module] = max(latest_at.get(attempt.module, attempt.at), attempt.at)
    rows: list[Row] = []
    if r.best is not None or r.latest is not None or counts.get(""):
        rows.append(
            (
                r.tenant,
                r.learner,
                r.course,
                "",
                counts.get("", 0),
                _float(r.best),
                _float(r.latest),
                latest_at.get(""),
                r.position,
            )
        )
    for module, state in sorted(r.modules.items()):
        if not module or (state.attempts == 0 and state.best is None and state.latest is None):
            continue
        rows.append(
            (
                r.tenant,
                r.learner,
                r.course,
                module,
                state.attempts,
                _float(state.best),
                _float(state.latest),
                latest_at.get(module, state.last_at),
                r.position,
            )
        )
    return rows


def attempt_rows(record: CourseRecord) -> list[Row]:
    """The `scores_attempts` rows of a record: every scored attempt (one per statement and
    module)."""
    r = record
    unique: dict[tuple[str, str], Row] = {}
    for a in r.attempts:
        unique[(a.module, a.statement)] = (
            r.tenant,
            r.learner,
            r.course,
            a.module,
            a.statement,
            float(a.scaled),
            _flag(a.success),
            a.at,
        )
    return list(unique.values())


def completion_rows(record: CourseRecord) -> list[Row]:
    """The `completions` rows of a record: each time its criteria became met."""
    r = record
    unique: dict[int, Row] = {}
    for c in r.completions:
        unique[c.completed_at] = (
            r.tenant,
            r.learner,
            r.course,
            c.completed_at,
            int(c.passed),
            _float(c.score),
            c.revision,
            c.expires_at,
            int(c.on_time),
            c.statement,
            r.position,
        )
    return list(unique.values())


def eligibility_rows(record: CourseRecord) -> list[Row]:
    """The `certificate_eligibility` row of a record (unmet criteria as a JSON array)."""
    r = record
    return [
        (
            r.tenant,
            r.learner,
            r.course,
            r.revision,
            r.eligibility,
            orjson.dumps(r.unmet).decode(),
            r.completed_at,
            r.due_at,
            r.expires_at,
            r.position,
        )
    ]


VIEW_ROWS: dict[str, Callable[[CourseRecord], list[Row]]] = {
    tables.ENROLLMENTS: enrollment_rows,
    tables.PROGRESS: progress_rows,
    tables.SCORES: score_rows,
    tables.SCORES_ATTEMPTS: attempt_rows,
    tables.COMPLETIONS: completion_rows,
    tables.CERTIFICATE_ELIGIBILITY: eligibility_rows,
}

_LEARNER = [("tenant", "text"), ("learner", "text"), ("course", "text")]
_COLUMNS: dict[str, list[tuple[str, str]]] = {
    tables.ENROLLMENTS: [
        *_LEARNER,
        ("revision", "int4"),
        ("status", "text"),
        ("source", "text"),
        ("path", "text"),
        ("enrolled_at", "int8"),
        ("started_at", "int8"),
        ("last_activity_at", "int8"),
        ("completed_at", "int8"),
        ("withdrawn_at", "int8"),
        ("due_at", "int8"),
        ("expires_at", "int8"),
        ("position", "int8"),
    ],
    tables.PROGRESS: [
        *_LEARNER,
        ("revision", "int4"),
        ("fraction", "float8"),
        ("required", "int4"),
        ("met", "int4"),
        ("modules", "text"),
        ("last_activity_at", "int8"),
        ("position", "int8"),
    ],
    tables.SCORES: [
        *_LEARNER,
        ("module", "text"),
        ("attempts", "int4"),
        ("best", "float8"),
        ("latest", "float8"),
        ("latest_at", "int8"),
        ("position", "int8"),
    ],
    tables.SCORES_ATTEMPTS: [
        *_LEARNER,
        ("module", "text"),
        ("statement", "text"),
        ("scaled", "float8"),
        ("success", "int4"),
        ("happened", "int8"),
    ],
    tables.COMPLETIONS: [
        *_LEARNER,
        ("completed_at", "int8"),
        ("passed", "int4"),
        ("score", "float8"),
        ("revision", "int4"),
        ("expires_at", "int8"),
        ("on_time", "int4"),
        ("statement", "text"),
        ("position", "int8"),
    ],
    tables.CERTIFICATE_ELIGIBILITY: [
        *_LEARNER,
        ("revision", "int4"),
        ("status", "text"),
        ("unmet", "text"),
        ("completed_at", "int8"),
        ("due_at", "int8"),
        ("expires_at", "int8"),
        ("position", "int8"),
    ],
}


def view_columns(table: str) -> tuple[str, list[str]]:
    """Return a view table's column list (for INSERT) and its PostgreSQL column types."""
    columns = _COLUMNS[table]
    return ", ".join(name for name, _ in columns), [kind for _, kind in columns]
