"""The Ledger: the eventsourcing Application that records statements, tenants and credentials."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, PersistenceError, StoredEvent

from ledger.credentials import (
    ADMIN_SCOPES,
    Credential,
    Principal,
    VerifiedCache,
    authority_for,
    hash_secret,
    new_key,
    new_secret,
    verify_secret,
)
from ledger.errors import (
    AlreadyExistsError,
    AuthenticationError,
    InvalidStatementError,
    Problem,
    StatementConflictError,
    StatementNotFoundError,
    StoreBusyError,
    UnknownTenantError,
)
from ledger.ids import credential_aggregate_id, statement_aggregate_id, tenant_aggregate_id
from ledger.recorders import LedgerPostgresRecorder, LedgerSQLiteRecorder, StatementWrite
from ledger.settings import Settings, SettingsError
from ledger.statements import (
    RECORDED_TOPIC,
    VOIDED_TOPIC,
    Statement,
    recorded_state,
    voided_state,
    voiding_target,
)
from ledger.tenants import DEFAULT_TENANT, Tenant, check_tenant_name
from ledger.xapi import V1, validate_statement
from ledger.xapi.attachments import attachment_objects, check_attachments, surplus_parts
from ledger.xapi.equivalence import equivalent
from ledger.xapi.multipart import AttachmentPart
from ledger.xapi.normalise import normalise_statement

#: A hash to verify against when a key is unknown, so unknown keys cost as long as wrong secrets.
_DUMMY_HASH = hash_secret("not-a-secret", salt=b"\x00" * 16)
_MAX_DETAILS = 50
_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Recording:
    """What `Ledger.record_statements` did: the ids in request order and the new events."""

    ids: list[str]
    new_statements: int
    position: int | None


@dataclass(frozen=True)
class BootstrapResult:
    """The admin credential made on first start (secret None when it came from settings)."""

    tenant: str
    key: str
    secret: str | None


class Ledger(Application[UUID]):
    """Records xAPI statements and the ledger's other facts as immutable events.

    One method per command (`record_statements`, `create_tenant`, `issue_credential`) or
    query (`get_statement`, `authenticate`). Library errors are translated here into
    `LedgerError` leaves; nothing in this class knows about HTTP.
    """

    name = "Ledger"

    def __init__(
        self,
        settings: Settings,
        *,
        create_tables: bool = False,
        clock: Callable[[], datetime] | None = None,
        recorder_topic: str | None = None,
    ) -> None:
        """Open the ledger on the store the settings name.

        Args:
            settings: the validated settings.
            create_tables: run DDL (only `db migrate` and tests do).
            clock: the time source of event timestamps.
            recorder_topic: a recorder class to use instead of the plain ledger recorder
                (a subclass that also writes inline read models; see `projections`).
        """
        if not settings.is_postgres:
            settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        env = settings.eventsourcing_env(create_table=create_tables)
        if recorder_topic is not None:
            env["APPLICATION_RECORDER_TOPIC"] = recorder_topic
        super().__init__(env=env)
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        self.verified = VerifiedCache(settings.auth_cache_seconds)
        self._tenant_secrets: dict[str, bytes] = {}
        self.authority_home_page = f"{settings.public_url}/credentials"

    @property
    def bulk(self) -> LedgerSQLiteRecorder | LedgerPostgresRecorder:
        """The recorder, with the bulk statement path."""
        return cast(LedgerSQLiteRecorder | LedgerPostgresRecorder, self.recorder)

    # -- setup ---------------------------------------------------------------------------

    def check_tables(self) -> None:
        """Fail fast with a clear message when `db migrate` has not created the tables."""
        try:
            self.recorder.max_notification_id()
        except PersistenceError as ex:
            raise SettingsError(
                f"the ledger's tables are missing or unreachable at {self._where()}: {ex}; "
                "run `learning-ledger db migrate` first"
            ) from None

    def _where(self) -> str:
        if self.settings.is_postgres:
            return "the PostgreSQL database"
        return str(self.settings.sqlite_path)

    def bootstrap(self) -> BootstrapResult | None:
        """Create the `default` tenant and its admin credential on first start.

        Returns the credential made now (with its secret, to be shown once), or None when
        there was nothing to do. `LEDGER_BOOTSTRAP_KEY`/`_SECRET` choose the credential.
        """
        created_tenant = self.create_tenant(DEFAULT_TENANT, exist_ok=True)
        key, secret = self.settings.bootstrap_key, self.settings.bootstrap_secret
        if key is not None and secret is not None:
            if self._find_credential(key) is not None:
                return None
            self.issue_credential(
                DEFAULT_TENANT, list(ADMIN_SCOPES), "bootstrap admin", "bootstrap", key, secret
            )
            return BootstrapResult(DEFAULT_TENANT, key, None)
        if not created_tenant:
            return None
        key, secret = self.issue_credential(
            DEFAULT_TENANT, list(ADMIN_SCOPES), "bootstrap admin", "bootstrap"
        )
        return BootstrapResult(DEFAULT_TENANT, key, secret)

    # -- tenants and credentials ---------------------------------------------------------

    def create_tenant(self, name: str, *, exist_ok: bool = False) -> bool:
        """Create tenant `name`; return False if it existed and `exist_ok`."""
        check_tenant_name(name)
        try:
            self.save(Tenant(name, secrets.token_hex(32)))
        except IntegrityError:
            if exist_ok:
                return False
            raise AlreadyExistsError(f"tenant {name!r} exists already") from None
        return True

    def issue_credential(
        self,
        tenant: str,
        scopes: list[str],
        label: str,
        issued_by: str,
        key: str | None = None,
        secret: str | None = None,
    ) -> tuple[str, str]:
        """Issue a credential for `tenant`; return its key and secret (store only the hash)."""
        try:
            self.repository.get(tenant_aggregate_id(tenant))
        except AggregateNotFoundError:
            raise UnknownTenantError(f"tenant {tenant!r} does not exist") from None
        key = key or new_key()
        secret = secret or new_secret()
        credential = Credential(key, tenant, hash_secret(secret), scopes, label, issued_by)
        try:
            self.save(credential)
        except IntegrityError:
            raise AlreadyExistsError(f"credential {key!r} exists already") from None
        return key, secret

    def _find_credential(self, key: str) -> Credential | None:
        try:
            return cast(Credential, self.repository.get(credential_aggregate_id(key)))
        except AggregateNotFoundError:
            return None

    def tenant_secret(self, tenant: str) -> bytes:
        """Return the tenant's secret key (cached: it never changes)."""
        secret = self._tenant_secrets.get(tenant)
        if secret is None:
            try:
                aggregate = cast(Tenant, self.repository.get(tenant_aggregate_id(tenant)))
            except AggregateNotFoundError:
                raise UnknownTenantError(f"tenant {tenant!r} does not exist") from None
            secret = self._tenant_secrets[tenant] = bytes.fromhex(aggregate.secret)
        return secret

    def authenticate(self, key: str, secret: str) -> Principal:
        """Return the Principal for an API key and secret, or raise AuthenticationError."""
        principal = self.verified.get(key, secret)
        if principal is not None:
            return principal
        credential = self._find_credential(key)
        if credential is None:
            verify_secret(secret, _DUMMY_HASH)
            raise AuthenticationError("unknown key or wrong secret")
        if not verify_secret(secret, credential.secret_hash):
            raise AuthenticationError("unknown key or wrong secret")
        principal = Principal(
            tenant=credential.tenant,
            key=key,
            scopes=frozenset(credential.scopes),
            authority=authority_for(key, credential.label, self.authority_home_page),
        )
        self.verified.put(key, secret, principal)
        return principal

    # -- statements ----------------------------------------------------------------------

    def record_statements(
        self,
        principal: Principal,
        statements: Sequence[Any],
        version: str,
        *,
        batch: bool,
        attachments: Mapping[str, AttachmentPart] | None = None,
    ) -> Recording:
        """Validate, complete and store statements, all or nothing (xAPI 1.0.3 Comm §3.2).

        Args:
            principal: who stores them; their tenant scopes the ids, their credential
                gives the `authority`.
            statements: the parsed statements, in request order.
            version: the rule set negotiated for the request (`1.0.3` or `2.0.0`).
            batch: whether the request body was an array (pointers get an index prefix).
            attachments: the attachment parts of a multipart/mixed request by lower-case
                sha2, or None for an application/json request (then every attachment
                needs a fileUrl). Matched and checked for the whole batch before anything
                is stored; the bytes are stored once per hash with the events.

        Returns:
            the statement ids in request order and how many were new.

        Raises:
            InvalidStatementError: any statement is invalid, an attachment has no data, a
                part belongs to no attachment, or a signature is malformed; nothing is
                stored.
            StatementConflictError: an id is stored already with other content.
        """
        self._check_statements(statements, version, batch=batch, attachments=attachments)
        blobs = {sha2: part.data for sha2, part in (attachments or {}).items()}
        prepared = self._complete(principal, statements, version)
        ids = [s["id"] for s in prepared]
        pointers = {
            statement_id: (f"/{index}" if batch else "") + "/object/id"
            for index, statement_id in enumerate(ids)
        }
        tenant = principal.tenant
        pending = {statement_aggregate_id(tenant, s["id"]): s for s in prepared}
        untimed = {aggregate_id for aggregate_id, s in pending.items() if "timestamp" not in s}
        for _ in range(_MAX_ATTEMPTS):
            if not pending:
                return Recording(ids, 0, None)
            write = self._statement_write(principal, list(pending.items()), pointers, untimed)
            # Only the data of statements this write stores: an id already held changes
            # nothing (1.0.3 Comm §2.1.1-2.1.2), not even the attachment data.
            write.blobs = (
                {
                    sha2: blobs[sha2]
                    for statement in pending.values()
                    for _, attachment in attachment_objects(statement)
                    if (sha2 := attachment["sha2"].lower()) in blobs
                }
                if blobs
                else {}
            )
            try:
                written = self.bulk.write_statements(write)
            except IntegrityError as ex:
                if not self.bulk.is_duplicate_event(ex):
                    raise
                self._drop_equivalent_duplicates(tenant, pending)
                continue
            return Recording(ids, len(pending), written.positions[-1])
        raise StoreBusyError("could not store the statements: the store kept changing; retry")

    def _check_statements(
        self,
        statements: Sequence[Any],
        version: str,
        *,
        batch: bool,
        attachments: Mapping[str, AttachmentPart] | None,
    ) -> None:
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        used: set[str] = set()
        for index, statement in enumerate(statements):
            prefix = f"/{index}" if batch else ""
            try:
                validate_statement(statement, version, pointer=prefix)
            except InvalidStatementError as ex:
                problems.extend(ex.details)
                continue
            # 1.0.3 Comm §1.5.2, Data §2.6: attachment data and signatures, whole batch first.
            problems.extend(check_attachments(statement, prefix, attachments, used))
            statement_id = statement.get("id")
            if statement_id is not None:
                first = seen.setdefault(statement_id.lower(), index)
                if first != index:
                    # 1.0.3 Comm §2.1.2 (SHOULD*), 2.0 LRS §4.1.6.1 (SHALL)
                    problems.append(
                        Problem(f"{prefix}/id", f"repeats the id of statement /{first}")
                    )
        if attachments is not None and not problems:
            problems.extend(surplus_parts(attachments, used))
        if problems:
            first_problem = problems[0]
            raise InvalidStatementError(
                f"statement is invalid: {first_problem.pointer or '/'}: {first_problem.problem}"
                + (f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""),
                problems[:_MAX_DETAILS],
            )

    def _complete(
        self, principal: Principal, statements: Sequence[dict[str, Any]], version: str
    ) -> list[dict[str, Any]]:
        """Fill in id, authority and version (xAPI 1.0.3 Data §2.4); `stored` comes later.

        `stored` (and `timestamp`, when absent) are set by the recorder under the event
        table's write lock, so that `stored` follows commit order.
        """
        default_version = "1.0.0" if version == V1 else "2.0.0"
        completed = []
        for statement in statements:
            s = dict(normalise_statement(statement))
            s.setdefault("id", str(uuid4()))
            s.pop("stored", None)
            s["authority"] = principal.authority
            s.setdefault("version", default_version)
            completed.append(s)
        return completed

    def _statement_write(
        self,
        principal: Principal,
        pending: list[tuple[UUID, dict[str, Any]]],
        pointers: dict[str, str],
        untimed: set[UUID],
    ) -> StatementWrite:
        """Prepare the write: one `Recorded` each, one `Voided` per newly voided target."""
        tenant = principal.tenant
        voids = {
            statement_aggregate_id(tenant, target_ref): statement["id"]
            for _, statement in pending
            if (target_ref := voiding_target(statement)) is not None
        }
        new_voids: list[tuple[UUID, str]] = []
        if voids:
            in_batch = dict(pending)
            stored = self._load_statements(list(voids))
            for target_id, voiding_id in voids.items():
                existing = stored.get(target_id)
                target = in_batch.get(target_id) or (existing.statement if existing else None)
                if target is not None and voiding_target(target) is not None:
                    # xAPI 1.0.3 Data §2.3.2: a voiding statement can never be voided.
                    raise InvalidStatementError(
                        f"statement {voiding_id} tries to void statement {target['id']}, "
                        "which is itself a voiding statement",
                        [Problem(pointers[voiding_id], "targets a voiding statement")],
                    )
                if existing is not None and existing.voided_by is not None:
                    continue  # voided already: the new voiding statement is stored, no new event
                new_voids.append((target_id, voiding_id))
        encode = self._encode
        key = principal.key
        clock = self.clock

        def build(stored_at: str) -> list[StoredEvent]:
            now = clock()
            events = []
            for aggregate_id, statement in pending:
                if aggregate_id in untimed:
                    statement["timestamp"] = stored_at  # xAPI 1.0.3 Data §2.4.7
                statement["stored"] = stored_at
                events.append(
                    StoredEvent(
                        originator_id=aggregate_id,
                        originator_version=1,
                        topic=RECORDED_TOPIC,
                        state=encode(recorded_state(tenant, statement, key, now)),
                    )
                )
            events.extend(
                StoredEvent(
                    originator_id=target_id,
                    originator_version=2,
                    topic=VOIDED_TOPIC,
                    state=encode(voided_state(tenant, voiding_id, now)),
                )
                for target_id, voiding_id in new_voids
            )
            return events

        return StatementWrite(
            tenant=tenant,
            statements=[statement for _, statement in pending],
            event_count=len(pending) + len(new_voids),
            build=build,
        )

    def _encode(self, state: dict[str, Any]) -> bytes:
        data = self.mapper.transcoder.encode(state)
        if self.mapper.compressor:
            data = self.mapper.compressor.compress(data)
        if self.mapper.cipher:
            data = self.mapper.cipher.encrypt(data)
        return data

    def _load_statements(self, aggregate_ids: list[UUID]) -> dict[UUID, _StatementRecord]:
        """Read the given Statement aggregates' events in one query."""
        records: dict[UUID, _StatementRecord] = {}
        for stored in self.bulk.select_events_of(aggregate_ids):
            domain_event = self.mapper.to_domain_event(stored)
            record = records.setdefault(stored.originator_id, _StatementRecord())  # type: ignore[arg-type]
            if isinstance(domain_event, Statement.Recorded):
                record.statement = domain_event.statement
            elif isinstance(domain_event, Statement.Voided):
                record.voided_by = domain_event.voiding_statement_id
        return records

    def _drop_equivalent_duplicates(self, tenant: str, pending: dict[UUID, dict[str, Any]]) -> None:
        """After a primary-key clash: drop statements stored already, or raise 409.

        xAPI 1.0.3 Comm §2.1.1-2.1.2: an equivalent statement under a known id changes nothing
        and succeeds; a different one is a conflict.
        """
        stored = self._load_statements(list(pending))
        for aggregate_id, record in stored.items():
            if record.statement is None:
                continue
            incoming = pending[aggregate_id]
            if not equivalent(record.statement, incoming):
                raise StatementConflictError(
                    f"statement {incoming['id']} is stored already with different content",
                    [Problem("/id", f"{incoming['id']} is taken by a different statement")],
                )
            del pending[aggregate_id]

    def get_statement(self, tenant: str, statement_id: str, *, voided: bool) -> dict[str, Any]:
        """Return a stored statement by id (xAPI 1.0.3 Comm §2.1.3, §2.1.4).

        Args:
            tenant: the tenant whose statement it is.
            statement_id: the statement's id.
            voided: False for `statementId` (a voided statement is not found), True for
                `voidedStatementId` (only a voided statement is found).
        """
        record = self._load_statements([statement_aggregate_id(tenant, statement_id)])
        found = next(iter(record.values()), None)
        if found is None or found.statement is None:
            raise StatementNotFoundError(f"no statement with id {statement_id}")
        if found.voided != voided:
            if voided:
                raise StatementNotFoundError(f"statement {statement_id} is not voided")
            raise StatementNotFoundError(
                f"statement {statement_id} is voided: fetch it with voidedStatementId"
            )
        return found.statement

    def get_attachment_data(self, tenant: str, hashes: Sequence[str]) -> dict[str, bytes]:
        """Return the stored attachment bytes of the given sha2 (lower-case) that are stored.

        Attachments given only by fileUrl have no stored bytes (1.0.3 Comm §1.5.2).
        """
        if not hashes:
            return {}
        return self.bulk.select_blobs(tenant, [sha2.lower() for sha2 in hashes])


class _StatementRecord:
    """What the write path needs to know of a stored Statement aggregate."""

    __slots__ = ("statement", "voided_by")

    def __init__(self) -> None:
        self.statement: dict[str, Any] | None = None
        self.voided_by: str | None = None

    @property
    def voided(self) -> bool:
        """Voided iff a voiding statement targets it and it is not voiding itself (§2.3.2)."""
        return (
            self.voided_by is not None
            and self.statement is not None
            and voiding_target(self.statement) is None
        )
