"""The Document aggregate (State, Activity Profile, Agent Profile) and its commands.

A document is opaque bytes with a Content-Type, kept under a natural key (1.0.3 Comm §2.2):
kind + activity + agent (by IFI) + registration + document id. Each change is an event that
names the content by its SHA-256 (the bytes go to the blob table in the same transaction),
so the log is the audit trail of every document.

Concurrency is optimistic on the aggregate's version (checklist §9.1): read the latest
event, check If-Match / If-None-Match against its ETag, append the next version. A racing
writer that appended that version first makes the append fail on the events primary key;
the write is then checked again against the new state (412 if the precondition no longer
holds) and retried.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

import orjson
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.utils import get_topic

from ledger.application import Ledger
from ledger.blobs import sha256_hex
from ledger.credentials import Principal
from ledger.errors import (
    DocumentConflictError,
    InvalidDocumentError,
    InvalidJSONError,
    PreconditionFailedError,
    Problem,
    StoreBusyError,
)
from ledger.ids import document_aggregate_id
from ledger.recorders import DocumentWrite
from ledger.xapi import V2, parse_json
from ledger.xapi.equivalence import normalise_iri
from ledger.xapi.ifi import ifi_key, ifi_only
from ledger.xapi.primitives import media_type

STATE = "state"
ACTIVITY_PROFILE = "activity_profile"
AGENT_PROFILE = "agent_profile"
KINDS = (STATE, ACTIVITY_PROFILE, AGENT_PROFILE)

#: Stored when a document arrives without a Content-Type.
DEFAULT_CONTENT_TYPE = "application/octet-stream"
JSON = "application/json"
_MAX_ATTEMPTS = 5


def etag_of(content: bytes) -> str:
    """Return a document's ETag value: the SHA-1 of its bytes in lowercase hex (Comm §3.1)."""
    return hashlib.sha1(content).hexdigest()


class Document(Aggregate):
    """A State or profile document: its current content's hash and type, or deleted.

    Every event carries the whole natural key and, for `Put` and `Merged`, the whole new
    content description, so the latest event alone says what the document is now. A deleted
    document may be put again: the aggregate goes on with the next version.
    """

    class Event(Aggregate.Event):
        """A change of a document (the fields every document event carries)."""

        tenant: str
        kind: str
        activity_id: str | None
        agent: dict[str, Any] | None
        registration: str | None
        document_id: str
        updated: str
        credential: str

    class Put(Event):
        """The document was stored whole (PUT, or POST of a document that did not exist)."""

        sha256: str
        content_type: str
        length: int
        etag: str

        def mutate(self, aggregate: Any) -> Any:
            """Create the aggregate on its first event; otherwise apply as usual."""
            if aggregate is None:
                aggregate = Document.__new__(Document)
                aggregate.__base_init__(self.originator_id, 0, self.timestamp)
            return super().mutate(aggregate)

        def apply(self, aggregate: Aggregate) -> None:
            """Take the new content."""
            cast(Document, aggregate).take(self)

    class Merged(Event):
        """A posted JSON object was merged into the stored one; the fields describe the result."""

        sha256: str
        content_type: str
        length: int
        etag: str

        def apply(self, aggregate: Aggregate) -> None:
            """Take the merged content."""
            cast(Document, aggregate).take(self)

    class Deleted(Event):
        """The document was deleted (one DELETE, or a State DELETE of many)."""

        def apply(self, aggregate: Aggregate) -> None:
            """Forget the content."""
            document = cast(Document, aggregate)
            document.take(self)
            document.deleted = True
            document.sha256 = document.content_type = document.etag = None
            document.length = 0

    def take(self, event: Document.Event) -> None:
        """Copy the key and, for content events, the content description from `event`."""
        self.tenant = event.tenant
        self.kind = event.kind
        self.activity_id = event.activity_id
        self.agent = event.agent
        self.registration = event.registration
        self.document_id = event.document_id
        self.updated = event.updated
        self.credential = event.credential
        self.deleted = False
        if isinstance(event, Document.Put | Document.Merged):
            self.sha256: str | None = event.sha256
            self.content_type: str | None = event.content_type
            self.length = event.length
            self.etag: str | None = event.etag


PUT_TOPIC = get_topic(Document.Put)
MERGED_TOPIC = get_topic(Document.Merged)
DELETED_TOPIC = get_topic(Document.Deleted)
DOCUMENT_TOPICS = (PUT_TOPIC, MERGED_TOPIC, DELETED_TOPIC)


@dataclass(frozen=True, kw_only=True)
class DocumentScope:
    """Which documents: a kind and its context (activity, agent, registration as given).

    For the State resource a registration of None means "any registration" when listing or
    deleting many, and "no registration" for one document.
    """

    kind: str
    activity_id: str | None = None
    agent: Mapping[str, Any] | None = None
    registration: str | None = None

    @property
    def activity(self) -> str | None:
        """The activity IRI in comparison form (RFC 3987 §5.3.2.1), or None."""
        return normalise_iri(self.activity_id) if self.activity_id is not None else None

    @property
    def agent_key(self) -> str | None:
        """The agent's IFI comparison key (mbox domains compare case-insensitively), or None."""
        return ifi_key(self.agent) if self.agent is not None else None

    @property
    def registration_key(self) -> str | None:
        """The registration lower-cased, or None."""
        return self.registration.lower() if self.registration is not None else None


@dataclass(frozen=True, kw_only=True)
class DocumentKey(DocumentScope):
    """One document: a scope and the stateId or profileId."""

    document_id: str

    def aggregate_id(self, tenant: str) -> UUID:
        """The Document aggregate's id within `tenant`."""
        return document_aggregate_id(
            tenant,
            self.kind,
            self.activity,
            self.agent_key,
            self.registration_key,
            self.document_id,
        )


@dataclass(frozen=True)
class Preconditions:
    """The If-Match and If-None-Match entity tags of a write (None: header absent).

    Values are the opaque tags without quotes; `*` stands for "any current document". Weak
    tags never match If-Match (strong comparison, RFC 7232 §3.1), so callers leave them out.
    """

    if_match: frozenset[str] | None = None
    if_none_match: frozenset[str] | None = None

    @property
    def given(self) -> bool:
        """Whether the request carried either header."""
        return self.if_match is not None or self.if_none_match is not None


@dataclass(frozen=True)
class DocumentWritten:
    """What a document write stored: the new content's ETag value ('' after a deletion or
    when nothing changed), `updated` time, and the log position of the last event it wrote
    (None when nothing changed)."""

    etag: str
    updated: str
    position: int | None = None


@dataclass(frozen=True)
class _Change:
    """What a write appends: the event class and, for content, the bytes and their type."""

    event: type[Document.Event]
    content: bytes = b""
    content_type: str = ""


_KEY_FIELDS = ("tenant", "kind", "activity_id", "agent", "registration", "document_id")


def _key_fields(tenant: str, key: DocumentKey) -> dict[str, Any]:
    """The key fields of a document event, as this request gives the key."""
    return {
        "tenant": tenant,
        "kind": key.kind,
        "activity_id": key.activity_id,
        "agent": ifi_only(key.agent) if key.agent is not None else None,
        "registration": key.registration_key,
        "document_id": key.document_id,
    }


def check_preconditions(
    preconditions: Preconditions, current: Document.Event | None, *, require: bool
) -> None:
    """Refuse a write whose preconditions do not hold (1.0.3 Comm §3.1, 2.0 LRS §4.1.4).

    Args:
        preconditions: the request's If-Match / If-None-Match.
        current: the document's latest event (None: never stored).
        require: whether a write without either header over an existing document is a
            conflict (PUT of a profile document; PUT of a State document under 2.0).

    Raises:
        PreconditionFailedError: If-Match names no current ETag, or If-None-Match does.
        DocumentConflictError: `require` and neither header over an existing document.
    """
    etag = current.etag if isinstance(current, Document.Put | Document.Merged) else None
    if preconditions.if_match is not None and (
        etag is None or ("*" not in preconditions.if_match and etag not in preconditions.if_match)
    ):
        raise PreconditionFailedError(
            "If-Match does not match the document: "
            + ("it does not exist" if etag is None else f'its ETag is "{etag}"')
            + "; nothing was changed",
            [Problem("If-Match", "does not match the current ETag")],
        )
    if (
        preconditions.if_none_match is not None
        and etag is not None
        and ("*" in preconditions.if_none_match or etag in preconditions.if_none_match)
    ):
        raise PreconditionFailedError(
            f'If-None-Match fails: the document exists (ETag "{etag}"); nothing was changed',
            [Problem("If-None-Match", "the document exists")],
        )
    if require and etag is not None and not preconditions.given:
        raise DocumentConflictError(
            "the document exists already and this PUT has neither If-Match nor If-None-Match: "
            f'GET the document, then send the PUT again with If-Match: "{etag}" (its current '
            "ETag) to replace it; nothing was changed",
            [Problem("If-Match", "required to replace an existing document")],
        )


class Documents:
    """The document commands of a Ledger: put, post (merge), delete one, delete many."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    # -- queries of the write side -----------------------------------------------------------

    def latest(self, aggregate_id: UUID) -> tuple[int, Document.Event] | None:
        """Return the version and latest event of a document (None: never stored)."""
        stored = self.ledger.recorder.select_events(aggregate_id, desc=True, limit=1)
        if not stored:
            return None
        event = cast(Document.Event, self.ledger.mapper.to_domain_event(stored[0]))
        return stored[0].originator_version, event

    # -- commands ------------------------------------------------------------------------

    def put(
        self,
        principal: Principal,
        key: DocumentKey,
        content: bytes,
        content_type: str | None,
        preconditions: Preconditions,
        version: str,
    ) -> DocumentWritten:
        """Store a document whole (PUT, 1.0.3 Comm §2.2-2.7) → its new ETag.

        A PUT with neither precondition header over an existing document is a conflict for
        the profile resources, and for State under 2.0 (checklist §9.1, §16.5, §17).
        """
        require = key.kind != STATE or version == V2
        change = _Change(Document.Put, content, content_type or DEFAULT_CONTENT_TYPE)

        def decide(current: Document.Event | None) -> _Change:
            check_preconditions(preconditions, current, require=require)
            return change

        return self._write(principal, key, decide)

    def post(
        self,
        principal: Principal,
        key: DocumentKey,
        content: bytes,
        content_type: str | None,
        preconditions: Preconditions,
    ) -> DocumentWritten:
        """Store a new document, or merge a JSON object into a stored one (Comm §2.2).

        Raises:
            InvalidJSONError: the body is sent as application/json but is not JSON.
            InvalidDocumentError: the document exists and either it or the body is not an
                application/json JSON object; nothing is changed.
        """
        posted_type = content_type or DEFAULT_CONTENT_TYPE
        posted: Any = None
        if media_type(posted_type) == JSON:
            posted = parse_json(content)  # CTS XAPI-00235: invalid JSON → 400

        def decide(current: Document.Event | None) -> _Change:
            check_preconditions(preconditions, current, require=False)
            if not isinstance(current, Document.Put | Document.Merged):
                return _Change(Document.Put, content, posted_type)  # CTS XAPI-00233: as new
            stored = self._stored_object(current)
            if media_type(posted_type) != JSON or not isinstance(posted, dict):
                raise InvalidDocumentError(
                    "a POST merges only a JSON object sent as application/json into a stored "
                    "JSON object; this body is "
                    + ("not a JSON object" if posted is not None else posted_type)
                    + "; nothing was changed (PUT replaces a document whole)",
                    [Problem("", "must be a JSON object sent as application/json")],
                )
            merged = {**stored, **posted}  # 1.0.3 Comm §2.2: top-level properties only
            return _Change(Document.Merged, orjson.dumps(merged), posted_type)

        return self._write(principal, key, decide)

    def _stored_object(self, current: Document.Put | Document.Merged) -> dict[str, Any]:
        """The stored document as a JSON object, or InvalidDocumentError (Comm §2.2)."""
        value: Any = None
        if media_type(current.content_type) == JSON:
            data = self.ledger.bulk.select_blobs(current.tenant, [current.sha256])
            try:
                value = parse_json(data[current.sha256])
            except InvalidJSONError:
                value = None
        if not isinstance(value, dict):
            raise InvalidDocumentError(
                f"the stored document ({current.content_type}) is not a JSON object, so a POST "
                "cannot be merged into it; nothing was changed (PUT replaces a document whole)",
                [Problem("", "the stored document is not an application/json JSON object")],
            )
        return value

    def delete(
        self, principal: Principal, key: DocumentKey, preconditions: Preconditions
    ) -> DocumentWritten:
        """Delete one document; return what was written (position None: there was none).

        Deleting a document that does not exist succeeds and changes nothing (checklist §17:
        DELETE is idempotent), unless If-Match asks for an existing document (412).
        """

        def decide(current: Document.Event | None) -> _Change | None:
            check_preconditions(preconditions, current, require=False)
            changed = isinstance(current, Document.Put | Document.Merged)
            return _Change(Document.Deleted) if changed else None

        return self._write(principal, key, decide)

    def delete_many(self, principal: Principal, aggregate_ids: Sequence[UUID]) -> DocumentWritten:
        """Delete the given documents of the principal's tenant in one transaction (State
        DELETE without stateId, 1.0.3 Comm §2.3); return what was written (position None:
        there were none)."""
        tenant = principal.tenant
        for _ in range(_MAX_ATTEMPTS):
            changes: list[tuple[UUID, int, dict[str, Any], _Change]] = []
            for aggregate_id in aggregate_ids:
                found = self.latest(aggregate_id)
                if found is None or found[1].tenant != tenant:
                    continue
                version, current = found
                if isinstance(current, Document.Put | Document.Merged):
                    fields = {name: getattr(current, name) for name in _KEY_FIELDS}
                    changes.append((aggregate_id, version, fields, _Change(Document.Deleted)))
            if not changes:
                return DocumentWritten("", "")
            build = self._builder(principal, changes)
            try:
                written = self.ledger.bulk.write_documents(
                    DocumentWrite(tenant, len(changes), build)
                )
            except IntegrityError as ex:
                if not self.ledger.bulk.is_duplicate_event(ex):
                    raise
                continue
            return DocumentWritten("", written.stored, written.positions[-1])
        raise StoreBusyError("could not delete the documents: they kept changing; retry")

    # -- the write loop ------------------------------------------------------------------

    def _write(
        self,
        principal: Principal,
        key: DocumentKey,
        decide: Callable[[Document.Event | None], _Change | None],
    ) -> DocumentWritten:
        """Read the latest version, decide, append the next; re-decide after a lost race."""
        aggregate_id = key.aggregate_id(principal.tenant)
        for _ in range(_MAX_ATTEMPTS):
            found = self.latest(aggregate_id)
            version, current = found if found is not None else (0, None)
            change = decide(current)
            if change is None:
                updated = current.updated if current is not None else ""
                return DocumentWritten("", updated)
            fields = _key_fields(principal.tenant, key)
            blobs = {}
            if change.event is not Document.Deleted:
                blobs[sha256_hex(change.content)] = change.content
            build = self._builder(principal, [(aggregate_id, version, fields, change)])
            write = DocumentWrite(principal.tenant, 1, build, blobs)
            try:
                written = self.ledger.bulk.write_documents(write)
            except IntegrityError as ex:
                if not self.ledger.bulk.is_duplicate_event(ex):
                    raise
                continue  # a racing writer appended this version: decide again
            deleted = change.event is Document.Deleted
            return DocumentWritten(
                "" if deleted else etag_of(change.content), written.stored, written.positions[-1]
            )
        raise StoreBusyError("could not store the document: it kept changing; retry")

    def _builder(
        self,
        principal: Principal,
        changes: list[tuple[UUID, int, dict[str, Any], _Change]],
    ) -> Callable[[str], list[StoredEvent]]:
        """Return the `build(updated)` of a write: one event per change, next version each."""
        mapper = self.ledger.mapper
        clock = self.ledger.clock

        def build(updated: str) -> list[StoredEvent]:
            now = clock()
            stored = []
            for aggregate_id, version, key_fields, change in changes:
                fields: dict[str, Any] = {
                    "originator_id": aggregate_id,
                    "originator_version": version + 1,
                    "timestamp": now,
                    **key_fields,
                    "updated": updated,
                    "credential": principal.key,
                }
                if change.event is not Document.Deleted:
                    fields.update(
                        sha256=sha256_hex(change.content),
                        content_type=change.content_type,
                        length=len(change.content),
                        etag=etag_of(change.content),
                    )
                stored.append(mapper.to_stored_event(change.event(**fields)))
            return stored

        return build
