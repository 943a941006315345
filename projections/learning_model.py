"""The shapes the learning projections share: facts drawn from statements, course records.

A `Fact` is what one statement says about one learner in one course (or one module of it),
judged under the catalogue revision in force when the statement was recorded. A learner's
`CourseRecord`s are a pure function of their facts and the course revisions
(`projections.learning.evaluate`): the projections store them, the transcript recomputes them
as of any time. Times are integer milliseconds since the Unix epoch (UTC).

A record holds only what does not depend on the wall clock; what does (a completion that has
expired, a deadline that has passed) is decided when it is read (`projections.learning.
current`), so a rebuild gives the same rows whenever it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

# -- fact kinds (what a statement says) ---------------------------------------------------------
ENROLLED = "enrolled"  # registered (in a course, or in a learning path)
WITHDRAWN = "withdrawn"  # unregistered / withdrew
ACTIVITY = "activity"  # launched, initialized, terminated, or anything else matched to a course
PROGRESSED = "progressed"  # progressed (cmi5 progress extension, 0-100 → 0..1)
COMPLETED = "completed"
PASSED = "passed"
FAILED = "failed"
SCORED = "scored"  # a score without success (mastery may decide it)
ATTENDED = "attended"
SATISFIED = "satisfied"
WAIVED = "waived"
KINDS = (
    ENROLLED,
    WITHDRAWN,
    ACTIVITY,
    PROGRESSED,
    COMPLETED,
    PASSED,
    FAILED,
    SCORED,
    ATTENDED,
    SATISFIED,
    WAIVED,
)

# -- enrollment statuses ------------------------------------------------------------------------
STATUS_ENROLLED = "enrolled"
STATUS_IN_PROGRESS = "in_progress"
STATUS_COMPLETED = "completed"
STATUS_PASSED = "passed"
STATUS_FAILED = "failed"
STATUS_WITHDRAWN = "withdrawn"
STATUS_EXPIRED = "expired"  # read time only: the latest completion's validity has run out
STATUSES = (
    STATUS_ENROLLED,
    STATUS_IN_PROGRESS,
    STATUS_COMPLETED,
    STATUS_PASSED,
    STATUS_FAILED,
    STATUS_WITHDRAWN,
    STATUS_EXPIRED,
)

# -- certificate eligibility --------------------------------------------------------------------
ELIGIBLE = "eligible"
NOT_YET = "not_yet"
EXPIRED = "expired"  # read time only
ELIGIBILITIES = (ELIGIBLE, NOT_YET, EXPIRED)

# -- cmi5 moveOn --------------------------------------------------------------------------------
MOVE_ON = ("Completed", "Passed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")

DAY_MS = 86_400_000


@dataclass(frozen=True)
class Fact:
    """What one statement says about one learner in one course (module '' = the course)."""

    tenant: str
    learner: str  # the actor's IFI key (`ledger.xapi.ifi.ifi_key`)
    course: str  # the course id, comparison form (`normalise_iri`)
    module: str  # the module id, comparison form, or "" for the course itself
    statement: str  # the statement id, lower-case
    position: int  # log position of the statement's `Recorded` event
    stored: int  # ms: when the ledger stored the statement
    timestamp: int  # ms: when it happened (the statement's timestamp)
    revision: int  # the course revision in force at `position`
    kind: str  # one of KINDS
    completed: bool = False  # the statement says the (module or course) is completed
    success: bool | None = None  # passed (True) / failed (False), mastery applied; None: silent
    scaled: float | None = None  # score, scaled -1..1 (or from raw/min/max)
    progress: float | None = None  # 0..1
    minutes: float | None = None  # attended duration
    path: str = ""  # the learning path enrolled through, comparison form, or ""
    after: str = ""  # for a path with unlockNext: the course that must complete first, or ""
    source: str = "xapi"  # where the fact came from (a trigger system's name, or "xapi")
    voided_stored: int | None = None  # ms: when a voiding statement was stored, if voided


@dataclass
class ModuleState:
    """One module of a course for one learner."""

    module: str
    move_on: str
    state: str  # not_started / in_progress / completed / passed / failed / satisfied / waived
    satisfied: bool = False  # the module's moveOn is met
    progress: float | None = None
    best: float | None = None
    latest: float | None = None
    attempts: int = 0
    minutes: float = 0.0
    last_at: int | None = None

    def as_json(self) -> Json:
        """Return the module state as stored and shown."""
        return {
            "module": self.module,
            "moveOn": self.move_on,
            "state": self.state,
            "satisfied": self.satisfied,
            "progress": self.progress,
            "best": self.best,
            "latest": self.latest,
            "attempts": self.attempts,
            "minutes": self.minutes,
            "last_at": self.last_at,
        }


@dataclass(frozen=True)
class Attempt:
    """One scored attempt (module '' = a score of the course itself)."""

    module: str
    statement: str
    scaled: float
    success: bool | None
    at: int


@dataclass(frozen=True)
class Completion:
    """One time the course's completion criteria became met (again, after an expiry)."""

    completed_at: int
    passed: bool
    score: float | None
    revision: int
    expires_at: int | None
    on_time: bool  # completed by the deadline (True when there is none)
    statement: str  # the statement that completed it


@dataclass
class CourseRecord:
    """A learner's record in one course, as of their latest fact (clock-independent)."""

    tenant: str
    learner: str
    course: str
    revision: int  # the course revision used: the one in force at the latest fact
    status: str  # STATUSES but STATUS_EXPIRED
    source: str = "xapi"
    path: str = ""
    enrolled_at: int | None = None
    started_at: int | None = None
    last_activity_at: int | None = None
    completed_at: int | None = None  # the latest completion
    withdrawn_at: int | None = None
    due_at: int | None = None  # enrolled_at + deadline
    expires_at: int | None = None  # latest completion + validity
    required: list[str] = field(default_factory=list)
    met: list[str] = field(default_factory=list)
    modules: dict[str, ModuleState] = field(default_factory=dict)
    best: float | None = None  # the course score: best, latest, attempts
    latest: float | None = None
    attempts: list[Attempt] = field(default_factory=list)
    completions: list[Completion] = field(default_factory=list)
    eligibility: str = NOT_YET  # ELIGIBLE or NOT_YET (EXPIRED is decided at read time)
    unmet: list[str] = field(default_factory=list)  # criteria not met, as short sentences
    position: int = 0  # the newest log position among the facts used

    @property
    def fraction(self) -> float:
        """The share of required modules met (1.0 when none are required and it completed)."""
        if not self.required:
            return 1.0 if self.completed_at is not None else 0.0
        return len(self.met) / len(self.required)
