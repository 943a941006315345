"""The learning catalogue: Course and LearningPath aggregates and the catalogue commands.

A catalogue entry is kept under its IRI (compared normalised) within a tenant. Each change
is an event carrying the whole validated, normalised document, so every revision of a
course stays readable — the learning projections evaluate a learner's records under the
revision in force at the time. Event class names are stored as topics: a public contract
(`ledger.catalogue:Course.Defined`, `…:Course.Revised`, `…:Course.Retired`, and the same
for `LearningPath`).

- `Defined` (revision 1): the entry was created.
- `Revised` (revision 2, 3, …): the document changed, or a retired entry was put again
  (which reinstates it).
- `Retired`: the entry is withdrawn from the catalogue; it matches no statements from then
  on. Its last document is kept; putting it again reinstates it.

The revision of an event is its `originator_version`. Writes are optimistic on the aggregate
version: a writer that loses a race (stale version, or a duplicate create) reads the entry
again and decides again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from ledger.application import Ledger
from ledger.catalogue_validation import COURSE, KINDS, PATH, check_catalogue_document
from ledger.credentials import Principal
from ledger.errors import CatalogueNotFoundError, Problem, StoreBusyError
from ledger.ids import catalogue_aggregate_id

__all__ = [
    "CATALOGUE_TOPICS",
    "COURSE",
    "CREATED",
    "DEFINED",
    "KINDS",
    "PATH",
    "RETIRED",
    "REVISED",
    "UNCHANGED",
    "Catalogue",
    "CatalogueChange",
    "CatalogueEntry",
    "CatalogueItem",
    "Course",
    "LearningPath",
    "Revision",
    "topic_meaning",
]

#: Event names (the last part of each topic) and the history's change names.
DEFINED: Final = "defined"
REVISED: Final = "revised"
RETIRED: Final = "retired"
#: Outcomes of a write besides `revised` and `retired`.
CREATED: Final = "created"
UNCHANGED: Final = "unchanged"
_MAX_ATTEMPTS = 5


class CatalogueItem(Aggregate):
    """What a course and a learning path share: a document under an IRI, with revisions."""

    #: `course` or `path` (set by each subclass). No annotations on the class: the library
    #: would make them dataclass fields of the aggregate.
    kind = ""

    class Defined(Aggregate.Created):
        """The entry was created with its first document (revision 1)."""

        tenant: str
        catalogue_id: str
        document: dict[str, Any]

        def apply(self, aggregate: Aggregate) -> None:
            """Set up the entry from its first document."""
            cast(CatalogueItem, aggregate).take(self, DEFINED)

    class Revised(Aggregate.Event):
        """The entry's document was replaced (a retired entry is reinstated by it)."""

        tenant: str
        catalogue_id: str
        document: dict[str, Any]

        def apply(self, aggregate: Aggregate) -> None:
            """Take the new document; the entry is current again."""
            cast(CatalogueItem, aggregate).take(self, REVISED)

    class Retired(Aggregate.Event):
        """The entry was withdrawn from the catalogue (its last document is kept)."""

        tenant: str
        catalogue_id: str

        def apply(self, aggregate: Aggregate) -> None:
            """Mark the entry retired."""
            cast(CatalogueItem, aggregate).take(self, RETIRED)

    def take(
        self,
        event: CatalogueItem.Defined | CatalogueItem.Revised | CatalogueItem.Retired,
        change: str,
    ) -> None:
        """Apply one event: the document (unless retired), the flag, one more history item."""
        if change == DEFINED:
            self.tenant = event.tenant
            #: The IRI as first given; later events keep it, so the entry has one spelling.
            self.catalogue_id = event.catalogue_id
            self.history: list[Revision] = []
        if not isinstance(event, CatalogueItem.Retired):
            self.document: dict[str, Any] = event.document
        self.retired = change == RETIRED
        self.history.append(Revision(event.originator_version, event.timestamp, change))

    @classmethod
    def create_id(cls, tenant: str, catalogue_id: str, document: dict[str, Any]) -> UUID:
        """Return the aggregate id: uuid5 of the tenant namespace, the kind and the IRI."""
        return catalogue_aggregate_id(tenant, cls.kind, catalogue_id)

    @classmethod
    def define(
        cls, tenant: str, catalogue_id: str, document: dict[str, Any], when: datetime
    ) -> CatalogueItem:
        """Create an entry with its first document, recorded at `when`."""
        return cls._create(
            cls.Defined, tenant=tenant, catalogue_id=catalogue_id, document=document, timestamp=when
        )

    def revise(self, document: dict[str, Any], when: datetime) -> None:
        """Replace the document (and reinstate the entry if it was retired)."""
        self.trigger_event(
            self.Revised,
            tenant=self.tenant,
            catalogue_id=self.catalogue_id,
            document=document,
            timestamp=when,
        )

    def retire(self, when: datetime) -> None:
        """Withdraw the entry from the catalogue."""
        self.trigger_event(
            self.Retired, tenant=self.tenant, catalogue_id=self.catalogue_id, timestamp=when
        )


class Course(CatalogueItem):
    """A course: modules and the criteria of completing it (`schemas/v1/course.json`)."""

    kind = COURSE

    class Defined(CatalogueItem.Defined):
        """The course was created with its first document (revision 1)."""

    class Revised(CatalogueItem.Revised):
        """The course's document was replaced (a retired course is reinstated by it)."""

    class Retired(CatalogueItem.Retired):
        """The course was withdrawn from the catalogue."""


class LearningPath(CatalogueItem):
    """A learning path: an ordered list of courses (`schemas/v1/learning-path.json`)."""

    kind = PATH

    class Defined(CatalogueItem.Defined):
        """The path was created with its first document (revision 1)."""

    class Revised(CatalogueItem.Revised):
        """The path's document was replaced (a retired path is reinstated by it)."""

    class Retired(CatalogueItem.Retired):
        """The path was withdrawn from the catalogue."""


#: The aggregate class of each kind.
AGGREGATES: Final[dict[str, type[CatalogueItem]]] = {COURSE: Course, PATH: LearningPath}

_MEANING: Final[dict[str, tuple[str, str]]] = {
    get_topic(getattr(aggregate, name)): (kind, event)
    for kind, aggregate in AGGREGATES.items()
    for name, event in (("Defined", DEFINED), ("Revised", REVISED), ("Retired", RETIRED))
}
#: The topics of every catalogue event (for the projections' log reads).
CATALOGUE_TOPICS: Final = tuple(_MEANING)
COURSE_DEFINED_TOPIC: Final = get_topic(Course.Defined)
COURSE_REVISED_TOPIC: Final = get_topic(Course.Revised)
COURSE_RETIRED_TOPIC: Final = get_topic(Course.Retired)
PATH_DEFINED_TOPIC: Final = get_topic(LearningPath.Defined)
PATH_REVISED_TOPIC: Final = get_topic(LearningPath.Revised)
PATH_RETIRED_TOPIC: Final = get_topic(LearningPath.Retired)


def topic_meaning(topic: str) -> tuple[str, str] | None:
    """Return (kind, event) of a catalogue event topic — kind `course` or `path`, event
    `defined`, `revised` or `retired` — or None for a topic of another event."""
    return _MEANING.get(topic)


@dataclass(frozen=True)
class Revision:
    """One event in an entry's history: its revision number, when it was recorded, and the
    change (`defined`, `revised` or `retired`)."""

    revision: int
    recorded: datetime
    change: str


@dataclass(frozen=True)
class CatalogueEntry:
    """A catalogue entry as of one revision, with the entry's whole revision history."""

    kind: str
    catalogue_id: str
    document: dict[str, Any]
    revision: int
    retired: bool
    recorded: datetime
    revisions: tuple[Revision, ...]


@dataclass(frozen=True)
class CatalogueChange:
    """What a catalogue write did: `created`, `revised`, `retired` or `unchanged`; the entry
    after it; and the log position of the event written (None when nothing was written)."""

    outcome: str
    entry: CatalogueEntry
    position: int | None

    @property
    def created(self) -> bool:
        """Whether the write created the entry."""
        return self.outcome == CREATED


def _entry(item: CatalogueItem, history: list[Revision]) -> CatalogueEntry:
    """The entry `item` describes (as of its version), with the given history."""
    return CatalogueEntry(
        kind=item.kind,
        catalogue_id=item.catalogue_id,
        document=item.document,
        revision=item.version,
        retired=item.retired,
        recorded=item.modified_on,
        revisions=tuple(history),
    )


def _check_kind(kind: str) -> type[CatalogueItem]:
    if kind not in AGGREGATES:
        raise ValueError(f"unknown catalogue kind {kind!r}; expected one of {KINDS}")
    return AGGREGATES[kind]


class Catalogue:
    """The catalogue commands and queries of a Ledger: put, retire, get."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def _find(self, aggregate_id: UUID, version: int | None = None) -> CatalogueItem | None:
        try:
            return cast(CatalogueItem, self.ledger.repository.get(aggregate_id, version=version))
        except AggregateNotFoundError:
            return None

    def _save(self, item: CatalogueItem) -> int | None:
        """Save the pending event; return its log position (None: a racing writer won)."""
        try:
            recordings = self.ledger.save(item)
        except IntegrityError as ex:
            if not self.ledger.bulk.is_duplicate_event(ex):
                raise
            return None
        positions = [r.notification.id for r in recordings]
        return max(positions) if positions else None

    def put(
        self, principal_or_tenant: Principal | str, kind: str, document: Any
    ) -> CatalogueChange:
        """Create or revise a course (`kind` `course`) or learning path (`path`).

        The document is validated and normalised first. A new IRI is `Defined`; different
        content, or any content for a retired entry, is `Revised`; the same content for a
        current entry stores nothing (`unchanged`).

        Raises:
            InvalidCatalogueError: the document breaks a rule (details name each field).
            StoreBusyError: racing writers kept winning.
        """
        aggregate = _check_kind(kind)
        tenant = _tenant(principal_or_tenant)
        normalised = check_catalogue_document(kind, document)
        iri = normalised["id"]
        aggregate_id = catalogue_aggregate_id(tenant, kind, iri)
        for _ in range(_MAX_ATTEMPTS):
            item = self._find(aggregate_id)
            if item is None:
                item = aggregate.define(tenant, iri, normalised, self.ledger.clock())
                outcome = CREATED
            elif item.document == normalised and not item.retired:
                return CatalogueChange(UNCHANGED, _entry(item, item.history), None)
            else:
                item.revise(normalised, self.ledger.clock())
                outcome = REVISED
            position = self._save(item)
            if position is not None:
                return CatalogueChange(outcome, _entry(item, item.history), position)
        raise StoreBusyError(f"could not store the {kind} {iri!r}: it kept changing; retry")

    def retire(self, tenant: str, kind: str, iri: str) -> CatalogueChange:
        """Withdraw a course or learning path; retiring a retired entry stores nothing.

        Raises:
            CatalogueNotFoundError: there is no such entry.
            StoreBusyError: racing writers kept winning.
        """
        _check_kind(kind)
        aggregate_id = catalogue_aggregate_id(tenant, kind, iri)
        for _ in range(_MAX_ATTEMPTS):
            item = self._find(aggregate_id)
            if item is None:
                raise _not_found(kind, iri)
            if item.retired:
                return CatalogueChange(UNCHANGED, _entry(item, item.history), None)
            item.retire(self.ledger.clock())
            position = self._save(item)
            if position is not None:
                return CatalogueChange(RETIRED, _entry(item, item.history), position)
        raise StoreBusyError(f"could not retire the {kind} {iri!r}: it kept changing; retry")

    def get(self, tenant: str, kind: str, iri: str, revision: int | None = None) -> CatalogueEntry:
        """Return a course or learning path as of its latest revision, or of `revision`.

        A retired entry is returned too (`retired` true). The history lists every revision.

        Raises:
            CatalogueNotFoundError: there is no such entry, or no such revision of it.
        """
        _check_kind(kind)
        aggregate_id = catalogue_aggregate_id(tenant, kind, iri)
        item = self._find(aggregate_id)
        if item is None:
            raise _not_found(kind, iri)
        if revision is None or revision == item.version:
            return _entry(item, item.history)
        if not 1 <= revision <= item.version:
            raise CatalogueNotFoundError(
                f"the {kind} {iri!r} has no revision {revision}: its revisions are 1 to "
                f"{item.version}",
                [Problem("?revision", f"must be between 1 and {item.version}")],
            )
        old = self._find(aggregate_id, version=revision)
        if old is None:  # pragma: no cover - the entry exists, so its first revision does
            raise _not_found(kind, iri)
        return _entry(old, item.history)


def _tenant(principal_or_tenant: Principal | str) -> str:
    if isinstance(principal_or_tenant, str):
        return principal_or_tenant
    return principal_or_tenant.tenant


def _not_found(kind: str, iri: str) -> CatalogueNotFoundError:
    noun = "course" if kind == COURSE else "learning path"
    return CatalogueNotFoundError(f"there is no {noun} with id {iri!r} in the catalogue")
