"""`learning-ledger projections status`: each read model against the log, on both stores."""

from __future__ import annotations

from api.cli import migrate
from ledger.xapi import V1
from projections.definitions_store import DefinitionsProjection
from projections.status import projection_status
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, run_cli
from tests.factories import with_id


def test_status_shows_inline_models_current_and_the_definitions_lag(ledger, settings):
    """Inline read models are at the head; the caught-up one is behind by what was written
    since its last catch-up, and at the head after one."""
    migrate(settings)
    admin = ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)
    before = {s.name: s for s in projection_status(ledger)}
    ledger.record_statements(admin, [with_id() for _ in range(3)], V1, batch=True)
    after = {s.name: s for s in projection_status(ledger)}
    head = after["statement_index"].head
    assert head >= before["statement_index"].head + 3  # PostgreSQL's positions may have gaps
    assert after["statement_index"].behind == 0
    assert after["statement_index"].summary == "up to date"
    assert after["documents"].behind == 0
    behind = head - before["statement_index"].head
    assert after["definitions"].behind == behind
    assert after["definitions"].summary.startswith(f"{behind} log positions behind")

    printed = run_cli(settings, "projections", "status")
    assert printed.returncode == 0, printed.stderr
    lines = {line.split()[0]: line for line in printed.stdout.splitlines()[1:]}
    assert set(lines) == {
        "statement_index",
        "documents",
        "definitions",
        "learning_facts",
        "enrollments",
        "progress",
        "scores",
        "completions",
        "certificate_eligibility",
    }
    assert lines["statement_index"].endswith("up to date")
    assert f"{behind} log positions behind" in lines["definitions"]

    DefinitionsProjection(ledger).catch_up()
    assert {s.name: s.summary for s in projection_status(ledger)}["definitions"] == "up to date"


def test_status_says_a_model_built_by_another_version_needs_a_migrate(
    ledger, settings, monkeypatch
):
    """A read model whose rows an older version built is reported, with what to run."""
    migrate(settings)
    monkeypatch.setattr("projections.statement_index.VERSION", 2)
    status = {s.name: s for s in projection_status(ledger)}
    assert "built by version 1, the code is version 2" in status["statement_index"].summary


def test_status_of_a_caught_up_model_that_processed_nothing_yet_says_how_far_behind(ledger):
    """Before its first catch-up the definitions model is behind by the whole log."""
    admin = ledger.authenticate(ADMIN_KEY, ADMIN_SECRET)
    ledger.record_statements(admin, [with_id()], V1, batch=False)
    status = {s.name: s for s in projection_status(ledger)}["definitions"]
    assert status.behind == status.head > 0
    assert "nothing processed yet" in status.summary
