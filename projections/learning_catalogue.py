"""The catalogue as the learning projections see it: every course and path revision, and
which is in force at a log position (`CatalogueIndex`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, NamedTuple

import orjson

from ledger.xapi.equivalence import normalise_iri
from projections.learning_model import (
    Json,
)

#: Catalogue kinds (`learning_catalogue.kind`, the prefix of the aggregate id's name).
COURSE: Final = "course"
PATH: Final = "path"
MOVE_ON_DEFAULT = "Completed"
NOT_APPLICABLE = "NotApplicable"
PASS_MOVE_ON = frozenset({"Passed", "CompletedAndPassed"})
CONTEXT_LEVELS = ("parent", "grouping")


# -- the catalogue -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModuleSpec:
    """One module of a course revision, ids in comparison form."""

    id: str  # as the document gives it
    key: str  # comparison form
    move_on: str
    mastery: float | None
    attendance: float | None


@dataclass(frozen=True)
class CourseSpec:
    """One course revision, read for matching and evaluation."""

    id: str  # as the document gives it
    key: str  # comparison form
    revision: int
    document: Json
    modules: dict[str, ModuleSpec]  # by comparison form, in document order
    required: tuple[str, ...]  # comparison forms
    minimum_score: float | None
    deadline_days: int | None
    validity_days: int | None

    @classmethod
    def of(cls, document: Json, revision: int) -> CourseSpec:
        """Return the spec of a (validated) course document."""
        modules: dict[str, ModuleSpec] = {}
        for module in document.get("modules") or ():
            key = normalise_iri(module["id"])
            mastery = module.get("masteryScore")
            attendance = module.get("attendanceMinutes")
            modules[key] = ModuleSpec(
                id=module["id"],
                key=key,
                move_on=module.get("moveOn") or MOVE_ON_DEFAULT,
                mastery=None if mastery is None else float(mastery),
                attendance=None if attendance is None else float(attendance),
            )
        criteria = document.get("criteria") or {}
        listed = criteria.get("requiredModules")
        if listed is None:
            required = tuple(k for k, m in modules.items() if m.move_on != NOT_APPLICABLE)
        else:
            required = tuple(dict.fromkeys(normalise_iri(i) for i in listed))
        minimum = criteria.get("minimumScore")
        return cls(
            id=document["id"],
            key=normalise_iri(document["id"]),
            revision=revision,
            document=document,
            modules=modules,
            required=required,
            minimum_score=None if minimum is None else float(minimum),
            deadline_days=criteria.get("deadlineDays"),
            validity_days=criteria.get("validityDays"),
        )

    def module_id(self, key: str) -> str:
        """Return a module's id as the document gives it (the key itself if unknown)."""
        module = self.modules.get(key)
        return module.id if module is not None else key

    @cached_property
    def not_satisfied(self) -> dict[str, str]:
        """The unmet criterion of each required module, by comparison form."""
        return {key: f"module {self.module_id(key)} not satisfied" for key in self.required}


class Match(NamedTuple):
    """An Activity of a course in force: the course, the module ('' = the course), its spec."""

    course: str
    module: str
    spec: CourseSpec


@dataclass
class TenantEntries:
    """One tenant's catalogue: every course revision, what is in force, and the index of
    Activity ids (comparison form) to the courses and modules they match."""

    courses: dict[str, dict[int, CourseSpec]] = field(default_factory=dict)
    current: dict[str, CourseSpec] = field(default_factory=dict)  # courses in force
    activities: dict[str, list[Match]] = field(default_factory=dict)  # comparison IRI → matches
    latest: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, id) → revision
    paths: dict[str, Json] = field(default_factory=dict)  # paths in force
    path_documents: dict[str, Json] = field(default_factory=dict)  # latest, retired or not


class CatalogueIndex:
    """The catalogue as of a log position, in memory: every course revision, what is in force.

    Fed every revision in log order (`apply`); lookups by Activity IRI are dict lookups on
    the IRI's comparison form (`normalise_iri`), so matching a statement costs one lookup per
    Activity it names.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._tenants: dict[str, TenantEntries] = {}

    @classmethod
    def of_rows(cls, rows: Iterable[Sequence[Any]]) -> CatalogueIndex:
        """Return the index of `learning_catalogue` rows (tenant, kind, id, revision,
        document as JSON text, retired), given in log order."""
        catalogue = cls()
        for tenant, kind, iri, revision, document, retired in rows:
            catalogue.apply(tenant, kind, iri, int(revision), orjson.loads(document), bool(retired))
        return catalogue

    def apply(
        self,
        tenant: str,
        kind: str,
        catalogue_id: str,
        revision: int,
        document: Json | None,
        retired: bool,
    ) -> None:
        """Apply one revision of a course or learning path (in log order).

        Args:
            tenant: the tenant.
            kind: `COURSE` or `PATH`.
            catalogue_id: the id (an IRI, any form).
            revision: the revision (the aggregate version the event made).
            document: the document of that revision; None (or empty) for a retirement, which
                keeps the previous document for the revision.
            retired: whether the course or path is retired as of this revision.
        """
        state = self._tenants.setdefault(tenant, TenantEntries())
        key = normalise_iri(catalogue_id)
        newest = state.latest.get((kind, key), 0) <= revision
        if newest:
            state.latest[kind, key] = revision
        if kind == PATH:
            if not newest:
                return  # an older revision, applied late: nothing in force changes
            if document:
                state.path_documents[key] = document
            if retired:
                state.paths.pop(key, None)
            elif key in state.path_documents:
                state.paths[key] = state.path_documents[key]
            return
        revisions = state.courses.setdefault(key, {})
        if document:
            spec = CourseSpec.of(document, revision)
        else:
            previous = self._at(revisions, revision)
            if previous is None:
                return
            spec = CourseSpec.of(previous.document, revision)
        revisions[revision] = spec
        if not newest:
            return  # an older revision, applied late: history only
        self._unindex(state, key)
        if retired:
            state.current.pop(key, None)
            return
        state.current[key] = spec
        self._index(state, spec)

    @staticmethod
    def _unindex(state: TenantEntries, key: str) -> None:
        old = state.current.get(key)
        if old is None:
            return
        for iri in (old.key, *old.modules):
            matches = state.activities.get(iri)
            if matches is None:
                continue
            kept = [m for m in matches if m.course != key]
            if kept:
                state.activities[iri] = kept
            else:
                del state.activities[iri]

    @staticmethod
    def _index(state: TenantEntries, spec: CourseSpec) -> None:
        state.activities.setdefault(spec.key, []).append(Match(spec.key, "", spec))
        for module in spec.modules:
            if module != spec.key:
                state.activities.setdefault(module, []).append(Match(spec.key, module, spec))

    @staticmethod
    def _at(revisions: Mapping[int, CourseSpec], revision: int) -> CourseSpec | None:
        spec = revisions.get(revision)
        if spec is not None:
            return spec
        earlier = [r for r in revisions if r <= revision]
        return revisions[max(earlier)] if earlier else None

    def lookup(self, tenant: str, iri: str) -> list[Match]:
        """Return what an Activity IRI is in the courses in force: (course, module, spec)."""
        state = self._tenants.get(tenant)
        if state is None:
            return []
        return list(state.activities.get(normalise_iri(iri), ()))

    def match(self, tenant: str, statement: Json) -> list[Match]:
        """Return the courses in force (and modules) a statement's Activities name.

        The rules of `facts_of` without its learner and verb checks (a path is not matched).
        """
        state = self._tenants.get(tenant)
        if state is None:
            return []
        obj = statement["object"]
        object_id = obj.get("id") if obj.get("objectType", "Activity") == "Activity" else None
        return match_activities(state, object_id, statement.get("context"))

    def spec(self, tenant: str, course: str, revision: int) -> CourseSpec | None:
        """Return a course revision (the latest one at or before `revision` if it is unknown)."""
        state = self._tenants.get(tenant)
        revisions = state.courses.get(normalise_iri(course)) if state is not None else None
        return None if revisions is None else self._at(revisions, revision)

    def document(self, tenant: str, course: str, revision: int) -> Json | None:
        """Return the document of a course revision, or None when the course is unknown."""
        spec = self.spec(tenant, course, revision)
        return None if spec is None else spec.document

    def entries(self, tenant: str) -> TenantEntries | None:
        """Return a tenant's courses and paths in force, indexed for matching (None: none)."""
        return self._tenants.get(tenant)

    def in_force(self, tenant: str, course: str) -> CourseSpec | None:
        """Return the revision of a course in force now, or None (unknown or retired)."""
        state = self._tenants.get(tenant)
        return None if state is None else state.current.get(normalise_iri(course))

    def path(self, tenant: str, iri: str) -> Json | None:
        """Return the document of a learning path in force, or None (unknown or retired)."""
        state = self._tenants.get(tenant)
        return None if state is None else state.paths.get(normalise_iri(iri))


def match_activities(
    state: TenantEntries, object_id: str | None, context: Json | None
) -> list[Match]:
    """Return the (course, module) pairs a statement is about (see the module docstring)."""
    activities = state.activities
    out: list[Match] = []
    if object_id is not None:
        matches = activities.get(normalise_iri(object_id))
        if matches:
            out.extend(matches)  # one match per course: an IRI is a course or one module of it
    lists = context.get("contextActivities") if context is not None else None
    if not lists:
        return out
    for name in CONTEXT_LEVELS:
        listed = lists.get(name)
        if not listed:
            continue
        level: dict[str, list[Match]] = {}
        for activity in (listed,) if isinstance(listed, dict) else listed:
            matches = activities.get(normalise_iri(activity["id"]))
            if matches:
                for match in matches:
                    level.setdefault(match.course, []).append(match)
        if not level:
            continue
        decided = {match.course for match in out}
        for course, matched in level.items():
            if course in decided:
                continue
            modules = [m for m in matched if m.module] or matched[:1]
            out.extend({m.module: m for m in modules}.values())
    return out
