"""The Ledger application on SQLite and PostgreSQL: events, idempotency, voiding, credentials."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from ledger.application import Ledger
from ledger.credentials import Principal
from ledger.errors import (
    AlreadyExistsError,
    AuthenticationError,
    InvalidStatementError,
    StatementConflictError,
    StatementNotFoundError,
    UnknownTenantError,
)
from ledger.ids import statement_aggregate_id
from ledger.statements import Statement
from ledger.xapi import V1, V2
from projections.store import open_ledger
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, event_count, make_settings
from tests.factories import statement, voiding, with_id


@pytest.fixture
def admin(ledger: Ledger) -> Principal:
    return ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)


def test_a_recorded_statement_is_one_recorded_event_the_library_can_rebuild(ledger, admin):
    """Statement.Recorded carries the statement as stored, with tenant and credential."""
    body = with_id()
    ledger.record_statements(admin, [body], V1, batch=False)
    aggregate = ledger.repository.get(statement_aggregate_id("default", body["id"]))
    assert isinstance(aggregate, Statement)
    assert aggregate.version == 1
    assert aggregate.tenant == "default" and aggregate.credential == ADMIN_KEY
    assert aggregate.statement["stored"] and aggregate.statement["authority"] == admin.authority
    assert aggregate.statement["actor"] == body["actor"]


def test_voiding_appends_voided_to_the_target_aggregate_in_the_same_transaction(ledger, admin):
    """Voiding records the voiding statement and Statement.Voided on the target together."""
    target = with_id()
    ledger.record_statements(admin, [target], V1, batch=False)
    void = voiding(target["id"])
    recording = ledger.record_statements(admin, [void], V1, batch=False)
    assert recording.new_statements == 1
    aggregate = ledger.repository.get(statement_aggregate_id("default", target["id"]))
    assert aggregate.version == 2 and aggregate.voided
    assert aggregate.voided_by == void["id"]
    topics = [n.topic for n in ledger.recorder.select_notifications(start=None, limit=100)]
    assert topics[-2:] == [
        "ledger.statements:Statement.Recorded",
        "ledger.statements:Statement.Voided",
    ]


def test_a_statement_id_is_case_insensitive(ledger, admin):
    """UUIDs compare case-insensitively: an upper-case id finds the statement."""
    body = with_id()
    ledger.record_statements(admin, [body], V1, batch=False)
    found = ledger.get_statement("default", body["id"].upper(), voided=False)
    assert found["id"] == body["id"]


def test_recording_the_same_batch_twice_adds_no_events(ledger, admin):
    """Idempotency is structural: the store's primary key detects the duplicates."""
    batch = [with_id() for _ in range(5)]
    first = ledger.record_statements(admin, batch, V1, batch=True)
    count = event_count(ledger)
    second = ledger.record_statements(admin, batch, V1, batch=True)
    assert first.ids == second.ids
    assert second.new_statements == 0
    assert event_count(ledger) == count


def test_a_conflicting_duplicate_raises_and_stores_nothing(ledger, admin):
    body = with_id()
    ledger.record_statements(admin, [body], V1, batch=False)
    count = event_count(ledger)
    changed = dict(body, actor={"mbox": "mailto:someone.else@example.com"})
    with pytest.raises(StatementConflictError):
        ledger.record_statements(admin, [with_id(), changed], V1, batch=True)
    assert event_count(ledger) == count


def test_a_resent_voiding_statement_adds_no_second_voided_event(ledger, admin):
    target = with_id()
    void = voiding(target["id"])
    ledger.record_statements(admin, [target, void], V2, batch=True)
    count = event_count(ledger)
    ledger.record_statements(admin, [void], V2, batch=False)
    assert event_count(ledger) == count


def test_a_late_target_of_a_voiding_statement_that_is_itself_voiding_stays_unvoided(ledger, admin):
    """1.0.3 Data §2.3.2: a voiding statement never becomes voided, whatever the order."""
    later = voiding(str(uuid.uuid4()))
    ledger.record_statements(admin, [voiding(later["id"])], V1, batch=False)
    ledger.record_statements(admin, [later], V1, batch=False)
    assert ledger.get_statement("default", later["id"], voided=False)["id"] == later["id"]
    with pytest.raises(StatementNotFoundError):
        ledger.get_statement("default", later["id"], voided=True)


def test_invalid_statements_raise_with_pointers(ledger, admin):
    with pytest.raises(InvalidStatementError) as caught:
        ledger.record_statements(admin, [statement(), {"actor": 1}], V1, batch=True)
    pointers = {d.pointer for d in caught.value.details}
    assert any(p.startswith("/1") for p in pointers)


def test_bootstrap_creates_the_default_tenant_and_a_random_credential_once(store):
    settings = make_settings(store, bootstrap_key=None, bootstrap_secret=None)
    ledger = open_ledger(settings, create_tables=True)
    try:
        first = ledger.bootstrap()
        assert first is not None and first.secret and first.tenant == "default"
        assert ledger.authenticate(first.key, first.secret).scopes >= {"all"}
        assert ledger.bootstrap() is None
    finally:
        ledger.close()


def test_bootstrap_key_and_secret_from_settings_are_used(ledger):
    principal = ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)
    assert principal.tenant == "default"
    assert ledger.bootstrap() is None


def test_secrets_are_stored_hashed(ledger):
    credential = ledger._find_credential(ADMIN_KEY)
    assert credential is not None
    assert ADMIN_SECRET not in credential.secret_hash
    assert credential.secret_hash.startswith("scrypt$")
    stored = b"".join(n.state for n in ledger.recorder.select_notifications(None, 1000))
    assert ADMIN_SECRET.encode() not in stored


def test_authentication_refuses_wrong_and_unknown_credentials(ledger):
    with pytest.raises(AuthenticationError):
        ledger.authenticate(ADMIN_KEY, "wrong")
    with pytest.raises(AuthenticationError):
        ledger.authenticate("nobody", ADMIN_SECRET)


def test_a_verified_credential_is_cached_for_a_while(ledger):
    ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)
    assert ledger.verified.get(ADMIN_KEY, ADMIN_SECRET) is not None
    assert ledger.verified.get(ADMIN_KEY, "other") is None


def test_tenants_and_credentials_need_valid_unique_names(ledger):
    with pytest.raises(AlreadyExistsError):
        ledger.create_tenant("default")
    with pytest.raises(UnknownTenantError):
        ledger.issue_credential("missing", ["all"], "x", "test")
    with pytest.raises(AlreadyExistsError):
        ledger.issue_credential("default", ["all"], "x", "test", key=ADMIN_KEY, secret="s" * 12)


def test_stored_is_taken_when_the_write_happens_and_fills_a_missing_timestamp(ledger, admin):
    """1.0.3 Data §2.4.7-2.4.8: stored is between receipt and write; timestamp defaults to it."""
    before = datetime.now(UTC)
    body = with_id(timestamp=None)
    ledger.record_statements(admin, [body], V1, batch=False)
    after = datetime.now(UTC)
    stored = ledger.get_statement("default", body["id"], voided=False)
    assert stored["stored"] == stored["timestamp"]
    moment = datetime.fromisoformat(stored["stored"].replace("Z", "+00:00"))
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= moment <= after


def test_stored_never_decreases_along_the_log(ledger, admin):
    """Stored is read under the write lock, so log order is stored order."""
    for _ in range(5):
        ledger.record_statements(admin, [with_id() for _ in range(3)], V1, batch=True)
    stored = [
        ledger.mapper.to_domain_event(n).statement["stored"]
        for n in ledger.recorder.select_notifications(start=None, limit=1000)
        if n.topic.endswith("Statement.Recorded")
    ]
    assert stored == sorted(stored)


def test_the_tables_survive_a_new_ledger_on_the_same_store(ledger, admin, settings):
    body = with_id()
    ledger.record_statements(admin, [body], V1, batch=False)
    again = open_ledger(settings)
    try:
        again.check_tables()
        assert again.get_statement("default", body["id"], voided=False)["id"] == body["id"]
    finally:
        again.close()


def test_a_large_batch_with_known_statements_and_voiding_takes_the_bulk_path(ledger, admin):
    """Batches above the COPY threshold behave exactly like small ones (all or nothing)."""
    from ledger.recorders import COPY_THRESHOLD

    known = [with_id() for _ in range(10)]
    ledger.record_statements(admin, known, V1, batch=True)
    fresh = [with_id() for _ in range(COPY_THRESHOLD + 20)]
    target = fresh[0]
    batch = [*known, *fresh, voiding(target["id"])]
    count = event_count(ledger)
    recording = ledger.record_statements(admin, batch, V1, batch=True)
    assert recording.new_statements == len(fresh) + 1
    assert event_count(ledger) == count + len(fresh) + 2  # + the Voided event
    assert ledger.get_statement("default", target["id"], voided=True)["id"] == target["id"]
    clash = dict(fresh[5], verb={"id": "http://adlnet.gov/expapi/verbs/failed"})
    with pytest.raises(StatementConflictError):
        ledger.record_statements(
            admin, [*[with_id() for _ in range(COPY_THRESHOLD + 5)], clash], V1, batch=True
        )
    assert event_count(ledger) == count + len(fresh) + 2


def test_notification_ids_are_returned_in_order(ledger, admin):
    from ledger.recorders import COPY_THRESHOLD

    for size in (3, COPY_THRESHOLD + 3):
        recording = ledger.record_statements(
            admin, [with_id() for _ in range(size)], V1, batch=True
        )
        last = ledger.recorder.max_notification_id()
        assert recording.position == last
