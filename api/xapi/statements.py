"""The xAPI Statement resource: PUT, POST, GET/HEAD of one statement or a query's pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import falcon
import orjson

from api.http import (
    boolean_param,
    json_body,
    media_type,
    query_params,
    read_body,
    send_json,
)
from api.xapi.params import uuid_param
from api.xapi.statement_params import QUERY_PARAMS, parse_filter, parse_limit
from ledger.application import Ledger
from ledger.errors import InvalidInputError, InvalidStatementError, Problem
from ledger.xapi import parse_json
from ledger.xapi.attachments import attachment_objects
from ledger.xapi.formats import format_statement, parse_accept_language
from ledger.xapi.multipart import AttachmentPart, build_multipart, parse_statement_request
from ledger.xapi.primitives import from_epoch_ms, parse_timestamp
from projections.definitions_store import DefinitionsProjection, canonical_definitions
from projections.statement_query import StatementQueries, decode_cursor, encode_cursor

WRITE_SCOPES = ("statements/write", "all")
# `statements/read/mine` is not listed: it would need results narrowed to the credential's own
# statements (1.0.3 Comm §4.2), which the ledger does not do, so it is refused (403), never widened.
READ_SCOPES = ("statements/read", "all/read", "all")
FORMATS = ("exact", "ids", "canonical")
_SINGLE_PARAMS = ("statementId", "voidedStatementId", "format", "attachments")


def _required_uuid(params: dict[str, str], name: str) -> str:
    value = uuid_param(params, name)
    assert value is not None  # present: the caller checked
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

    def _body(self, req: falcon.Request) -> tuple[Any, dict[str, AttachmentPart] | None]:
        """Read the statements and, from a multipart/mixed body, the attachment parts.

        xAPI 1.0.3 Comm §1.5.1-1.5.2: application/json (attachments by fileUrl only) or
        multipart/mixed (statements first, then one part per attachment's data).
        """
        if media_type(req) == "multipart/mixed":
            parsed = parse_statement_request(
                req.content_type or "", read_body(req, self.max_body_bytes)
            )
            return parse_json(parsed.statements_json), parsed.attachments
        return json_body(req, self.max_body_bytes), None

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store one statement under `statementId` → 204 (Comm §2.1.1)."""
        params = query_params(req, allowed=("statementId",), required=("statementId",))
        statement_id = _required_uuid(params, "statementId")
        body, attachments = self._body(req)
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
            req.context.principal,
            [body],
            req.context.xapi_version,
            batch=False,
            attachments=attachments,
        )
        req.context.statements_stored = recording.new_statements
        req.context.ledger_position = recording.position
        resp.status = falcon.HTTP_204

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store one statement or an array of them → 200 with their ids (Comm §2.1.2)."""
        query_params(req, allowed=())
        body, attachments = self._body(req)
        batch = isinstance(body, list)
        statements = body if batch else [body]
        recording = self.ledger.record_statements(
            req.context.principal,
            statements,
            req.context.xapi_version,
            batch=batch,
            attachments=attachments,
        )
        req.context.statements_stored = recording.new_statements
        req.context.ledger_position = recording.position
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
        statement_id = _required_uuid(params, "voidedStatementId" if voided else "statementId")
        fmt = _format(params)
        with_attachments = boolean_param(params, "attachments")
        tenant = req.context.principal.tenant
        statement = self.ledger.get_statement(tenant, statement_id, voided=voided)
        resp.last_modified = parse_timestamp(statement["stored"])
        definitions = self._canonical(tenant, fmt, [statement])
        formatted = format_statement(statement, fmt, _languages(req, fmt), definitions=definitions)
        if with_attachments:
            self._send_with_attachments(resp, tenant, orjson.dumps(formatted), [statement])
        else:
            send_json(resp, formatted)

    def _send_with_attachments(
        self,
        resp: falcon.Response,
        tenant: str,
        first_json: bytes,
        statements: list[dict[str, Any]],
    ) -> None:
        """Answer multipart/mixed: the JSON, then each stored attachment's data once.

        xAPI 1.0.3 Comm §2.1.3 (`attachments=true`), §1.5.2 (checklist §7.5, §8.2, §16.5).
        Attachments known only by fileUrl have no data here and no part.
        """
        declared: dict[str, tuple[str, str]] = {}
        for statement in statements:
            for _, attachment in attachment_objects(statement):
                sha2 = attachment["sha2"]
                declared.setdefault(sha2.lower(), (attachment["contentType"], sha2))
        stored = self.ledger.get_attachment_data(tenant, list(declared))
        content_type, body = build_multipart(
            first_json,
            [
                (content_type, sha2, stored[key])
                for key, (content_type, sha2) in declared.items()
                if key in stored
            ],
        )
        resp.content_type = content_type
        resp.data = body

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
        with_attachments = boolean_param(params, "attachments")
        page = self.queries.select_page(tenant, query, limit, after)
        more = ""
        if page.next_key is not None:
            token = encode_cursor(self.ledger.tenant_secret(tenant), tenant, params, page.next_key)
            more = "/xapi/statements?" + urlencode({"more": token})
        if page.keys:
            # 2.0 LRS §4.1.6.1: the newest `stored` among the statements returned.
            newest = max(stored for stored, _ in page.keys)
            resp.last_modified = from_epoch_ms(newest)
        statements: list[dict[str, Any]] = []
        if fmt == "exact" and not with_attachments:
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
        result = b'{"statements":[' + b",".join(parts) + b'],"more":' + orjson.dumps(more) + b"}"
        if with_attachments:
            self._send_with_attachments(resp, tenant, result, statements)
            return
        resp.content_type = falcon.MEDIA_JSON
        resp.data = result

    on_head = on_get
