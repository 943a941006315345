"""The learning reports: `GET /v1/reports/{name}` as JSON pages, or NDJSON / CSV exports."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlencode

import falcon
import orjson

from api.v1.consistency import WAIT_SECONDS, wait_for_min_position
from api.v1.export import chunked, encode, primed
from api.v1.report_params import (
    FORMATS,
    NOT_IN_DIGEST,
    Params,
    choose_format,
    limit_param,
    page_limit,
    parse_query,
    read_params,
    single,
)
from ledger.application import Ledger
from projections.report_query import (
    PositionWaiter,
    ReportQueries,
    bad_cursor,
    decode_cursor,
    encode_cursor,
    key_fits,
    query_digest,
)
from projections.reports import Report

SCOPES = ("reports:read", "admin")


def now_ms() -> int:
    """The wall clock in ms since the epoch."""
    return time.time_ns() // 1_000_000


class ReportResource:
    """`/v1/reports/{name}`: one report's rows, filtered, sorted, paged or exported.

    JSON answers a page `{"items": [...], "next": url | null}`; NDJSON and CSV stream every
    matching row, or with `limit` a page whose next page is in the `Link` header.
    """

    scopes = {"GET": SCOPES}

    def __init__(
        self,
        report: Report,
        ledger: Ledger,
        queries: ReportQueries,
        waiter: PositionWaiter,
        *,
        wait_seconds: float = WAIT_SECONDS,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.report = report
        self.ledger = ledger
        self.queries = queries
        self.waiter = waiter
        self.wait_seconds = wait_seconds
        self.clock = clock

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer the report's rows in the format asked for."""
        report = self.report
        tenant = req.context.principal.tenant
        pairs = read_params(req, report)
        params = single(pairs)
        fmt = choose_format(req, params)
        limit = limit_param(params)
        query = parse_query(
            report, pairs, self.clock(), lambda path: self.queries.path_courses(tenant, path)
        )
        wait_for_min_position(self.waiter, params, self.wait_seconds)
        digest = query_digest([item for item in pairs if item[0] not in NOT_IN_DIGEST])
        secret = self.ledger.tenant_secret(tenant)
        if "cursor" in params:
            now, after = decode_cursor(secret, tenant, report.name, digest, params["cursor"])
            query = replace(query, now=now, after=after)
            if not key_fits(report, query):
                raise bad_cursor()
        resp.content_type = FORMATS[fmt]
        if fmt != "json" and limit is None:
            rows = self.queries.stream(tenant, report, query)
            resp.stream = primed(chunked(encode(fmt, report.column_names, rows)))
            return
        page = self.queries.select_page(tenant, report, query, limit or page_limit(params))
        next_url = None
        if page.next_key is not None:
            token = encode_cursor(secret, tenant, report.name, digest, query.now, page.next_key)
            next_url = _url(req.path, pairs, token)
        if fmt == "json":
            resp.data = orjson.dumps({"items": page.rows, "next": next_url})
            return
        if next_url is not None:
            resp.append_header("Link", f'<{next_url}>; rel="next"')
        resp.data = b"".join(encode(fmt, report.column_names, page.rows))


def _url(path: str, pairs: Params, cursor: str) -> str:
    """The URL of the next page: the same parameters with the new cursor."""
    kept = [(name, value) for name, value in pairs if name != "cursor"]
    return path + "?" + urlencode([*kept, ("cursor", cursor)])
