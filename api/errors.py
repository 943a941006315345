"""The only place that maps ledger errors to HTTP statuses and serialises error bodies."""

from __future__ import annotations

import logging
from typing import Any

import falcon
import orjson

from ledger.errors import (
    AlreadyExistsError,
    AuthenticationError,
    CatalogueNotFoundError,
    DocumentConflictError,
    DocumentNotFoundError,
    InvalidInputError,
    LedgerError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PreconditionFailedError,
    Problem,
    StatementConflictError,
    StatementNotFoundError,
    StoreBusyError,
    UnknownTenantError,
)
from ledger.settings import SettingsError

log = logging.getLogger("ledger.errors")

_STATUS: dict[type[LedgerError], int] = {
    InvalidInputError: 400,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    StatementNotFoundError: 404,
    UnknownTenantError: 404,
    StatementConflictError: 409,
    AlreadyExistsError: 409,
    PayloadTooLargeError: 413,
    StoreBusyError: 503,
    # documents (checklist §9.1)
    DocumentNotFoundError: 404,
    DocumentConflictError: 409,
    PreconditionFailedError: 412,
    CatalogueNotFoundError: 404,
}

WWW_AUTHENTICATE = 'Basic realm="Learning Ledger", charset="UTF-8"'


def error_body(code: str, message: str, details: list[Problem] | None = None) -> bytes:
    """Return the JSON error body `{"error": {"code", "message", "details"}}`."""
    return orjson.dumps(
        {
            "error": {
                "code": code,
                "message": message,
                "details": [d.as_dict() for d in details or []],
            }
        }
    )


def status_of(ex: LedgerError) -> int:
    """Return the HTTP status for a ledger error (500 for one this table does not know)."""
    for cls in type(ex).__mro__:
        status = _STATUS.get(cls)
        if status is not None:
            return status
    return 500


def handle_ledger_error(
    req: falcon.Request, resp: falcon.Response, ex: LedgerError, params: dict[str, Any]
) -> None:
    """Answer a LedgerError with its status and JSON body."""
    status = status_of(ex)
    if status == 500:
        log.error("unmapped ledger error on %s %s", req.method, req.path, exc_info=ex)
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.data = error_body(ex.code, ex.message, ex.details)
    if status == 401:
        resp.set_header("WWW-Authenticate", WWW_AUTHENTICATE)
    if status == 503:
        resp.set_header("Retry-After", "1")


def handle_unexpected(
    req: falcon.Request, resp: falcon.Response, ex: Exception, params: dict[str, Any]
) -> None:
    """Answer an unexpected exception with a logged 500 that reveals nothing inside."""
    log.error("unexpected error on %s %s", req.method, req.path, exc_info=ex)
    resp.status = 500
    resp.content_type = falcon.MEDIA_JSON
    message = "the ledger failed to handle this request; it has been logged"
    if isinstance(ex, SettingsError):
        message = "the ledger is misconfigured; see its log"
    resp.data = error_body("internal_error", message)


def serialize_http_error(
    req: falcon.Request, resp: falcon.Response, exception: falcon.HTTPError
) -> None:
    """Serialise Falcon's own HTTP errors (unknown route, wrong method…) in our format."""
    title = exception.title or "error"
    words = title.split(" ", 1)[1] if title[:3].isdigit() and " " in title else title
    code = words.lower().replace(" ", "_")
    resp.content_type = falcon.MEDIA_JSON
    resp.data = error_body(code, exception.description or f"{words} ({req.method} {req.path})")


def register(app: falcon.App) -> None:
    """Install the error handlers and serializer on `app`."""
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(LedgerError, handle_ledger_error)
    app.set_error_serializer(serialize_http_error)
