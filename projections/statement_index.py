"""The statement_index read model: what GET /xapi/statements filters on, kept inline.

One row per statement in `statement_index` (verb, object activity, registration, the
StatementRef target, voided), plus side tables for agents (`statement_index_agents`) and
activities (`statement_index_activities`) so `agent`, `related_agents`, `activity` and
`related_activities` are index lookups rather than JSON scans. Every row carries the tenant,
the statement's `stored` time in milliseconds and its log position, the keyset the queries page
on. The rows are written by the event recorder in the same transaction as the events (see
`IndexedSQLiteRecorder`, `IndexedPostgresRecorder`), so a statement acknowledged to a client
is in its next query; `rebuild` derives the same rows from the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.statements import voiding_target
from ledger.xapi.equivalence import normalise_iri
from ledger.xapi.ifi import ifi_key
from ledger.xapi.primitives import epoch_ms, parse_timestamp

NAME = "statement_index"
#: Bump when the rows change: `db migrate` then rebuilds the index from the log.
VERSION = 1

_CONTEXT_LISTS = ("parent", "grouping", "category", "other")


def agent_keys(agent: Mapping[str, Any]) -> Iterator[str]:
    """Yield the IFI keys an Agent or Group matches: its own and its members' (Comm §2.1.3)."""
    key = ifi_key(agent)
    if key is not None:
        yield key
    for member in agent.get("member", ()):
        member_key = ifi_key(member)
        if member_key is not None:
            yield member_key


@dataclass
class IndexEntry:
    """The filterable facts of one statement."""

    statement_id: str
    verb: str
    activity: str | None
    registration: str | None
    ref_target: str | None
    is_voiding: bool
    #: IFI key → True when the agent is the actor or object (or a member of them).
    agents: dict[str, bool] = field(default_factory=dict)
    #: activity id → True when it is the object.
    activities: dict[str, bool] = field(default_factory=dict)


def _add(found: dict[str, bool], keys: Iterable[str], direct: bool) -> None:
    for key in keys:
        found[key] = found.get(key, False) or direct


def _context_parts(
    context: Mapping[str, Any], agents: dict[str, bool], activities: dict[str, bool]
) -> None:
    """Add the related agents and activities of a context (Comm §2.1.3, 2.0 LRS §4.1.6.1)."""
    for key in ("instructor", "team"):
        if key in context:
            _add(agents, agent_keys(context[key]), False)
    for item in context.get("contextAgents", ()):
        _add(agents, agent_keys(item["agent"]), False)
    for item in context.get("contextGroups", ()):
        _add(agents, agent_keys(item["group"]), False)
    context_activities = context.get("contextActivities", {})
    for name in _CONTEXT_LISTS:
        value = context_activities.get(name)
        if value is None:
            continue
        for activity in value if isinstance(value, list) else (value,):
            _add(activities, (normalise_iri(activity["id"]),), False)


def index_entry(statement: Mapping[str, Any]) -> IndexEntry:
    """Return the index entry of a stored statement."""
    obj = statement["object"]
    kind = obj.get("objectType", "Activity")
    agents: dict[str, bool] = {}
    activities: dict[str, bool] = {}
    _add(agents, agent_keys(statement["actor"]), True)
    activity = None
    ref_target = None
    if kind == "Activity":
        activity = normalise_iri(obj["id"])
        activities[activity] = True
    elif kind in ("Agent", "Group"):
        _add(agents, agent_keys(obj), True)
    elif kind == "StatementRef":
        ref_target = obj["id"].lower()
    elif kind == "SubStatement":
        # "the same places inside a SubStatement" count as related (Comm §2.1.3).
        _add(agents, agent_keys(obj["actor"]), False)
        inner = obj["object"]
        inner_kind = inner.get("objectType", "Activity")
        if inner_kind == "Activity":
            _add(activities, (normalise_iri(inner["id"]),), False)
        elif inner_kind in ("Agent", "Group"):
            _add(agents, agent_keys(inner), False)
        _context_parts(obj.get("context", {}), agents, activities)
    if "authority" in statement:
        _add(agents, agent_keys(statement["authority"]), False)
    context = statement.get("context", {})
    _context_parts(context, agents, activities)
    registration = context.get("registration")
    verb = normalise_iri(statement["verb"]["id"])
    return IndexEntry(
        statement_id=statement["id"].lower(),
        verb=verb,
        activity=activity,
        registration=registration.lower() if registration else None,
        ref_target=ref_target,
        is_voiding=voiding_target(statement) is not None,
        agents=agents,
        activities=activities,
    )


def stored_ms(stored: str) -> int:
    """Return a `stored` timestamp as milliseconds since the epoch."""
    return epoch_ms(parse_timestamp(stored))


@dataclass
class IndexRows:
    """The rows of a batch of statements, ready for executemany/COPY."""

    main: list[tuple[Any, ...]] = field(default_factory=list)
    agents: list[tuple[Any, ...]] = field(default_factory=list)
    activities: list[tuple[Any, ...]] = field(default_factory=list)
    statement_ids: list[str] = field(default_factory=list)

    def add(self, tenant: str, position: int, millis: int, entry: IndexEntry) -> None:
        """Add one statement's rows."""
        self.main.append(
            (
                position,
                tenant,
                entry.statement_id,
                millis,
                entry.verb,
                entry.activity,
                entry.registration,
                entry.ref_target,
                int(entry.is_voiding),
            )
        )
        self.statement_ids.append(entry.statement_id)
        self.agents.extend(
            (tenant, key, millis, position, int(direct)) for key, direct in entry.agents.items()
        )
        self.activities.extend(
            (tenant, key, millis, position, int(direct)) for key, direct in entry.activities.items()
        )


MAIN_COLUMNS = (
    "position, tenant, statement_id, stored_ms, verb, activity, registration, ref_target, "
    "is_voiding"
)
SIDE_COLUMNS = "tenant, {key}, stored_ms, position, direct"


#: The secondary indexes: (name, table, what it indexes). A full rebuild drops them and builds
#: them again once the rows are in, which is several times faster than keeping them up to date.
SECONDARY_INDEXES = (
    ("statement_index_id", "statement_index", "(tenant, statement_id)"),
    ("statement_index_stored", "statement_index", "(tenant, stored_ms, position)"),
    ("statement_index_verb", "statement_index", "(tenant, verb, stored_ms, position)"),
    (
        "statement_index_activity",
        "statement_index",
        "(tenant, activity, stored_ms, position) WHERE activity IS NOT NULL",
    ),
    (
        "statement_index_registration",
        "statement_index",
        "(tenant, registration, stored_ms, position) WHERE registration IS NOT NULL",
    ),
    (
        "statement_index_refs",
        "statement_index",
        "(tenant, stored_ms, position) WHERE ref_target IS NOT NULL",
    ),
    (
        "statement_index_ref_target",
        "statement_index",
        "(tenant, ref_target) WHERE ref_target IS NOT NULL",
    ),
    (
        "statement_index_agents_direct",
        "statement_index_agents",
        "(tenant, ifi, stored_ms, position) WHERE direct = 1",
    ),
)


#: Secondary indexes that also enforce uniqueness: one row per (tenant, statement id).
_UNIQUE = frozenset({"statement_index_id"})

#: The clustered keys of the tables (PostgreSQL builds them after a full rebuild's rows).
PRIMARY_KEYS = {
    "statement_index": "position",
    "statement_index_agents": "tenant, ifi, stored_ms, position",
    "statement_index_activities": "tenant, activity, stored_ms, position",
}


def index_ddl(schema: str = "") -> list[str]:
    """Return the CREATE INDEX statements of the secondary indexes."""
    return [
        f"CREATE {'UNIQUE ' if name in _UNIQUE else ''}INDEX IF NOT EXISTS {name} "
        f"ON {schema}{table} {what}"
        for name, table, what in SECONDARY_INDEXES
    ]


def ddl(bigint: str = "BIGINT", schema: str = "", without_rowid: str = "") -> list[str]:
    """Return the CREATE statements of the index tables and indexes (the same on both stores).

    The side tables are clustered on their query key (SQLite `WITHOUT ROWID`), so a row
    costs one b-tree insert there; `statement_index_head` holds the newest `stored`.

    Args:
        bigint: the 64-bit integer type name.
        schema: a prefix for table names (`"myschema".` on PostgreSQL, empty on SQLite).
        without_rowid: `" WITHOUT ROWID"` on SQLite.
    """
    tables = [
        "CREATE TABLE IF NOT EXISTS {s}statement_index ("
        f"position {bigint} NOT NULL, tenant TEXT NOT NULL, statement_id TEXT NOT NULL, "
        f"stored_ms {bigint} NOT NULL, verb TEXT NOT NULL, activity TEXT, registration TEXT, "
        "ref_target TEXT, is_voiding SMALLINT NOT NULL, voided SMALLINT NOT NULL DEFAULT 0, "
        f"PRIMARY KEY ({PRIMARY_KEYS['statement_index']}))",
        "CREATE TABLE IF NOT EXISTS {s}statement_index_agents ("
        f"tenant TEXT NOT NULL, ifi TEXT NOT NULL, stored_ms {bigint} NOT NULL, "
        f"position {bigint} NOT NULL, direct SMALLINT NOT NULL, "
        f"PRIMARY KEY ({PRIMARY_KEYS['statement_index_agents']})){without_rowid}",
        "CREATE TABLE IF NOT EXISTS {s}statement_index_activities ("
        f"tenant TEXT NOT NULL, activity TEXT NOT NULL, stored_ms {bigint} NOT NULL, "
        f"position {bigint} NOT NULL, direct SMALLINT NOT NULL, "
        f"PRIMARY KEY ({PRIMARY_KEYS['statement_index_activities']})){without_rowid}",
        "CREATE TABLE IF NOT EXISTS {s}statement_index_head ("
        f"id INTEGER PRIMARY KEY, stored_ms {bigint} NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {s}statement_index_tracking ("
        "name TEXT PRIMARY KEY, version INTEGER NOT NULL)",
    ]
    return [statement.replace("{s}", schema) for statement in tables] + index_ddl(schema)
