"""The five learning reports, declared as data: table, columns, key, sorts, windows, status.

A `Report` declares its view table, its columns (how each is selected and shown), its unique
key, the date windows and sort keys it offers and its read-time status, if any; one query
builder (`projections.report_query`) serves them all. `show_row` turns a selected row into what
a report shows: `learner_id` and the learner as an xAPI Agent, times as ISO 8601 strings,
booleans, nested values, and the read-time rules of `projections.learning.current`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.xapi.ifi import agent_of_key
from ledger.xapi.primitives import format_timestamp, from_epoch_ms
from projections import learning_tables as tables
from projections.learners import learner_id
from projections.learning import current, eligibility_sql, overdue_sql, status_sql
from projections.learning_model import ELIGIBILITIES, STATUSES

Row = dict[str, Any]
Json = dict[str, Any]

# -- column kinds: how a stored value is shown ---------------------------------------------------
TEXT = "text"
OPTIONAL_TEXT = "optional_text"  # '' stored → null shown
INT = "int"
FLOAT = "float"
BOOL = "bool"
TIME = "time"  # ms since the epoch → ISO 8601 UTC string
MODULES = "modules"  # JSON text of module states (their `last_at` shown as a time)
JSON = "json"  # JSON text
ATTEMPTS = "attempts"  # JSON text of [statement, scaled, success, ms] lists


@dataclass(frozen=True)
class Sql:
    """What a report's SQL depends on: the read-time `now` (ms) and the store's dialect."""

    now: int
    prefix: str = ""  # the quoted schema and a dot before table names (PostgreSQL), or ''
    postgres: bool = False

    @property
    def at(self) -> str:
        """`now` as a SQL literal."""
        return str(int(self.now))


SqlOf = Callable[[Sql], str]


def _status(alias: str) -> SqlOf:
    """An enrollment's read-time status (`projections.learning.status_sql`) at `now`."""
    return lambda sql: status_sql(sql.at, f"{alias}.")


def _eligibility(alias: str) -> SqlOf:
    """A certificate eligibility's read-time value at `now`."""
    return lambda sql: eligibility_sql(sql.at, f"{alias}.")


def _overdue(sql: Sql) -> str:
    """Whether an enrollment's deadline passed without a completion, as 1/0."""
    return f"CASE WHEN {overdue_sql(sql.at, 'r.')} THEN 1 ELSE 0 END"


def _expired(sql: Sql) -> str:
    """Whether a completion's validity has run out at `now`, as 1/0."""
    return f"CASE WHEN r.expires_at <= {sql.at} THEN 1 ELSE 0 END"


def _history(sql: Sql) -> str:
    """Every scored attempt of a `scores` row, in time order, as JSON text."""
    same = (
        "a.tenant = r.tenant AND a.learner = r.learner AND a.course = r.course "
        "AND a.module = r.module"
    )
    table = f"{sql.prefix}{tables.SCORES_ATTEMPTS}"
    attempt = "a.statement, a.scaled, a.success, a.happened"
    if sql.postgres:
        return (
            f"(SELECT COALESCE(json_agg(json_build_array({attempt}) "
            f"ORDER BY a.happened, a.statement), '[]')::text FROM {table} a WHERE {same})"
        )
    return (
        f"(SELECT json_group_array(json_array({attempt})) FROM "
        f"(SELECT * FROM {table} a WHERE {same} ORDER BY a.happened, a.statement) a)"
    )


@dataclass(frozen=True)
class Column:
    """One column of a report: its name, its SQL, how it is shown."""

    name: str
    sql: SqlOf
    kind: str


def stored(name: str, kind: str, alias: str = "r") -> Column:
    """A column shown as stored (converted by kind)."""
    return Column(name, lambda sql: f"{alias}.{name}", kind)


@dataclass(frozen=True)
class Report:
    """What one report reads and offers: data the query builder works from.

    Attributes:
        name: the report's name in the URL.
        table: the view table read (alias `r`).
        columns: what each row shows after `learner_id` and `learner`, in order.
        key: columns of `r` that identify a row (the tie-break of every sort).
        sorts: sort name → (column, kind of its values), for `sort=name` / `sort=-name`.
        windows: date window name → column of `r`, for `<name>_since` / `<name>_until`.
        status: the SQL of the read-time status filtered by `status` (None: no such filter).
        statuses: the values `status` may take.
        stored_status: the stored column the read-time status is made from: they differ only
            where the clock made a row `expired`, so a filter without `expired` also holds
            on it — a condition an index serves (None: no status).
        join: SQL after the table (e.g. a LEFT JOIN), or ''.
        module: whether the report has a `module` filter.
        default_sort: the sort without `sort`.
        read_time: completes a shown row by the read-time rules: (row, stored values, now).
    """

    name: str
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    sorts: dict[str, tuple[SqlOf, str]]
    windows: dict[str, str]
    status: SqlOf | None = None
    statuses: tuple[str, ...] = ()
    stored_status: str | None = None
    join: str = ""
    module: bool = False
    default_sort: str = "learner"
    read_time: Callable[[Row, dict[str, Any], int], None] | None = None

    @property
    def column_names(self) -> list[str]:
        """Every column a row shows, in order (the CSV header)."""
        return ["learner_id", "learner", *(column.name for column in self.columns)]


def _r(name: str) -> SqlOf:
    return lambda sql: f"r.{name}"


_LEARNER_SORTS: dict[str, tuple[SqlOf, str]] = {
    "learner": (_r("learner"), TEXT),
    "course": (_r("course"), TEXT),
}

ENROLLMENTS = Report(
    name="enrollments",
    table=tables.ENROLLMENTS,
    columns=(
        stored("course", TEXT),
        stored("revision", INT),
        Column("status", _status("r"), TEXT),
        stored("source", TEXT),
        stored("path", OPTIONAL_TEXT),
        stored("enrolled_at", TIME),
        stored("started_at", TIME),
        stored("last_activity_at", TIME),
        stored("completed_at", TIME),
        stored("withdrawn_at", TIME),
        stored("due_at", TIME),
        stored("expires_at", TIME),
        Column("overdue", _overdue, BOOL),
    ),
    key=("learner", "course"),
    sorts={
        **_LEARNER_SORTS,
        "status": (_status("r"), TEXT),
        "enrolled_at": (_r("enrolled_at"), TIME),
        "last_activity_at": (_r("last_activity_at"), TIME),
        "completed_at": (_r("completed_at"), TIME),
        "due_at": (_r("due_at"), TIME),
    },
    windows={
        "enrolled": "enrolled_at",
        "started": "started_at",
        "activity": "last_activity_at",
        "completed": "completed_at",
        "withdrawn": "withdrawn_at",
        "due": "due_at",
        "expires": "expires_at",
    },
    status=_status("r"),
    stored_status="r.status",
    statuses=STATUSES,
)

PROGRESS = Report(
    name="progress",
    table=tables.PROGRESS,
    columns=(
        stored("course", TEXT),
        stored("revision", INT),
        Column("status", _status("e"), OPTIONAL_TEXT),  # null: no enrollment row
        stored("fraction", FLOAT),
        stored("required", INT),
        stored("met", INT),
        stored("modules", MODULES),
        stored("last_activity_at", TIME),
    ),
    key=("learner", "course"),
    sorts={
        **_LEARNER_SORTS,
        "fraction": (_r("fraction"), FLOAT),
        "last_activity_at": (_r("last_activity_at"), TIME),
    },
    windows={"activity": "last_activity_at"},
    status=_status("e"),
    stored_status="e.status",
    statuses=STATUSES,
    join="LEFT JOIN {p}enrollments e ON e.tenant = r.tenant AND e.learner = r.learner "
    "AND e.course = r.course",
)

SCORES = Report(
    name="scores",
    table=tables.SCORES,
    columns=(
        stored("course", TEXT),
        stored("module", OPTIONAL_TEXT),
        stored("attempts", INT),
        stored("best", FLOAT),
        stored("latest", FLOAT),
        stored("latest_at", TIME),
        Column("history", _history, ATTEMPTS),
    ),
    key=("learner", "course", "module"),
    sorts={
        **_LEARNER_SORTS,
        "module": (_r("module"), TEXT),
        "best": (_r("best"), FLOAT),
        "latest": (_r("latest"), FLOAT),
        "latest_at": (_r("latest_at"), TIME),
    },
    windows={"scored": "latest_at"},
    module=True,
)

COMPLETIONS = Report(
    name="completions",
    table=tables.COMPLETIONS,
    columns=(
        stored("course", TEXT),
        stored("completed_at", TIME),
        stored("passed", BOOL),
        stored("score", FLOAT),
        stored("revision", INT),
        stored("expires_at", TIME),
        Column("expired", _expired, BOOL),
        stored("on_time", BOOL),
        stored("statement", TEXT),
    ),
    key=("learner", "course", "completed_at"),
    sorts={
        **_LEARNER_SORTS,
        "completed_at": (_r("completed_at"), TIME),
        "score": (_r("score"), FLOAT),
        "expires_at": (_r("expires_at"), TIME),
    },
    windows={"completed": "completed_at", "expires": "expires_at"},
)


def _unmet_at(row: Row, stored: dict[str, Any], now: int) -> None:
    """Add the criteria the clock has made unmet (expiry, a passed deadline)."""
    row["unmet"] = current(
        stored["expires_at"], stored["due_at"], stored["completed_at"], "", "", row["unmet"], now
    ).unmet


CERTIFICATE_ELIGIBILITY = Report(
    name="certificate-eligibility",
    table=tables.CERTIFICATE_ELIGIBILITY,
    columns=(
        stored("course", TEXT),
        stored("revision", INT),
        Column("eligibility", _eligibility("r"), TEXT),
        stored("unmet", JSON),
        stored("completed_at", TIME),
        stored("due_at", TIME),
        stored("expires_at", TIME),
    ),
    key=("learner", "course"),
    sorts={
        **_LEARNER_SORTS,
        "eligibility": (_eligibility("r"), TEXT),
        "completed_at": (_r("completed_at"), TIME),
        "due_at": (_r("due_at"), TIME),
        "expires_at": (_r("expires_at"), TIME),
    },
    windows={"completed": "completed_at", "due": "due_at", "expires": "expires_at"},
    status=_eligibility("r"),
    stored_status="r.status",
    statuses=ELIGIBILITIES,
    read_time=_unmet_at,
)

#: Every report by its name in the URL.
REPORTS: dict[str, Report] = {
    report.name: report
    for report in (ENROLLMENTS, PROGRESS, SCORES, COMPLETIONS, CERTIFICATE_ELIGIBILITY)
}


def _time(value: int | None) -> str | None:
    return None if value is None else format_timestamp(from_epoch_ms(int(value)))


def _modules(text: str) -> list[Any]:
    modules = orjson.loads(text)
    items = modules.values() if isinstance(modules, dict) else modules
    shown = []
    for module in items:
        module = dict(module)
        if "last_at" in module:
            module["last_at"] = _time(module["last_at"])
        shown.append(module)
    return shown


def _attempts(text: str) -> list[Json]:
    return [
        {
            "statement": statement,
            "scaled": scaled,
            "success": None if success is None else bool(success),
            "at": _time(at),
        }
        for statement, scaled, success, at in orjson.loads(text)
    ]


_SHOW: dict[str, Callable[[Any], Any]] = {
    TEXT: lambda v: v,
    OPTIONAL_TEXT: lambda v: v or None,
    INT: lambda v: None if v is None else int(v),
    FLOAT: lambda v: None if v is None else float(v),
    BOOL: lambda v: None if v is None else bool(v),
    TIME: _time,
    MODULES: _modules,
    JSON: orjson.loads,
    ATTEMPTS: _attempts,
}


def show_row(report: Report, values: Sequence[Any], now: int) -> Row:
    """Return a selected row as shown: learner id and Agent, times ISO 8601, booleans."""
    key = values[0]
    row: Row = {"learner_id": learner_id(key), "learner": agent_of_key(key)}
    for column, value in zip(report.columns, values[1:], strict=False):
        row[column.name] = _SHOW[column.kind](value)
    if report.read_time is not None:
        report.read_time(row, dict(zip(report.column_names[2:], values[1:], strict=False)), now)
    return row
