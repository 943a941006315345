"""Query parameters of the report resources: checked against what each report offers."""

from __future__ import annotations

from collections.abc import Callable

import falcon

from api.xapi.params import agent_param, bad_param, int_param, timestamp_ms_param
from ledger.errors import InvalidInputError, Problem
from ledger.xapi import is_iri
from ledger.xapi.equivalence import normalise_iri
from ledger.xapi.ifi import ifi_key
from projections.learners import learner_key
from projections.report_query import DEFAULT_LIMIT, MAX_LIMIT, ReportQuery
from projections.reports import Report

Params = list[tuple[str, str]]

#: Parameters every report takes; `REPEATABLE` ones may be given more than once.
COMMON = ("course", "path", "learner", "agent", "sort", "limit", "cursor", "format")
REPEATABLE = frozenset({"course", "learner", "status"})
#: Parameters that shape the answer, not the rows: a cursor stays valid when they change.
NOT_IN_DIGEST = frozenset({"cursor", "limit", "format", "min_position"})
#: Learner attributes: filtering by them needs the learner registry (issue 6).
ATTRIBUTES = ("role", "team", "location")
FORMATS = {"json": falcon.MEDIA_JSON, "ndjson": "application/x-ndjson", "csv": "text/csv"}


def allowed_params(report: Report) -> list[str]:
    """Every parameter `report` takes."""
    names = [*COMMON, "min_position"]
    if report.status is not None:
        names.append("status")
    if report.module:
        names.append("module")
    for window in report.windows:
        names.extend((f"{window}_since", f"{window}_until"))
    return names


def read_params(req: falcon.Request, report: Report) -> Params:
    """Return the query parameters as (name, value) pairs, refusing unknown or repeated ones."""
    allowed = allowed_params(report)
    pairs: Params = []
    unknown: list[str] = []
    for name, value in req.params.items():
        values = value if isinstance(value, list) else [value]
        if name in ATTRIBUTES:
            raise InvalidInputError(
                f"query parameter {name!r} filters by a learner attribute, which needs the "
                "learner registry; this ledger has none yet, so reports cannot filter by it",
                [Problem(f"?{name}", "learner attributes are not available yet (no registry)")],
            )
        if name not in allowed:
            unknown.append(name)
            continue
        if len(values) > 1 and name not in REPEATABLE:
            raise InvalidInputError(
                f"query parameter {name!r} is repeated", [Problem(f"?{name}", "repeated")]
            )
        pairs.extend((name, item) for item in values)
    if unknown:
        raise InvalidInputError(
            f"query parameters not allowed on the {report.name} report: {', '.join(unknown)}",
            [Problem(f"?{name}", "unknown parameter") for name in unknown],
        )
    return pairs


def single(pairs: Params) -> dict[str, str]:
    """The parameters given once, by name (repeatable ones: their last value)."""
    return dict(pairs)


def values(pairs: Params, name: str) -> list[str]:
    """Every value of parameter `name`, in order."""
    return [value for key, value in pairs if key == name]


def limit_param(params: dict[str, str]) -> int | None:
    """Read `limit`: 1 to MAX_LIMIT rows a page (None: not given)."""
    return int_param(params, "limit", 1, MAX_LIMIT)


def page_limit(params: dict[str, str]) -> int:
    """The rows a JSON page holds: `limit`, else DEFAULT_LIMIT."""
    return limit_param(params) or DEFAULT_LIMIT


def _iris(pairs: Params, name: str) -> tuple[str, ...]:
    found = []
    for value in values(pairs, name):
        if not is_iri(value):
            raise bad_param(name, "must be an absolute IRI")
        found.append(normalise_iri(value))
    return tuple(found)


def parse_query(
    report: Report,
    pairs: Params,
    now: int,
    path_courses: Callable[[str], tuple[str, ...] | None],
) -> ReportQuery:
    """Return the report query the parameters ask for (no cursor applied).

    Args:
        report: the report asked for.
        pairs: its checked parameters (`read_params`).
        now: ms: the read-time `now`.
        path_courses: the courses of a learning path by its IRI (None: no such path).
    """
    params = single(pairs)
    courses: list[tuple[str, ...]] = []
    if "course" in params:
        courses.append(_iris(pairs, "course"))
    if "path" in params:
        (path,) = _iris(pairs, "path")
        found = path_courses(path)
        if found is None:
            raise bad_param("path", "names no learning path in the catalogue")
        courses.append(found)
    learners: list[tuple[str, ...]] = []
    if "learner" in params:
        learners.append(tuple(learner_key(value) for value in values(pairs, "learner")))
    agent = agent_param(params, "agent")
    if agent is not None:
        key = ifi_key(agent)
        assert key is not None  # an Agent always has an IFI (validated)
        learners.append((key,))
    statuses = tuple(values(pairs, "status"))
    for status in statuses:
        if status not in report.statuses:
            raise bad_param("status", f"must be one of {', '.join(report.statuses)}")
    windows = []
    for window, column in report.windows.items():
        since = timestamp_ms_param(params, f"{window}_since")
        until = timestamp_ms_param(params, f"{window}_until")
        if since is not None or until is not None:
            windows.append((column, since, until))
    module = None
    if "module" in params:
        (module,) = _iris(pairs, "module")
    sort = params.get("sort", report.default_sort)
    descending = sort.startswith("-")
    sort = sort.removeprefix("-")
    if sort not in report.sorts:
        raise bad_param(
            "sort", f"must be one of {', '.join(report.sorts)} (with - before it to reverse)"
        )
    return ReportQuery(
        now=now,
        courses=tuple(courses),
        learners=tuple(learners),
        statuses=statuses,
        windows=tuple(windows),
        module=module,
        sort=sort,
        descending=descending,
    )


def choose_format(req: falcon.Request, params: dict[str, str]) -> str:
    """The answer's format: `format`, else the best the `Accept` header takes, else JSON."""
    if "format" in params:
        fmt = params["format"]
        if fmt not in FORMATS:
            raise bad_param("format", "must be json, ndjson or csv")
        return fmt
    if not req.get_header("Accept"):
        return "json"
    best = req.client_prefers(list(FORMATS.values()))
    return next((fmt for fmt, media in FORMATS.items() if media == best), "json")
