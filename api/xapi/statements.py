"""The xAPI Statement resource: PUT, POST, and GET/HEAD of single statements."""

from __future__ import annotations

from typing import Any

import falcon

from api.http import boolean_param, json_body, media_type, query_params, send_json
from ledger.application import Ledger
from ledger.errors import InvalidInputError, InvalidStatementError, Problem
from ledger.xapi.formats import format_statement, parse_accept_language
from ledger.xapi.primitives import is_uuid, parse_timestamp

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


class StatementsResource:
    """`/xapi/statements` (xAPI 1.0.3 Comm §2.1, 2.0 LRS §4.1.6.1)."""

    scopes = {"GET": READ_SCOPES, "PUT": WRITE_SCOPES, "POST": WRITE_SCOPES}

    def __init__(self, ledger: Ledger, max_body_bytes: int) -> None:
        self.ledger = ledger
        self.max_body_bytes = max_body_bytes

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
        """Fetch one statement by `statementId` or `voidedStatementId` (Comm §2.1.3-2.1.4)."""
        if "statementId" not in req.params and "voidedStatementId" not in req.params:
            raise InvalidInputError(
                "this ledger answers GET /xapi/statements for one statement, by statementId "
                "or voidedStatementId; filtered queries arrive with the statement index",
                [Problem("?statementId", "required until filtered queries are available")],
            )
        params = query_params(req, allowed=_SINGLE_PARAMS)
        if "statementId" in params and "voidedStatementId" in params:
            raise InvalidInputError(
                "give statementId or voidedStatementId, not both",
                [Problem("?voidedStatementId", "not allowed together with statementId")],
            )
        voided = "voidedStatementId" in params
        statement_id = _uuid_param(params, "voidedStatementId" if voided else "statementId")
        fmt = params.get("format", "exact")
        if fmt not in FORMATS:
            raise InvalidInputError(
                "format must be exact, ids or canonical", [Problem("?format", "unknown format")]
            )
        boolean_param(params, "attachments")  # none are stored yet: JSON either way
        statement = self.ledger.get_statement(
            req.context.principal.tenant, statement_id, voided=voided
        )
        languages = (
            parse_accept_language(req.get_header("Accept-Language")) if fmt == "canonical" else None
        )
        resp.last_modified = parse_timestamp(statement["stored"])
        send_json(resp, format_statement(statement, fmt, languages))

    on_head = on_get
