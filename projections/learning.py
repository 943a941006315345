"""The learning projections' logic: catalogue index, facts from statements, course records.

Everything here is pure (no I/O): the store feeds catalogue revisions and statements in log
order, and stores what comes out. The same functions serve the live projections, a rebuild
and the transcript as of any time, so all three agree.

**Facts** (`facts_of`). A statement says something about a learner in a course when:

- its actor is an Agent (a Group's statements give no facts; the learner is `ifi_key(actor)`);
- an Activity it names is a course in force (not retired) for the tenant or one of its modules:
  the object, or a `context.contextActivities` parent or grouping Activity. Per course the
  most specific level that matched wins (the object, then the parents, then the groupings):
  each module matched at that level gets a fact, or, when none is a module, the course itself
  does. The verb applies to what matched: "completed" on a lesson whose parent is a module
  completes the module. Statements that match no course give no facts.
- a learning path in force is the object of `registered`: one ENROLLED fact per course of the
  path in force, `path` set; with `unlockNext`, `after` names the previous course in force.

The verb gives the kind (ADL, cmi5, common verbs; see `VERB_KINDS`; any other verb on a
matched Activity is ACTIVITY). The result gives the rest: `scaled` = `result.score.scaled`, else
(raw - min) / (max - min); `success` = `result.success`, else the verb (passed / failed), else
the masteryScore of the module in the fact's revision (scaled ≥ masteryScore passes: an equal
score passes); `completed` = the verb `completed` or `result.completion: true`; `progress` = the
cmi5 progress extension (0-100) as 0..1; `minutes` = `result.duration` of an `attended`
statement (ISO 8601; a year counts 365 days, a month 30). `source` = the context extension
`SOURCE_EXTENSION` if a string, else "xapi". The fact's revision is the course revision in force
at the statement's log position; its `timestamp` is the statement's.

**Records** (`evaluate`), one per course the learner has facts in, from live facts only, in
the order (timestamp, position) whatever order they come in:

- Revisions: each fact is judged under the revision it names (the one in force when its
  statement was recorded): its success at extraction (masteryScore), and here whether the
  course completed with it (required modules, moveOn), the completion's validity and, for an
  enrollment, the deadline. The record shows the revision of the learner's latest fact in the
  course: its modules (their states, `required`, `met`) and its minimumScore. A completion
  under an earlier revision stands when a later one adds a module.
- Module satisfaction (cmi5 moveOn): Completed ← a completed fact; Passed ← a success; both
  for CompletedAndPassed (in any statements); either for CompletedOrPassed; NotApplicable is
  always satisfied; a `waived` or `satisfied` fact satisfies any module; summed attended minutes
  ≥ `attendanceMinutes` count as completed. Module state: waived > satisfied > passed >
  completed > failed (latest success is a failure) > in_progress > not_started.
- Required modules: `criteria.requiredModules`, else every module whose moveOn is not
  NotApplicable. The course completes when at least one module is required and every required
  one is satisfied, or on a course-level completed, satisfied or passing fact; the completion
  time is that of the fact that made it so. A completion is `passed` when a course-level pass
  made it, or a required module's moveOn is Passed / CompletedAndPassed, or a CompletedOrPassed
  module was passed.
- With `validityDays`, each completion expires validity days later, and recertification needs
  the modules again: the first fact that could satisfy something, timed after a completion,
  starts a new cycle in which every module is unsatisfied (until then the modules show the
  cycle that completed). Completion times therefore strictly increase. Without validity there
  is one completion; later facts update scores, progress and module states only.
- Course score: the best course-level score if any, else the mean of the best scores of the
  required modules that have scores (None when none has). `latest` likewise with latest scores.
- Enrollment: the first ENROLLED fact, or implicitly the first other fact (its source and path
  are the record's). An ENROLLED fact with `after` takes effect when the `after` course first
  completes (at the later of the two times); while it has not, it enrolls nothing, and a course
  with only such facts has no record. A WITHDRAWN fact withdraws; a later ENROLLED re-enrolls
  (a new enrollment: new `enrolled_at`, new due date); other facts do not. `due_at` =
  enrolled_at + deadlineDays. A completion is on time when it is the first of its enrollment
  and at or before `due_at` (or there is no deadline), or a later one (a recertification).
- Status (clock-independent): withdrawn > passed / completed (some completion) > failed (the
  latest fact with a success says failure) > in_progress (any fact but ENROLLED / WITHDRAWN) >
  enrolled.
- Eligibility: ELIGIBLE when the latest completion is on time and the course score meets
  minimumScore (if any); else NOT_YET with the unmet criteria as short sentences.
- Attempts: every fact with a score, module or course level. `position` is the newest fact
  position; `started_at` / `last_activity_at` the first / last fact that is neither ENROLLED nor
  WITHDRAWN.

**Read time** (`current`, `status_sql`, `eligibility_sql`): a completion whose `expires_at` is
at or before now makes the status and eligibility `expired` (a withdrawn status stays); a
deadline passed without completion adds "deadline passed" to the unmet criteria.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from projections.learning_catalogue import (
    NOT_APPLICABLE,
    PASS_MOVE_ON,
    CatalogueIndex,
    CourseSpec,
    ModuleSpec,
)
from projections.learning_model import (
    DAY_MS,
    ELIGIBLE,
    ENROLLED,
    EXPIRED,
    NOT_YET,
    SATISFIED,
    STATUS_COMPLETED,
    STATUS_ENROLLED,
    STATUS_EXPIRED,
    STATUS_FAILED,
    STATUS_IN_PROGRESS,
    STATUS_PASSED,
    STATUS_WITHDRAWN,
    WAIVED,
    WITHDRAWN,
    Attempt,
    Completion,
    CourseRecord,
    Fact,
    ModuleState,
)


# -- course records ------------------------------------------------------------------------------
def _order(fact: Fact) -> tuple[int, int, str]:
    return (fact.timestamp, fact.position, fact.module)


def evaluate(facts: Iterable[Fact], catalogue: CatalogueIndex) -> list[CourseRecord]:
    """Return a learner's course records from their live facts (see the module docstring).

    Args:
        facts: the learner's facts that are not voided, in any order (facts of several
            learners give each learner's records).
        catalogue: the catalogue holding every revision the facts name.

    Returns:
        One record per (tenant, learner, course) with facts, sorted by those keys; none for a
        course whose only facts are enrollments through a path waiting for a prerequisite, or
        whose revisions the catalogue does not know.
    """
    groups: dict[tuple[str, str, str], list[Fact]] = {}
    for fact in facts:
        groups.setdefault((fact.tenant, fact.learner, fact.course), []).append(fact)
    for group in groups.values():
        group.sort(key=_order)
    learner = _Evaluation(groups, catalogue)
    records = [learner.record(key) for key in sorted(groups)]
    return [record for record in records if record is not None]


@dataclass
class _Cycle:
    """A module's satisfaction since the course's latest completion (with validity)."""

    touched: bool = False
    completed: bool = False
    passed: bool = False
    failed: bool = False  # the latest success in the cycle is a failure
    minutes: float = 0.0
    waived: bool = False
    satisfied: bool = False

    def is_met(self, module: ModuleSpec) -> bool:
        """Return whether the module's moveOn is met in this cycle."""
        if self.waived or self.satisfied:
            return True
        completed = self.completed or (
            module.attendance is not None and self.minutes >= module.attendance
        )
        move_on = module.move_on
        if move_on == "Completed":
            return completed
        if move_on == "Passed":
            return self.passed
        if move_on == "CompletedAndPassed":
            return completed and self.passed
        if move_on == "CompletedOrPassed":
            return completed or self.passed
        return True  # NotApplicable

    def state(self, module: ModuleSpec) -> str:
        """Return the module's state string."""
        if self.waived:
            return "waived"
        if self.satisfied:
            return "satisfied"
        if self.passed:
            return "passed"
        if self.completed or (module.attendance is not None and self.minutes >= module.attendance):
            return "completed"
        if self.failed:
            return "failed"
        return "in_progress" if self.touched else "not_started"


@dataclass
class _Scores:
    """A module's (or the course's) scores and progress over every cycle."""

    best: float | None = None
    latest: float | None = None
    attempts: int = 0
    progress: float | None = None
    last_at: int | None = None

    def add(self, fact: Fact) -> None:
        """Count one fact."""
        self.last_at = fact.timestamp
        if fact.progress is not None:
            self.progress = fact.progress
        if fact.scaled is not None:
            self.attempts += 1
            self.latest = fact.scaled
            if self.best is None or fact.scaled > self.best:
                self.best = fact.scaled


def _satisfying(fact: Fact) -> bool:
    """Return whether a fact can count towards a module's or the course's satisfaction."""
    return (
        fact.completed
        or fact.success is not None
        or fact.minutes is not None
        or fact.kind in (SATISFIED, WAIVED)
    )


class _Evaluation:
    """One learner's courses, evaluated once each (a path's prerequisites first)."""

    def __init__(
        self, groups: Mapping[tuple[str, str, str], list[Fact]], catalogue: CatalogueIndex
    ) -> None:
        self._groups = groups
        self._catalogue = catalogue
        self._done: dict[tuple[str, str, str], CourseRecord | None] = {}
        self._busy: set[tuple[str, str, str]] = set()

    def first_completion(self, key: tuple[str, str, str]) -> int | None:
        """Return when a course first completed for the learner, or None (cycles: None)."""
        if key not in self._groups or key in self._busy:
            return None
        record = self.record(key)
        return record.completions[0].completed_at if record and record.completions else None

    def record(self, key: tuple[str, str, str]) -> CourseRecord | None:
        """Return the record of one course (memoised)."""
        if key in self._done:
            return self._done[key]
        self._busy.add(key)
        try:
            record = self._evaluate(key)
        finally:
            self._busy.discard(key)
        self._done[key] = record
        return record

    def _evaluate(self, key: tuple[str, str, str]) -> CourseRecord | None:
        tenant, learner, course = key
        facts = self._groups[key]
        spec = self._catalogue.spec(tenant, course, facts[-1].revision)
        if spec is None:
            return None
        events: list[tuple[int, int, str, Fact]] = []
        moved = False  # facts come in (timestamp, position, module) order: sort only if moved
        for fact in facts:
            at = fact.timestamp
            if fact.kind == ENROLLED and fact.after:
                unlocked = self.first_completion((tenant, learner, fact.after))
                if unlocked is None:
                    continue
                if unlocked > at:
                    at = unlocked
                    moved = True
            events.append((at, fact.position, fact.module, fact))
        if not events:
            return None
        if moved:
            events.sort(key=lambda e: (e[0], e[1], e[2]))
        specs = {spec.revision: spec}
        for fact in facts:
            if fact.revision not in specs:
                specs[fact.revision] = self._catalogue.spec(tenant, course, fact.revision) or spec
        walk = _Walk(spec, specs, events[0][3])
        for at, _, _, fact in events:
            walk.step(at, fact)
        return walk.record(tenant, learner, course, max(f.position for f in facts))


class _Walk:
    """The state of one course while a learner's facts are walked in time order."""

    def __init__(self, spec: CourseSpec, specs: Mapping[int, CourseSpec], first: Fact) -> None:
        self.spec = spec  # the revision the record shows
        self.specs = specs  # every revision a fact names
        self.source = first.source
        self.path = first.path
        self.enrolled_at: int | None = None
        self.due_at: int | None = None
        self.withdrawn_at: int | None = None
        self.completed_in_enrollment = False
        self.started_at: int | None = None
        self.last_activity_at: int | None = None
        self.latest_success: bool | None = None
        self.cycles: dict[str, _Cycle] = {}
        self.scores: dict[str, _Scores] = {}
        self.course = _Scores()
        self.attempts: list[Attempt] = []
        self.completions: list[Completion] = []
        self.done = False  # the current cycle has completed the course

    def enroll(self, at: int, fact: Fact) -> None:
        """Start an enrollment."""
        deadline = self.specs[fact.revision].deadline_days
        self.enrolled_at = at
        self.due_at = at + deadline * DAY_MS if deadline else None
        self.source = fact.source
        self.path = fact.path
        self.withdrawn_at = None
        self.completed_in_enrollment = False

    def step(self, at: int, fact: Fact) -> None:
        """Apply one fact, at its effective time."""
        if fact.kind == ENROLLED:
            if self.enrolled_at is None or self.withdrawn_at is not None:
                self.enroll(at, fact)
            return
        if fact.kind == WITHDRAWN:
            self.withdrawn_at = at
            return
        if self.enrolled_at is None and self.withdrawn_at is None:
            self.enroll(at, fact)
        if self.started_at is None:
            self.started_at = at
        self.last_activity_at = at
        if fact.success is not None:
            self.latest_success = fact.success
        if fact.scaled is not None:
            self.attempts.append(
                Attempt(fact.module, fact.statement, fact.scaled, fact.success, fact.timestamp)
            )
        if fact.module:
            self.scores.setdefault(fact.module, _Scores()).add(fact)
        else:
            self.course.add(fact)
        if not _satisfying(fact):
            if fact.module:
                self.cycles.setdefault(fact.module, _Cycle()).touched = True
            return
        if self.done:
            last = self.completions[-1]
            if last.expires_at is None or at <= last.completed_at:
                self._note(fact)  # module states still follow; no second completion (yet)
                return
            self.cycles = {}  # recertification: the modules start over
            self.done = False
        passed_course = self._note(fact)
        spec = self.specs[fact.revision]
        if fact.module:
            passed_course = False
            if not spec.required or not all(self._met(spec, key) for key in spec.required):
                return
        elif not (fact.completed or fact.kind == SATISFIED or fact.success is True):
            return
        self._complete(spec, at, fact, passed_course)

    def _note(self, fact: Fact) -> bool:
        """Record a satisfying fact in its module's cycle; return whether it passes the course."""
        if not fact.module:
            return fact.success is True
        cycle = self.cycles.setdefault(fact.module, _Cycle())
        cycle.touched = True
        if fact.completed:
            cycle.completed = True
        if fact.success is not None:
            cycle.passed = cycle.passed or fact.success
            cycle.failed = not fact.success
        if fact.minutes is not None:
            cycle.minutes += fact.minutes
        if fact.kind == WAIVED:
            cycle.waived = True
        elif fact.kind == SATISFIED:
            cycle.satisfied = True
        return False

    def _met(self, spec: CourseSpec, key: str) -> bool:
        module = spec.modules.get(key)
        if module is None:
            return False
        cycle = self.cycles.get(key)
        return module.move_on == NOT_APPLICABLE if cycle is None else cycle.is_met(module)

    def _complete(self, spec: CourseSpec, at: int, fact: Fact, passed_course: bool) -> None:
        passed = passed_course or any(
            self._passes(spec, key) for key in spec.required if key in spec.modules
        )
        validity = spec.validity_days * DAY_MS if spec.validity_days else None
        first = not self.completed_in_enrollment
        on_time = not first or self.due_at is None or at <= self.due_at
        self.completions.append(
            Completion(
                completed_at=at,
                passed=passed,
                score=self.score(spec)[0],
                revision=spec.revision,
                expires_at=at + validity if validity is not None else None,
                on_time=on_time,
                statement=fact.statement,
            )
        )
        self.completed_in_enrollment = True
        self.done = True

    def _passes(self, spec: CourseSpec, key: str) -> bool:
        move_on = spec.modules[key].move_on
        if move_on in PASS_MOVE_ON:
            return True
        cycle = self.cycles.get(key)
        return move_on == "CompletedOrPassed" and cycle is not None and cycle.passed

    def score(self, spec: CourseSpec) -> tuple[float | None, float | None]:
        """Return the course score now under a revision: (best, latest)."""
        if self.course.best is not None:
            return self.course.best, self.course.latest
        scored = [
            self.scores[m]
            for m in spec.required
            if m in self.scores and self.scores[m].best is not None
        ]
        if not scored:
            return None, None
        best = sum(s.best or 0.0 for s in scored) / len(scored)
        latest = sum(s.latest or 0.0 for s in scored) / len(scored)
        return best, latest

    def record(self, tenant: str, learner: str, course: str, position: int) -> CourseRecord:
        """Return the course record the walk arrived at."""
        spec = self.spec
        cycles, scores_of = self.cycles, self.scores
        modules: dict[str, ModuleState] = {}
        satisfied: dict[str, bool] = {}
        for key, module in spec.modules.items():
            cycle = cycles.get(key)
            if cycle is None:  # untouched (this cycle): what `_met` and `_Cycle()` say
                met_now = module.move_on == NOT_APPLICABLE
                attendance = module.attendance
                state = (
                    "completed" if attendance is not None and attendance <= 0.0 else "not_started"
                )
                minutes = 0.0
            else:
                met_now = cycle.is_met(module)
                state = cycle.state(module)
                minutes = cycle.minutes
            satisfied[key] = met_now
            scores = scores_of.get(key)
            if scores is None:
                modules[key] = ModuleState(
                    key, module.move_on, state, met_now, None, None, None, 0, minutes, None
                )
            else:
                modules[key] = ModuleState(
                    key,
                    module.move_on,
                    state,
                    met_now,
                    scores.progress,
                    scores.best,
                    scores.latest,
                    scores.attempts,
                    minutes,
                    scores.last_at,
                )
        required = list(spec.required)
        met = [key for key in required if satisfied.get(key, False)]
        best, latest = self.score(spec)
        last = self.completions[-1] if self.completions else None
        if self.withdrawn_at is not None:
            status = STATUS_WITHDRAWN
        elif last is not None:
            status = STATUS_PASSED if last.passed else STATUS_COMPLETED
        elif self.latest_success is False:
            status = STATUS_FAILED
        elif self.started_at is not None:
            status = STATUS_IN_PROGRESS
        else:
            status = STATUS_ENROLLED
        unmet: list[str] = []
        if last is None:
            sentences = spec.not_satisfied
            unmet.extend(sentences[key] for key in required if not satisfied.get(key, False))
            if not required:
                unmet.append("course not completed")
        elif not last.on_time:
            unmet.append("completed after the deadline")
        if spec.minimum_score is not None:
            if best is None:
                unmet.append(f"no course score (minimum {_number(spec.minimum_score)})")
            elif best < spec.minimum_score:
                unmet.append(
                    f"course score {_number(best)} below minimum {_number(spec.minimum_score)}"
                )
        return CourseRecord(
            tenant=tenant,
            learner=learner,
            course=course,
            revision=spec.revision,
            status=status,
            source=self.source,
            path=self.path,
            enrolled_at=self.enrolled_at,
            started_at=self.started_at,
            last_activity_at=self.last_activity_at,
            completed_at=last.completed_at if last else None,
            withdrawn_at=self.withdrawn_at,
            due_at=self.due_at,
            expires_at=last.expires_at if last else None,
            required=required,
            met=met,
            modules=modules,
            best=best,
            latest=latest,
            attempts=self.attempts,
            completions=self.completions,
            eligibility=ELIGIBLE if last is not None and not unmet else NOT_YET,
            unmet=unmet,
            position=position,
        )


def _number(value: float) -> str:
    return f"{round(value, 4):g}"


# -- read time -----------------------------------------------------------------------------------
class Current(NamedTuple):
    """A record's status, eligibility and unmet criteria as of a moment."""

    status: str
    eligibility: str
    unmet: list[str]


def current(
    expires_at: int | None,
    due_at: int | None,
    completed_at: int | None,
    status: str,
    eligibility: str,
    unmet: Sequence[str],
    now_ms: int,
) -> Current:
    """Return what a stored record means at `now_ms` (the rules `status_sql` and co. follow).

    A completion whose validity has run out (`expires_at` ≤ now) makes the eligibility and,
    unless the learner withdrew, the status `expired`; a deadline passed without a completion
    adds "deadline passed" to the unmet criteria.
    """
    unmet = list(unmet)
    expired = expires_at is not None and expires_at <= now_ms
    if expired:
        unmet.append("completion expired")
    if completed_at is None and due_at is not None and due_at <= now_ms:
        unmet.append("deadline passed")
    return Current(
        status=STATUS_EXPIRED if expired and status != STATUS_WITHDRAWN else status,
        eligibility=EXPIRED if expired else eligibility,
        unmet=unmet,
    )


def status_sql(now: str, prefix: str = "") -> str:
    """Return a SQL expression of an `enrollments` row's status at `now` (as `current`).

    Args:
        now: the SQL of the moment in ms (a placeholder or a literal); used once.
        prefix: a table alias with its dot (e.g. "e."), or "".
    """
    p = prefix
    return (
        f"CASE WHEN {p}expires_at <= {now} AND {p}status <> '{STATUS_WITHDRAWN}' "
        f"THEN '{STATUS_EXPIRED}' ELSE {p}status END"
    )


def eligibility_sql(now: str, prefix: str = "") -> str:
    """Return a SQL expression of a `certificate_eligibility` row's status at `now`.

    Args:
        now: the SQL of the moment in ms (a placeholder or a literal); used once.
        prefix: a table alias with its dot, or "".
    """
    p = prefix
    return f"CASE WHEN {p}expires_at <= {now} THEN '{EXPIRED}' ELSE {p}status END"


def overdue_sql(now: str, prefix: str = "") -> str:
    """Return a SQL condition: the deadline has passed at `now` without a completion."""
    p = prefix
    return f"({p}completed_at IS NULL AND {p}due_at <= {now})"
