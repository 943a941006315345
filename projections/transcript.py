"""A learner's transcript as it stood at any time: their facts replayed under the catalogue then.

Nothing is read from the report views: the learner's facts stored by time T and not voided by
T (`learning_facts`) are evaluated again (`projections.learning.evaluate`) under the course
revisions recorded by T (`learning_catalogue`), and the read-time rules (`current`) are applied
at T. As of now, this gives what the live projections hold for the learner.
"""

from __future__ import annotations

from typing import Any

from ledger.application import Ledger
from ledger.errors import ProjectionsBehindError
from ledger.xapi.ifi import agent_of_key
from ledger.xapi.primitives import format_timestamp, from_epoch_ms
from projections import learning_tables as tables
from projections.learners import learner_id
from projections.learning import current, evaluate
from projections.learning_catalogue import COURSE, CatalogueIndex
from projections.learning_model import CourseRecord, Fact
from projections.learning_store import LearningProjections
from projections.reading import StoreReader

Json = dict[str, Any]

#: Seconds a transcript waits for the facts to reach the log's head before answering 503.
WAIT_SECONDS = 5.0


def _time(value: int | None) -> str | None:
    return None if value is None else format_timestamp(from_epoch_ms(value))


def live_at(facts: list[Fact], as_of: int) -> list[Fact]:
    """The facts stored by `as_of` and not voided by then."""
    return [
        fact
        for fact in facts
        if fact.stored <= as_of and (fact.voided_stored is None or fact.voided_stored > as_of)
    ]


def course_json(record: CourseRecord, as_of: int) -> Json:
    """Return one course of a transcript: the record as it reads at `as_of`."""
    now = current(
        record.expires_at,
        record.due_at,
        record.completed_at,
        record.status,
        record.eligibility,
        record.unmet,
        as_of,
    )
    modules = []
    for state in record.modules.values():
        module = state.as_json()
        module["last_at"] = _time(state.last_at)
        modules.append(module)
    return {
        "course": record.course,
        "revision": record.revision,
        "status": now.status,
        "source": record.source,
        "path": record.path or None,
        "enrolled_at": _time(record.enrolled_at),
        "started_at": _time(record.started_at),
        "last_activity_at": _time(record.last_activity_at),
        "completed_at": _time(record.completed_at),
        "withdrawn_at": _time(record.withdrawn_at),
        "due_at": _time(record.due_at),
        "expires_at": _time(record.expires_at),
        "overdue": record.completed_at is None
        and record.due_at is not None
        and record.due_at <= as_of,
        "progress": {
            "fraction": record.fraction,
            "required": list(record.required),
            "met": list(record.met),
            "modules": modules,
        },
        "scores": {
            "best": record.best,
            "latest": record.latest,
            "attempts": [
                {
                    "module": attempt.module or None,
                    "statement": attempt.statement,
                    "scaled": attempt.scaled,
                    "success": attempt.success,
                    "at": _time(attempt.at),
                }
                for attempt in record.attempts
            ],
        },
        "completions": [
            {
                "completed_at": _time(completion.completed_at),
                "passed": completion.passed,
                "score": completion.score,
                "revision": completion.revision,
                "expires_at": _time(completion.expires_at),
                "expired": completion.expires_at is not None and completion.expires_at <= as_of,
                "on_time": completion.on_time,
                "statement": completion.statement,
            }
            for completion in record.completions
        ],
        "eligibility": {"status": now.eligibility, "unmet": now.unmet},
    }


class Transcripts(StoreReader):
    """Builds learners' transcripts from the learning facts and catalogue of a Ledger's store."""

    def __init__(self, ledger: Ledger, projections: LearningProjections | None = None) -> None:
        super().__init__(ledger)
        self.projections = projections or LearningProjections(ledger)

    def catalogue_as_of(
        self, tenant: str, courses: list[str], as_of: int, position: int
    ) -> CatalogueIndex:
        """The revisions of `courses` recorded by `as_of` (or in the log by `position`, so
        every revision a fact names is there whatever the clocks said)."""
        if not courses:
            return CatalogueIndex()
        marks = ", ".join(["%s"] * len(courses))
        rows = self._rows(
            "SELECT tenant, kind, id, revision, document, retired "
            f"FROM {self.prefix}{tables.CATALOGUE} "
            f"WHERE tenant = %s AND kind = %s AND id IN ({marks}) "
            "AND (recorded <= %s OR position <= %s) ORDER BY position",
            [tenant, COURSE, *courses, as_of, position],
        )
        return CatalogueIndex.of_rows(rows)

    def records(self, tenant: str, learner: str, as_of: int) -> list[CourseRecord]:
        """Return the learner's course records from their facts as they stood at `as_of`."""
        facts = live_at(self.projections.select_facts(tenant, learner, stored_by=as_of), as_of)
        if not facts:
            return []
        courses = sorted({fact.course for fact in facts})
        position = max(fact.position for fact in facts)
        return evaluate(facts, self.catalogue_as_of(tenant, courses, as_of, position))

    def transcript(self, tenant: str, learner: str, as_of: int, wait: float = WAIT_SECONDS) -> Json:
        """Return the learner's transcript at `as_of` (ms): every course they had facts in.

        The facts are caught up to the log's head first (waiting at most `wait` seconds), so
        every statement stored so far counts; ProjectionsBehindError when they cannot be.
        """
        head = self.projections.head()
        if not self.projections.wait_for(head, wait):
            raise ProjectionsBehindError(
                f"the learning projections have not reached log position {head} yet; retry "
                "after a moment"
            )
        return {
            "learner_id": learner_id(learner),
            "learner": agent_of_key(learner),
            "as_of": _time(as_of),
            "courses": [
                course_json(record, as_of) for record in self.records(tenant, learner, as_of)
            ],
        }
