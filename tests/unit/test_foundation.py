"""Unit tests of settings, the transcoder, credentials and the Statement aggregate's events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from eventsourcing.persistence import Mapper, StoredEvent

from ledger.credentials import VerifiedCache, authority_for, hash_secret, verify_secret
from ledger.ids import statement_aggregate_id, tenant_namespace
from ledger.settings import Settings, SettingsError
from ledger.statements import RECORDED_TOPIC, Statement, recorded_state, voiding_target
from ledger.transcoder import OrjsonTranscoder
from tests.factories import voiding, with_id


def test_default_settings_serve_sqlite_under_var():
    settings = Settings.from_environ({})
    assert not settings.is_postgres
    assert str(settings.sqlite_path) == "var/ledger.db"
    env = settings.eventsourcing_env()
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["CREATE_TABLE"] == "n"
    assert env["TRANSCODER_TOPIC"] == "ledger.transcoder:OrjsonTranscoder"


def test_postgres_url_becomes_the_eventsourcing_environment():
    settings = Settings.from_environ(
        {"LEDGER_DATABASE_URL": "postgresql://u:p%40ss@db.internal:6543/ledger?schema=s1"}
    )
    env = settings.eventsourcing_env(create_table=True)
    assert env["POSTGRES_HOST"] == "db.internal" and env["POSTGRES_PORT"] == "6543"
    assert env["POSTGRES_USER"] == "u" and env["POSTGRES_PASSWORD"] == "p@ss"
    assert env["POSTGRES_DBNAME"] == "ledger" and env["POSTGRES_SCHEMA"] == "s1"
    assert env["CREATE_TABLE"] == "y"
    assert "p@ss" not in repr(settings.bootstrap_secret)


@pytest.mark.parametrize(
    ("environ", "needle"),
    [
        ({"LEDGER_DATABASE_URL": "mysql://x/y"}, "LEDGER_DATABASE_URL"),
        ({"LEDGER_DATABASE_URL": "postgresql://host/"}, "database"),
        ({"LEDGER_BOOTSTRAP_KEY": "admin"}, "together"),
        ({"LEDGER_BOOTSTRAP_KEY": "a:b", "LEDGER_BOOTSTRAP_SECRET": "long-enough"}, "':'"),
        ({"LEDGER_BOOTSTRAP_KEY": "a", "LEDGER_BOOTSTRAP_SECRET": "short"}, "8 characters"),
        ({"LEDGER_MAX_BODY_BYTES": "lots"}, "LEDGER_MAX_BODY_BYTES"),
        ({"LEDGER_MAX_BODY_BYTES": "10"}, "at least"),
        ({"LEDGER_REQUEST_LOG": "maybe"}, "LEDGER_REQUEST_LOG"),
    ],
)
def test_bad_settings_fail_fast_with_a_clear_message(environ, needle):
    with pytest.raises(SettingsError, match=needle):
        Settings.from_environ(environ)


def test_the_transcoder_round_trips_event_state_and_leaves_statements_alone():
    transcoder = OrjsonTranscoder()
    now = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    trap = {"_type_": "datetime", "_data_": "2020-01-01T00:00:00+00:00"}
    state = {
        "timestamp": now,
        "statement": {"context": {"extensions": {"http://x.example/e": trap}}},
    }
    decoded = transcoder.decode(transcoder.encode(state))
    assert decoded["timestamp"] == now
    assert decoded["statement"]["context"]["extensions"]["http://x.example/e"] == trap


def test_bulk_recorded_events_are_what_the_library_would_store():
    """The bulk path builds stored events directly; the library must read them back."""
    mapper: Mapper = Mapper(transcoder=OrjsonTranscoder())
    body = with_id(stored="2026-01-01T00:00:00.000Z")
    now = datetime.now(UTC)
    aggregate_id = statement_aggregate_id("default", body["id"])
    stored = StoredEvent(
        originator_id=aggregate_id,
        originator_version=1,
        topic=RECORDED_TOPIC,
        state=OrjsonTranscoder().encode(recorded_state("default", body, "k1", now)),
    )
    event = mapper.to_domain_event(stored)
    aggregate = event.mutate(None)
    assert isinstance(aggregate, Statement)
    assert aggregate.id == aggregate_id and aggregate.version == 1
    assert aggregate.statement == body and aggregate.credential == "k1"
    library = Statement(tenant="default", statement=body, credential="k1")
    assert library.id == aggregate_id
    assert mapper.to_stored_event(library.collect_events()[0]).topic == stored.topic


def test_statement_ids_are_scoped_by_tenant_and_case_insensitive():
    body = with_id()
    assert statement_aggregate_id("a", body["id"]) != statement_aggregate_id("b", body["id"])
    assert statement_aggregate_id("a", body["id"]) == statement_aggregate_id(
        "a", body["id"].upper()
    )
    assert tenant_namespace("a") != tenant_namespace("b")


def test_voiding_target_reads_the_statementref():
    target = with_id()
    assert voiding_target(voiding(target["id"])) == target["id"]
    assert voiding_target(target) is None


def test_secrets_hash_with_salt_and_verify_in_constant_time():
    first, second = hash_secret("s3cret-value"), hash_secret("s3cret-value")
    assert first != second and "s3cret-value" not in first
    assert verify_secret("s3cret-value", first)
    assert not verify_secret("s3cret-valuf", first)
    assert not verify_secret("s3cret-value", "md5$00$00")
    assert not verify_secret("s3cret-value", "garbage")


def test_the_verified_cache_expires():
    now = [100.0]
    cache = VerifiedCache(ttl=60, clock=lambda: now[0])
    principal = object()
    cache.put("k", "s", principal)  # type: ignore[arg-type]
    assert cache.get("k", "s") is principal
    assert cache.get("k", "other") is None
    now[0] += 61
    assert cache.get("k", "s") is None


def test_authority_is_deterministic_per_credential():
    """2.0 LRS §4.2.4.2: the same credentials always give the same authority."""
    first = authority_for("k1", "HR sync", "https://lrs.example.com/credentials")
    assert first == authority_for("k1", "HR sync", "https://lrs.example.com/credentials")
    assert first["account"] == {"homePage": "https://lrs.example.com/credentials", "name": "k1"}
