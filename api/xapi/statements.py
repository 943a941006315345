"""The xAPI Statement resource: PUT, POST, GET/HEAD of one statement or a query's pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import falcon
import orjson

from api.http import boolean_param, json_body, media_type, query_params, send_json
from api.xapi.statement_params import QUERY_PARAMS, parse_filter, parse_limit
from ledger.application import Ledger
from ledger.errors import InvalidInputError, InvalidStatementError, Problem
from ledger.xapi.formats import format_statement, parse_accept_language
from ledger.xapi.primitives import from_epoch_ms, is_uuid, parse_timestamp
from projections.definitions_store import DefinitionsProjection, canonical_definitions
from projections.statement_query import StatementQueries, decode_cursor, encode_cursor

WRITE_SCOPES = ("statements/write", "all")
READ_SCOPES = ("statements/read", "statements/read/mine", "all/read", "all")
FORMATS = ("exact", "ids", "canonical")
_SINGLE_PARAMS = ("statementId", "voidedStatementId", "format", "attachments")


def _uuid_param(params: dict[str, str], name: str) -> str:
    value = params[name]
    if not is_uuid(value):
        raise InvalidInputError(
            f"query parameter {name!r} must be a UUID", [Problem(f"?{name}", "not a UUID")]
        )
    return value


def _format(params: dict[str, str]) -> str:
    fmt = params.get("format", "exact")
    if fmt not in FORMATS:
        raise InvalidInputError(
            "format must be exact, ids or canonical", [Problem("?format", "unknown format")]
        )
    return fmt


def _languages(req: falcon.Request, fmt: str) -> list[tuple[str, float]] | None:
    if fmt != "canonical":
        return None
    return parse_accept_language(req.get_header("Accept-Language"))


class StatementsResource:
    """`/xapi/statements` (xAPI 1.0.3 Comm §2.1, 2.0 LRS §4.1.6.1)."""

    scopes = {"GET": READ_SCOPES, "PUT": WRITE_SCOPES, "POST": WRITE_SCOPES}

    def __init__(
        self,
        ledger: Ledger,
        queries: StatementQueries,
        max_body_bytes: int,
        *,
        definitions: DefinitionsProjection | None = None,
    ) -> None:
        self.ledger = ledger
        self.queries = queries
        self.max_body_bytes = max_body_bytes
        self.definitions = definitions

    def _canonical(
        self, tenant: str, fmt: str, statements: list[dict[str, Any]]
    ) -> dict[str, dict[str, Any]] | None:
        """The canonical Activity definitions `format=canonical` shows (1.0.3 Comm §2.1.3)."""
        if fmt != "canonical" or self.definitions is None:
            return None
        return canonical_definitions(self.definitions, tenant, statements)

    def _body(self, req: falcon.Request) -> Any:
        if media_type(req) == "multipart/mixed":
            raise InvalidStatementError(
                "multipart/mixed (statements with attachments) is not accepted yet; "
                "send statements without attachments as application/json",
                [Problem("", "attachments are not accepted yet")],
            )
        return json_body(req, self.max_body_bytes)

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store one statement under `statementId` → 204 (Comm §2.1.1)."""
        params = query_params(req, allowed=("statementId",), required=("statementId",))
        statement_id = _uuid_param(params, "statementId")
        body = self._body(req)
        if not isinstance(body, dict):
            raise InvalidStatementError(
                "PUT takes a single statement object", [Problem("", "must be a JSON object")]
            )
        given = body.get("id")
        if given is None:
            body = {**body, "id": statement_id}
        elif not isinstance(given, str) or given.lower() != statement_id.lower():
            raise InvalidStatementError(
                "the statement's id differs from the statementId parameter",
                [Problem("/id", f"must equal statementId {statement_id}")],
            )
        recording = self.ledger.record_statements(
            req.context.principal, [body], req.context.xapi_version, batch=False
        )
        req.context.statements_stored = recording.new_statements
        resp.status = falcon.HTTP_204

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store one statement or an array of them → 200 with their ids (Comm §2.1.2)."""
        query_params(req, allowed=())
        body = self._body(req)
        batch = isinstance(body, list)
        statements = body if batch else [body]
        recording = self.ledger.record_statements(
            req.context.principal, statements, req.context.xapi_version, batch=batch
        )
        req.context.statements_stored = recording.new_statements
        send_json(resp, recording.ids)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Fetch one statement, or a page of a query (1.0.3 Comm §2.1.3-2.1.4)."""
        if "statementId" in req.params or "voidedStatementId" in req.params:
            self._get_one(req, resp)
        else:
            self._get_page(req, resp)

    def _get_one(self, req: falcon.Request, resp: falcon.Response) -> None:
        params = query_params(req, allowed=_SINGLE_PARAMS)
        if "statementId" in params and "voidedStatementId" in params:
            raise InvalidInputError(
                "give statementId or voidedStatementId, not both",
                [Problem("?voidedStatementId", "not allowed together with statementId")],
            )
        voided = "voidedStatementId" in params
        statement_id = _uuid_param(params, "voidedStatementId" if voided else "statementId")
        fmt = _format(params)
        boolean_param(params, "attachments")  # none are stored yet: JSON either way
        statement = self.ledger.get_statement(
            req.context.principal.tenant, statement_id, voided=voided
        )
        resp.last_modified = parse_timestamp(statement["stored"])
        definitions = self._canonical(req.context.principal.tenant, fmt, [statement])
        send_json(
            resp, format_statement(statement, fmt, _languages(req, fmt), definitions=definitions)
        )

    def _get_page(self, req: falcon.Request, resp: falcon.Response) -> None:
        tenant = req.context.principal.tenant
        after = None
        if "more" in req.params:
            token = query_params(req, allowed=("more",))["more"]
            params, after = decode_cursor(self.ledger.tenant_secret(tenant), tenant, token)
        else:
            params = query_params(req, allowed=QUERY_PARAMS)
        query = parse_filter(params)
        limit = parse_limit(params)
        fmt = _format(params)
        boolean_param(params, "attachments")  # none are stored yet: JSON either way
        page = self.queries.select_page(tenant, query, limit, after)
        more = ""
        if page.next_key is not None:
            token = encode_cursor(self.ledger.tenant_secret(tenant), tenant, params, page.next_key)
            more = "/xapi/statements?" + urlencode({"more": token})
        if page.keys:
            # 2.0 LRS §4.1.6.1: the newest `stored` among the statements returned.
            newest = max(stored for stored, _ in page.keys)
            resp.last_modified = from_epoch_ms(newest)
        if fmt == "exact":
            # The statements as stored: spliced in without parsing them again.
            parts = self.queries.statement_json_at(page.positions)
        else:
            languages = _languages(req, fmt)
            statements = self.queries.statements_at(page.positions)
            definitions = self._canonical(tenant, fmt, statements)
            parts = [
                orjson.dumps(format_statement(s, fmt, languages, definitions=definitions))
                for s in statements
            ]
        resp.content_type = falcon.MEDIA_JSON
        resp.data = b'{"statements":[' + b",".join(parts) + b'],"more":' + orjson.dumps(more) + b"}"

    on_head = on_get
