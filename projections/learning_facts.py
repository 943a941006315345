"""Stage one of the learning projections: what a batch of the log gives `learning_facts`.

`parse` turns a batch of events (in log order) into rows, with no I/O and no lock: each
`Statement.Recorded` gives the facts it says under the catalogue in force at its position
(`projections.statement_facts.facts_of`) or, for a voiding statement, a void of its target; each
catalogue event gives a revision row and moves the catalogue index on. The rows' column
lists and PostgreSQL types are here too, with the conversion of a stored row back to a Fact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from eventsourcing.persistence import Mapper, Notification, StoredEvent

from ledger.catalogue import COURSE, RETIRED, topic_meaning
from ledger.statements import RECORDED_TOPIC
from ledger.xapi.equivalence import normalise_iri
from ledger.xapi.primitives import epoch_ms
from ledger.xapi.statement import VOIDED_VERB
from projections.learning_catalogue import CatalogueIndex
from projections.learning_model import Fact
from projections.statement_facts import facts_of
from projections.statement_index import stored_ms

FACT_COLUMNS = (
    "tenant, learner, course, module, statement, position, stored, happened, revision, kind, "
    "completed, success, scaled, progress, minutes, path, after_course, source, voided_stored"
)
FACT_TYPES = [
    *("text", "text", "text", "text", "text", "int8", "int8", "int8", "int4", "text", "int4"),
    *("int4", "float8", "float8", "float8", "text", "text", "text", "int8"),
]
CATALOGUE_COLUMNS = "tenant, kind, id, revision, document, retired, position, recorded"
CATALOGUE_TYPES = ["text", "text", "text", "int4", "text", "int4", "int8", "int8"]
VOID_COLUMNS = "tenant, statement, position, stored"
VOID_TYPES = ["text", "text", "int8", "int8"]


@dataclass
class Parsed:
    """A batch of the log worked out before the lock: the rows to write."""

    expected: int
    stop: int
    events: int
    catalogue: list[tuple[Any, ...]]
    facts: list[tuple[Any, ...]]
    voids: list[tuple[Any, ...]]


def parse(
    mapper: Mapper[Any],
    notifications: Sequence[Notification],
    position: int,
    stop: int,
    catalogue: CatalogueIndex,
) -> Parsed:
    """Work out the rows of the events in (position, stop] (`notifications`, in log order).

    `catalogue` (as of `position`) is brought forward to `stop`; `mapper` decodes catalogue
    events.
    """
    parsed = Parsed(position, stop, len(notifications), [], [], [])
    millis: dict[str, int] = {}  # a write's statements share one `stored`
    seen: set[tuple[str, str, str, str]] = set()
    for note in notifications:
        if note.topic == RECORDED_TOPIC:
            state = orjson.loads(note.state)
            tenant, statement = state["tenant"], state["statement"]
            stored = statement["stored"]
            at = millis.get(stored)
            if at is None:
                at = millis[stored] = stored_ms(stored)
            if statement["verb"]["id"] == VOIDED_VERB:
                target = str(statement["object"]["id"]).lower()
                parsed.voids.append((tenant, target, note.id, at))
                continue
            for fact in facts_of(tenant, note.id, at, statement, catalogue):
                key = (tenant, fact.statement, fact.course, fact.module)
                if key not in seen:  # one fact per statement, course and module
                    seen.add(key)
                    parsed.facts.append(fact_row(fact))
            continue
        kind, change = topic_meaning(note.topic) or (COURSE, "")
        retired = change == RETIRED
        event: Any = mapper.to_domain_event(
            StoredEvent(note.originator_id, note.originator_version, note.topic, note.state)
        )
        iri = normalise_iri(event.catalogue_id)
        revision = int(note.originator_version)
        document = None if retired else event.document
        if retired:  # the row keeps the last document
            kept = (
                catalogue.document(event.tenant, iri, revision)
                if kind == COURSE
                else catalogue.path(event.tenant, iri)
            )
        catalogue.apply(event.tenant, kind, iri, revision, document, retired)
        if retired:
            document = kept
        parsed.catalogue.append(
            (
                event.tenant,
                kind,
                iri,
                revision,
                orjson.dumps(document).decode(),
                int(retired),
                note.id,
                epoch_ms(event.timestamp),
            )
        )
    return parsed


def fact_row(fact: Fact) -> tuple[Any, ...]:
    """A fact as a `learning_facts` row (column order of `FACT_COLUMNS`)."""
    return (
        fact.tenant,
        fact.learner,
        fact.course,
        fact.module,
        fact.statement,
        fact.position,
        fact.stored,
        fact.timestamp,
        fact.revision,
        fact.kind,
        int(fact.completed),
        None if fact.success is None else int(fact.success),
        _float(fact.scaled),
        _float(fact.progress),
        _float(fact.minutes),
        fact.path,
        fact.after,
        fact.source,
        fact.voided_stored,
    )


def fact_of_row(row: tuple[Any, ...]) -> Fact:
    """Return the Fact a `learning_facts` row holds (column order of `FACT_COLUMNS`)."""
    (
        tenant,
        learner,
        course,
        module,
        statement,
        position,
        stored,
        happened,
        revision,
        kind,
        completed,
        success,
        scaled,
        progress,
        minutes,
        path,
        after,
        source,
        voided_stored,
    ) = row
    return Fact(
        tenant=tenant,
        learner=learner,
        course=course,
        module=module,
        statement=statement,
        position=int(position),
        stored=int(stored),
        timestamp=int(happened),
        revision=int(revision),
        kind=kind,
        completed=bool(completed),
        success=None if success is None else bool(success),
        scaled=_float(scaled),
        progress=_float(progress),
        minutes=_float(minutes),
        path=path,
        after=after,
        source=source,
        voided_stored=None if voided_stored is None else int(voided_stored),
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
