"""Report queries: filters, sort, keyset pages and streamed exports of any report.

`ReportQueries` turns a `ReportQuery` (filters, sort, where to go on) into SQL built from the
report's declared shape (`projections.reports`) and yields the matching rows in order, from a
server-side cursor on PostgreSQL and an iterating cursor on SQLite, so an export of any size
runs in constant memory. Pages are keyset pages: a signed `cursor` token holds the last row's
sort key and the read-time `now` every page of the query is judged at.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from psycopg.rows import tuple_row

from ledger.errors import InvalidInputError, Problem
from ledger.xapi.equivalence import normalise_iri
from projections import learning_tables as tables
from projections.learning_model import EXPIRED
from projections.reading import StoreReader
from projections.reports import TEXT, Report, Row, Sql, show_row

#: Rows a page holds unless `limit` says otherwise, and the most it may say.
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
#: Rows a PostgreSQL server-side cursor fetches per round trip while streaming.
ITERSIZE = 2000


# -- the parts of a sorted report: a sort key that may be NULL (a time, a score) is read in two
# parts, rows that have it (in its order) and rows that do not (in the report's key order):
# NULLs come last ascending, first descending. Each part is one keyset query an index serves,
# which a COALESCE over the column would defeat. Text sort keys are never NULL: one part.
ALL = "all"
SET = "set"
UNSET = "unset"


def parts(report: Report, query: ReportQuery) -> tuple[str, ...]:
    """The parts of a query's rows, in the order they are read."""
    _, kind = report.sorts[query.sort or report.default_sort]
    if kind == TEXT:
        return (ALL,)
    return (UNSET, SET) if query.descending else (SET, UNSET)


@dataclass(frozen=True)
class ReportQuery:
    """What to report: filters (empty = not filtered), the sort, the read-time `now`.

    Attributes:
        courses: course ids (comparison form); a row's course must be one of them.
        learners: IFI keys; a row's learner must be one of them.
        statuses: read-time statuses; a row's must be one of them.
        windows: (column, lowest ms or None, ms it must be before or None).
        module: the module id (comparison form) of score rows.
        sort: a name of the report's `sorts`; `descending` reverses it.
        now: ms: the time read-time statuses are judged at.
        after: the sort key of the last row already seen (keyset pagination), or None.
    """

    now: int
    courses: tuple[tuple[str, ...], ...] = ()
    learners: tuple[tuple[str, ...], ...] = ()
    statuses: tuple[str, ...] = ()
    windows: tuple[tuple[str, int | None, int | None], ...] = ()
    module: str | None = None
    sort: str = ""
    descending: bool = False
    after: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class Page:
    """Rows of one page, and the sort key to go on after (None: the last page)."""

    rows: list[Row]
    next_key: tuple[Any, ...] | None


def _sort_key(report: Report, query: ReportQuery, part: str) -> tuple[str, list[str]]:
    """The sort expression, and the expressions of a part's sort key."""
    sort_sql, _ = report.sorts[query.sort or report.default_sort]
    sort_expr = sort_sql(Sql(query.now))
    keys = [f"r.{name}" for name in report.key if f"r.{name}" != sort_expr]
    return sort_expr, keys if part == UNSET else [sort_expr, *keys]


def key_fits(report: Report, query: ReportQuery) -> bool:
    """Whether `query.after` is a key of this query (a part and that part's key values)."""
    if query.after is None:
        return True
    order = parts(report, query)
    part = query.after[0] if query.after else None
    if not isinstance(part, int) or isinstance(part, bool) or not 0 <= part < len(order):
        return False
    return len(query.after) - 1 == len(_sort_key(report, query, order[part])[1])


def build_sql(
    report: Report,
    query: ReportQuery,
    dialect: Sql,
    limit: int | None,
    part: str = ALL,
    after: Sequence[Any] | None = None,
) -> tuple[str, list[Any]]:
    """Return the SQL (with `%s` placeholders) and parameters of one part of a report query.

    The statement selects the report's columns, then the sort key (the sort expression, except
    in the UNSET part, and the report's key columns) the next page goes on after `after`.
    Filters on lists (courses, learners) are each one `IN`; several lists of one kind (a
    `course` and a `path` filter) must all hold. `dialect` gives the store's (its `now` is
    ignored: the query's is used).
    """
    sql = Sql(query.now, dialect.prefix, dialect.postgres)
    prefix = sql.prefix
    sort_expr, key_exprs = _sort_key(report, query, part)
    select = ["r.learner", *(column.sql(sql) for column in report.columns), *key_exprs]
    where = ["r.tenant = %s"]
    if part != ALL:
        where.append(f"{sort_expr} IS {'NOT ' if part == SET else ''}NULL")
    params: list[Any] = []
    for column, values_lists in (("course", query.courses), ("learner", query.learners)):
        for values in values_lists:
            if not values:
                where.append("1 = 0")
                continue
            where.append(f"r.{column} IN ({', '.join(['%s'] * len(values))})")
            params.extend(values)
    if query.statuses:
        assert report.status is not None
        marks = ", ".join(["%s"] * len(query.statuses))
        where.append(f"{report.status(sql)} IN ({marks})")
        params.extend(query.statuses)
        if report.stored_status is not None and EXPIRED not in query.statuses:
            where.append(f"{report.stored_status} IN ({marks})")  # implied; index-served
            params.extend(query.statuses)
    for column, since, until in query.windows:
        if since is not None:
            where.append(f"r.{column} >= %s")
            params.append(since)
        if until is not None:
            where.append(f"r.{column} < %s")
            params.append(until)
    if query.module is not None:
        where.append("r.module = %s")
        params.append(query.module)
    if after is not None:
        op = "<" if query.descending else ">"
        where.append(f"({', '.join(key_exprs)}) {op} ({', '.join(['%s'] * len(key_exprs))})")
        params.extend(after)
    direction = " DESC" if query.descending else ""
    statement = (
        f"SELECT {', '.join(select)} FROM {prefix}{report.table} r "
        + report.join.format(p=prefix)
        + f" WHERE {' AND '.join(where)} ORDER BY "
        + ", ".join(expr + direction for expr in key_exprs)
    )
    if limit is not None:
        statement += f" LIMIT {int(limit)}"
    return statement, params


class ReportQueries(StoreReader):
    """Runs report queries against the learning view tables of a Ledger's store."""

    @property
    def dialect(self) -> Sql:
        """The store's SQL dialect (the `now` in it is not used)."""
        return Sql(0, self.prefix, self.postgres)

    def path_courses(self, tenant: str, path: str) -> tuple[str, ...] | None:
        """The courses (comparison form) of a learning path's latest non-retired revision.

        None when the catalogue has no such path.
        """
        rows = self._rows(
            f"SELECT document FROM {self.prefix}{tables.CATALOGUE} WHERE tenant = %s "
            "AND kind = 'path' AND id = %s AND retired = 0 ORDER BY revision DESC LIMIT 1",
            [tenant, path],
        )
        if not rows:
            return None
        document = orjson.loads(rows[0][0])
        return tuple(normalise_iri(course) for course in document.get("courses", ()))

    def select_page(self, tenant: str, report: Report, query: ReportQuery, limit: int) -> Page:
        """Return one page of `limit` rows and the key to go on after, if there are more."""
        rows: list[Row] = []
        next_key: tuple[Any, ...] | None = None
        last_key: tuple[Any, ...] | None = None
        for part, values in self._select(tenant, report, query, limit + 1, stream=False):
            if len(rows) == limit:
                next_key = last_key
                break
            rows.append(show_row(report, values, query.now))
            last_key = (part, *values[1 + len(report.columns) :])
        return Page(rows, next_key)

    def stream(self, tenant: str, report: Report, query: ReportQuery) -> Iterator[Row]:
        """Yield every matching row, in order, holding only a cursor's batch in memory."""
        for _, values in self._select(tenant, report, query, None, stream=True):
            yield show_row(report, values, query.now)

    def _select(
        self, tenant: str, report: Report, query: ReportQuery, limit: int | None, *, stream: bool
    ) -> Iterator[tuple[int, Sequence[Any]]]:
        """Yield (part, row) of at most `limit` rows, part after part, after `query.after`."""
        order = parts(report, query)
        start, after = 0, None
        if query.after is not None:
            start, after = int(query.after[0]), tuple(query.after[1:])
        left = limit
        for part in range(start, len(order)):
            sql, params = build_sql(
                report, query, self.dialect, left, order[part], after if part == start else None
            )
            with self._iterate(sql, [tenant, *params], stream) as rows:
                for values in rows:
                    yield part, values
                    if left is not None:
                        left -= 1
            if left == 0:
                return

    @contextmanager
    def _iterate(self, sql: str, params: list[Any], stream: bool) -> Iterator[Iterator[Any]]:
        """Run `sql`; give an iterator of its rows (tuples) that fetches them as it goes."""
        if self.postgres:
            with self.datastore.get_connection() as conn:
                if not stream:
                    with conn.cursor(row_factory=tuple_row) as curs:
                        curs.execute(sql, params)
                        yield iter(curs.fetchall())
                    return
                with (
                    conn.transaction(),
                    conn.cursor(name=f"report_{id(params):x}", row_factory=tuple_row) as curs,
                ):
                    curs.itersize = ITERSIZE
                    curs.execute(sql, params)
                    yield iter(curs)
        else:
            with self.datastore.transaction(commit=False) as curs:
                curs.execute(sql.replace("%s", "?"), params)
                yield (tuple(row) for row in curs.sqlite_cursor)


# -- cursors (keyset page tokens) -------------------------------------------------------------


def query_digest(params: Sequence[tuple[str, str]]) -> str:
    """A digest of a query's parameters (order-independent), to tie a cursor to its query."""
    canonical = orjson.dumps(sorted([list(item) for item in params]))
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()[:12]).decode()


def encode_cursor(
    secret: bytes, tenant: str, report: str, digest: str, now: int, key: tuple[Any, ...]
) -> str:
    """Return an opaque, signed cursor: the page's query, its `now` and where to go on."""
    payload = base64.urlsafe_b64encode(
        orjson.dumps({"t": tenant, "r": report, "q": digest, "n": now, "k": list(key)})
    ).rstrip(b"=")
    signature = base64.urlsafe_b64encode(
        hmac.new(secret, b"report." + payload, hashlib.sha256).digest()[:18]
    )
    return (payload + b"." + signature).decode()


def decode_cursor(
    secret: bytes, tenant: str, report: str, digest: str, token: str
) -> tuple[int, tuple[Any, ...]]:
    """Return the `now` and sort key of a cursor, or raise InvalidInputError naming `cursor`.

    A cursor changed, made up, made for another tenant or report, or used with other
    filters or sort than its query's, is refused.
    """
    try:
        payload, signature = token.encode("ascii").split(b".")
        expected = base64.urlsafe_b64encode(
            hmac.new(secret, b"report." + payload, hashlib.sha256).digest()[:18]
        )
        if not hmac.compare_digest(signature, expected):
            raise ValueError("signature")
        data = orjson.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
        if (data["t"], data["r"]) != (tenant, report):
            raise ValueError("made for another report")
        if data["q"] != digest:
            raise InvalidInputError(
                "the cursor belongs to a query with other filters or sort; keep the other "
                "parameters as they were, or start again without a cursor",
                [Problem("?cursor", "made for a query with other parameters")],
            )
        return int(data["n"]), tuple(data["k"])
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise bad_cursor() from None


def bad_cursor() -> InvalidInputError:
    """The 400 for a cursor that was changed, made up, or made for another report."""
    return InvalidInputError(
        "the cursor is not valid: it was changed, or made for another report or tenant; "
        "start again without a cursor",
        [Problem("?cursor", "not a cursor this ledger issued for this report")],
    )


# -- waiting for the projections ----------------------------------------------------------------


class PositionWaiter(Protocol):
    """Waits until the learning projections have processed a log position."""

    def wait_for(self, position: int, timeout: float) -> bool:
        """Return whether the projections reached `position` within `timeout` seconds."""
        ...
