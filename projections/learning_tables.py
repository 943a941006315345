"""The learning projections' tables on either store (the same DDL for SQLite and PostgreSQL).

Stage one, `learning_facts` (kept from the event log): the facts statements say
(`learning_facts`), the statements voided (`learning_voids`) and every catalogue revision
(`learning_catalogue`). Stage two, one table set per report projection, each recomputed per
learner from the facts: `enrollments`, `progress`, `scores` (+ `scores_attempts`),
`completions`, `certificate_eligibility`. Every projection has a row in `learning_tracking`
(its name, the position it has processed, the version its rows were built with).

Times are integer milliseconds since the epoch; booleans are 0/1 integers; JSON is text.
"""

from __future__ import annotations

FACTS = "learning_facts"
VOIDS = "learning_voids"
CATALOGUE = "learning_catalogue"
TRACKING = "learning_tracking"

ENROLLMENTS = "enrollments"
PROGRESS = "progress"
SCORES = "scores"
SCORES_ATTEMPTS = "scores_attempts"
COMPLETIONS = "completions"
CERTIFICATE_ELIGIBILITY = "certificate_eligibility"

#: The report projections (stage two), in the order they are caught up; each owns the tables.
VIEWS: dict[str, tuple[str, ...]] = {
    ENROLLMENTS: (ENROLLMENTS,),
    PROGRESS: (PROGRESS,),
    SCORES: (SCORES, SCORES_ATTEMPTS),
    COMPLETIONS: (COMPLETIONS,),
    CERTIFICATE_ELIGIBILITY: (CERTIFICATE_ELIGIBILITY,),
}
#: Stage one's tables.
FACT_TABLES = (FACTS, VOIDS, CATALOGUE)


def ddl(
    bigint: str = "BIGINT",
    real: str = "DOUBLE PRECISION",
    schema: str = "",
    without_rowid: str = "",
) -> list[str]:
    """Return the CREATE statements of every learning table and index.

    Args:
        bigint: the 64-bit integer type name (`INTEGER` on SQLite).
        real: the floating point type name (`REAL` on SQLite).
        schema: a prefix for table names (`"myschema".` on PostgreSQL, empty on SQLite).
        without_rowid: `" WITHOUT ROWID"` on SQLite.
    """
    s, w = schema, without_rowid
    learner_key = "tenant TEXT NOT NULL, learner TEXT NOT NULL, course TEXT NOT NULL"
    return [
        f"CREATE TABLE IF NOT EXISTS {s}{TRACKING} ("
        f"name TEXT PRIMARY KEY, position {bigint} NOT NULL, version INTEGER NOT NULL)",
        # -- stage one --
        f"CREATE TABLE IF NOT EXISTS {s}{FACTS} ("
        f"{learner_key}, module TEXT NOT NULL, statement TEXT NOT NULL, "
        f"position {bigint} NOT NULL, stored {bigint} NOT NULL, happened {bigint} NOT NULL, "
        f"revision INTEGER NOT NULL, kind TEXT NOT NULL, completed INTEGER NOT NULL, "
        f"success INTEGER, scaled {real}, progress {real}, minutes {real}, "
        "path TEXT NOT NULL, after_course TEXT NOT NULL, source TEXT NOT NULL, "
        f"voided_stored {bigint}, "
        f"PRIMARY KEY (tenant, statement, course, module)){w}",
        f"CREATE INDEX IF NOT EXISTS {FACTS}_learner ON {s}{FACTS} (tenant, learner, position)",
        f"CREATE INDEX IF NOT EXISTS {FACTS}_position ON {s}{FACTS} (position)",
        f"CREATE TABLE IF NOT EXISTS {s}{VOIDS} ("
        f"tenant TEXT NOT NULL, statement TEXT NOT NULL, position {bigint} NOT NULL, "
        f"stored {bigint} NOT NULL, PRIMARY KEY (tenant, statement)){w}",
        f"CREATE INDEX IF NOT EXISTS {VOIDS}_position ON {s}{VOIDS} (position)",
        f"CREATE TABLE IF NOT EXISTS {s}{CATALOGUE} ("
        "tenant TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, revision INTEGER NOT NULL, "
        f"document TEXT NOT NULL, retired INTEGER NOT NULL, position {bigint} NOT NULL, "
        f"recorded {bigint} NOT NULL, PRIMARY KEY (tenant, kind, id, revision)){w}",
        # -- stage two --
        f"CREATE TABLE IF NOT EXISTS {s}{ENROLLMENTS} ("
        f"{learner_key}, revision INTEGER NOT NULL, status TEXT NOT NULL, "
        "source TEXT NOT NULL, path TEXT NOT NULL, "
        f"enrolled_at {bigint}, started_at {bigint}, last_activity_at {bigint}, "
        f"completed_at {bigint}, withdrawn_at {bigint}, due_at {bigint}, expires_at {bigint}, "
        f"position {bigint} NOT NULL, PRIMARY KEY (tenant, learner, course)){w}",
        f"CREATE INDEX IF NOT EXISTS {ENROLLMENTS}_course ON {s}{ENROLLMENTS} "
        "(tenant, course, learner)",
        f"CREATE INDEX IF NOT EXISTS {ENROLLMENTS}_enrolled ON {s}{ENROLLMENTS} "
        "(tenant, enrolled_at, learner, course)",
        f"CREATE INDEX IF NOT EXISTS {ENROLLMENTS}_status ON {s}{ENROLLMENTS} "
        "(tenant, status, learner, course)",
        f"CREATE TABLE IF NOT EXISTS {s}{PROGRESS} ("
        f"{learner_key}, revision INTEGER NOT NULL, fraction {real} NOT NULL, "
        "required INTEGER NOT NULL, met INTEGER NOT NULL, modules TEXT NOT NULL, "
        f"last_activity_at {bigint}, position {bigint} NOT NULL, "
        f"PRIMARY KEY (tenant, learner, course)){w}",
        f"CREATE INDEX IF NOT EXISTS {PROGRESS}_course ON {s}{PROGRESS} (tenant, course, learner)",
        f"CREATE TABLE IF NOT EXISTS {s}{SCORES} ("
        f"{learner_key}, module TEXT NOT NULL, attempts INTEGER NOT NULL, best {real}, "
        f"latest {real}, latest_at {bigint}, position {bigint} NOT NULL, "
        f"PRIMARY KEY (tenant, learner, course, module)){w}",
        f"CREATE INDEX IF NOT EXISTS {SCORES}_course ON {s}{SCORES} "
        "(tenant, course, learner, module)",
        f"CREATE TABLE IF NOT EXISTS {s}{SCORES_ATTEMPTS} ("
        f"{learner_key}, module TEXT NOT NULL, statement TEXT NOT NULL, scaled {real} NOT NULL, "
        f"success INTEGER, happened {bigint} NOT NULL, "
        f"PRIMARY KEY (tenant, learner, course, module, statement)){w}",
        f"CREATE TABLE IF NOT EXISTS {s}{COMPLETIONS} ("
        f"{learner_key}, completed_at {bigint} NOT NULL, passed INTEGER NOT NULL, "
        f"score {real}, revision INTEGER NOT NULL, expires_at {bigint}, "
        "on_time INTEGER NOT NULL, statement TEXT NOT NULL, "
        f"position {bigint} NOT NULL, PRIMARY KEY (tenant, learner, course, completed_at)){w}",
        f"CREATE INDEX IF NOT EXISTS {COMPLETIONS}_course ON {s}{COMPLETIONS} "
        "(tenant, course, completed_at)",
        f"CREATE TABLE IF NOT EXISTS {s}{CERTIFICATE_ELIGIBILITY} ("
        f"{learner_key}, revision INTEGER NOT NULL, status TEXT NOT NULL, unmet TEXT NOT NULL, "
        f"completed_at {bigint}, due_at {bigint}, expires_at {bigint}, "
        f"position {bigint} NOT NULL, PRIMARY KEY (tenant, learner, course)){w}",
        f"CREATE INDEX IF NOT EXISTS {CERTIFICATE_ELIGIBILITY}_course ON "
        f"{s}{CERTIFICATE_ELIGIBILITY} (tenant, course, learner)",
        f"CREATE INDEX IF NOT EXISTS {CERTIFICATE_ELIGIBILITY}_status ON "
        f"{s}{CERTIFICATE_ELIGIBILITY} (tenant, status, learner, course)",
    ]
