"""Facts from statements (`facts_of`): what one statement says about a learner in a course,
judged under the catalogue revision in force when it was recorded (the rules are written at
the top of `projections.learning`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeGuard

from ledger.xapi.equivalence import normalise_iri
from ledger.xapi.ifi import ifi_key
from ledger.xapi.primitives import epoch_ms, parse_timestamp
from projections.learning_catalogue import (
    CatalogueIndex,
    CourseSpec,
    ModuleSpec,
    match_activities,
)
from projections.learning_model import (
    ACTIVITY,
    ATTENDED,
    COMPLETED,
    ENROLLED,
    FAILED,
    PASSED,
    PROGRESSED,
    SATISFIED,
    SCORED,
    WAIVED,
    WITHDRAWN,
    Fact,
    Json,
)

_ADL = "http://adlnet.gov/expapi/verbs/"
_ADL_XAPI = "https://w3id.org/xapi/adl/verbs/"
#: Verb id → fact kind; any other verb on a matched Activity gives ACTIVITY.
VERB_KINDS: Final[Mapping[str, str]] = {
    _ADL + "registered": ENROLLED,
    _ADL + "launched": ACTIVITY,
    _ADL + "initialized": ACTIVITY,
    _ADL + "progressed": PROGRESSED,
    _ADL + "completed": COMPLETED,
    _ADL + "passed": PASSED,
    _ADL + "failed": FAILED,
    _ADL + "scored": SCORED,
    _ADL + "attended": ATTENDED,
    _ADL + "terminated": ACTIVITY,
    _ADL_XAPI + "satisfied": SATISFIED,
    _ADL_XAPI + "waived": WAIVED,
    _ADL_XAPI + "abandoned": ACTIVITY,
    "http://id.tincanapi.com/verb/unregistered": WITHDRAWN,
    "https://learning-ledger.dev/xapi/verbs/withdrew": WITHDRAWN,
}
REGISTERED: Final = _ADL + "registered"
#: cmi5 progress (0-100) in `result.extensions`.
PROGRESS_EXTENSION: Final = "https://w3id.org/xapi/cmi5/result/extensions/progress"
#: A trigger system's name in `context.extensions` (the fact's `source`).
SOURCE_EXTENSION: Final = "https://learning-ledger.dev/xapi/extensions/source"

# ISO 8601 duration (already validated by the ledger): the components that count as minutes.
_DURATION: Final = re.compile(
    r"P(?:(?P<w>[0-9.,]+)W)?(?:(?P<y>[0-9.,]+)Y)?(?:(?P<mo>[0-9.,]+)M)?(?:(?P<d>[0-9.,]+)D)?"
    r"(?:T(?:(?P<h>[0-9.,]+)H)?(?:(?P<mi>[0-9.,]+)M)?(?:(?P<s>[0-9.,]+)S)?)?"
)
_DURATION_MINUTES: Final = (
    ("w", 7 * 1440.0),
    ("y", 365 * 1440.0),
    ("mo", 30 * 1440.0),
    ("d", 1440.0),
    ("h", 60.0),
    ("mi", 1.0),
    ("s", 1 / 60),
)


# -- facts ---------------------------------------------------------------------------------------
def facts_of(
    tenant: str,
    position: int,
    stored_ms: int,
    statement: Json,
    catalogue: CatalogueIndex,
) -> list[Fact]:
    """Return what a stored statement says about its learner in the courses in force.

    Args:
        tenant: the statement's tenant.
        position: the log position of its `Recorded` event.
        stored_ms: when it was stored (ms).
        statement: the statement as stored (with `timestamp` and `stored`).
        catalogue: the catalogue as of `position`.

    Returns:
        One fact per (course, module) the statement is about (see the module docstring);
        none when it names no Activity of a course in force or its actor is a Group.
    """
    state = catalogue.entries(tenant)
    if state is None:
        return []
    obj = statement["object"]
    object_id = obj.get("id") if obj.get("objectType", "Activity") == "Activity" else None
    matches = match_activities(state, object_id, statement.get("context"))
    verb = statement["verb"]["id"]
    kind = VERB_KINDS.get(verb)
    if kind is None:
        kind = VERB_KINDS.get(normalise_iri(verb), ACTIVITY)
    path = None
    if kind == ENROLLED and object_id is not None and state.paths:
        path = state.paths.get(normalise_iri(object_id))
    if not matches and path is None:
        return []
    actor = statement["actor"]
    if actor.get("objectType") == "Group":
        return []
    learner = ifi_key(actor)
    if learner is None:
        return []
    base = _Base.of(tenant, learner, position, stored_ms, statement, kind)
    facts: list[Fact] = []
    seen: set[str] = set()
    if path is not None:
        path_key = normalise_iri(path["id"])
        previous = ""
        for course_id in path["courses"]:
            course = normalise_iri(course_id)
            spec = state.current.get(course)
            if spec is None or course in seen:
                continue  # a retired course is skipped: the next one follows the one before
            seen.add(course)
            after = previous if path.get("unlockNext") else ""
            facts.append(base.fact(spec, None, path=path_key, after=after))
            previous = course
    for match in matches:
        if match.course not in seen:
            module = match.spec.modules[match.module] if match.module else None
            facts.append(base.fact(match.spec, module))
    return facts


@dataclass(frozen=True, slots=True)
class _Base:
    """What a statement says, whichever course it is matched to."""

    tenant: str
    learner: str
    statement: str
    position: int
    stored: int
    timestamp: int
    kind: str
    completed: bool
    success: bool | None
    scaled: float | None
    progress: float | None
    minutes: float | None
    source: str

    @classmethod
    def of(
        cls,
        tenant: str,
        learner: str,
        position: int,
        stored_ms: int,
        statement: Json,
        kind: str,
    ) -> _Base:
        completed = kind == COMPLETED
        success: bool | None = True if kind == PASSED else False if kind == FAILED else None
        scaled = progress = minutes = None
        result = statement.get("result")
        if result is not None:
            if result.get("completion") is True:
                completed = True
            given = result.get("success")
            if type(given) is bool:
                success = given
            score = result.get("score")
            if score is not None:
                scaled = _scaled(score)
            extensions = result.get("extensions")
            if extensions is not None:
                value = extensions.get(PROGRESS_EXTENSION)
                if _is_number(value):
                    progress = min(max(float(value), 0.0), 100.0) / 100.0
            if kind == ATTENDED:
                duration = result.get("duration")
                if isinstance(duration, str):
                    minutes = duration_minutes(duration)
        source = "xapi"
        context = statement.get("context")
        if context is not None:
            extensions = context.get("extensions")
            if extensions is not None:
                given_source = extensions.get(SOURCE_EXTENSION)
                if isinstance(given_source, str) and given_source:
                    source = given_source
        return cls(
            tenant=tenant,
            learner=learner,
            statement=statement["id"].lower(),
            position=position,
            stored=stored_ms,
            timestamp=timestamp_ms(statement["timestamp"]),
            kind=kind,
            completed=completed,
            success=success,
            scaled=scaled,
            progress=progress,
            minutes=minutes,
            source=source,
        )

    def fact(
        self,
        spec: CourseSpec,
        module_spec: ModuleSpec | None,
        path: str = "",
        after: str = "",
    ) -> Fact:
        """Return the fact about a course (or a module of it) under the revision `spec`."""
        success = self.success
        if (
            success is None
            and self.scaled is not None
            and module_spec is not None
            and module_spec.mastery is not None
        ):
            success = self.scaled >= module_spec.mastery
        return Fact(
            tenant=self.tenant,
            learner=self.learner,
            course=spec.key,
            module=module_spec.key if module_spec is not None else "",
            statement=self.statement,
            position=self.position,
            stored=self.stored,
            timestamp=self.timestamp,
            revision=spec.revision,
            kind=self.kind,
            completed=self.completed,
            success=success,
            scaled=self.scaled,
            progress=self.progress,
            minutes=self.minutes,
            path=path,
            after=after,
            source=self.source,
        )


def _is_number(value: object) -> TypeGuard[float]:
    return (type(value) is int or type(value) is float) and value == value


def _scaled(score: Json) -> float | None:
    """Return a score as scaled: `scaled`, else (raw - min) / (max - min), else None."""
    scaled = score.get("scaled")
    if _is_number(scaled):
        return float(scaled)
    raw, low, high = score.get("raw"), score.get("min"), score.get("max")
    if _is_number(raw) and _is_number(low) and _is_number(high) and high > low:
        return (float(raw) - float(low)) / (float(high) - float(low))
    return None


def duration_minutes(duration: str) -> float | None:
    """Return an ISO 8601 duration in minutes (a year = 365 days, a month = 30), or None."""
    match = _DURATION.fullmatch(duration)
    if match is None:
        return None
    minutes = 0.0
    for name, factor in _DURATION_MINUTES:
        value = match[name]
        if value is not None:
            minutes += float(value.replace(",", ".")) * factor
    return minutes


def timestamp_ms(value: str) -> int:
    """Return an xAPI timestamp as ms since the epoch (fast for the stored form)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = parse_timestamp(value)
    if moment.tzinfo is None:
        moment = parse_timestamp(value)
    return epoch_ms(moment)
