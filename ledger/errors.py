"""Errors raised by the ledger: one base class and a few meaningful leaves."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located by a JSON pointer (RFC 6901)."""

    pointer: str
    problem: str

    def as_dict(self) -> dict[str, str]:
        """Return the problem as the `details` item of an error response."""
        return {"pointer": self.pointer, "problem": self.problem}


class LedgerError(Exception):
    """Base class of every error the ledger raises on purpose."""

    code = "ledger_error"

    def __init__(self, message: str, details: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: list[Problem] = list(details or [])


class InvalidInputError(LedgerError):
    """Raised when a request's input breaks a rule (bad JSON, bad parameter, bad value)."""

    code = "invalid_input"


class InvalidJSONError(InvalidInputError):
    """Raised when a body that must be JSON is not well-formed JSON (or repeats a key)."""

    code = "invalid_json"


class InvalidStatementError(InvalidInputError):
    """Raised when a Statement breaks a rule of xAPI; `details` point at each offending field."""

    code = "invalid_statement"


class InvalidMultipartError(InvalidInputError):
    """Raised when a multipart/mixed statement request breaks RFC 2046 or xAPI's part rules."""

    code = "invalid_multipart"


class UnsupportedVersionError(InvalidInputError):
    """Raised when `X-Experience-API-Version` is missing or names a version the ledger lacks."""

    code = "unsupported_version"


class StatementNotFoundError(LedgerError):
    """Raised when a Statement asked for by id is not stored (or not in the asked state)."""

    code = "statement_not_found"


class StatementConflictError(LedgerError):
    """Raised when a Statement id is already stored with content that is not equivalent."""

    code = "statement_conflict"


class AuthenticationError(LedgerError):
    """Raised when credentials are missing, malformed, unknown or wrong."""

    code = "unauthenticated"


class PermissionDeniedError(LedgerError):
    """Raised when accepted credentials lack the scope an operation needs."""

    code = "forbidden"


class PayloadTooLargeError(LedgerError):
    """Raised when a request body is larger than the configured limit."""

    code = "payload_too_large"


class UnsupportedMediaTypeError(InvalidInputError):
    """Raised when a body arrives with a Content-Type the resource does not accept."""

    code = "unsupported_media_type"


class AlreadyExistsError(LedgerError):
    """Raised when creating something (a tenant, a credential) whose key is taken."""

    code = "already_exists"


class UnknownTenantError(LedgerError):
    """Raised when an operation names a tenant that does not exist."""

    code = "unknown_tenant"


class StoreBusyError(LedgerError):
    """Raised when a write could not get through a busy store after several attempts."""

    code = "store_busy"


class InvalidDocumentError(InvalidInputError):
    """Raised when a document write cannot be done as asked (a POST that cannot be merged)."""

    code = "invalid_document"


class DocumentNotFoundError(LedgerError):
    """Raised when a State or profile document asked for is not stored."""

    code = "document_not_found"


class DocumentConflictError(LedgerError):
    """Raised when a PUT without If-Match or If-None-Match would overwrite a document."""

    code = "document_conflict"


class PreconditionFailedError(LedgerError):
    """Raised when a document write's If-Match or If-None-Match header does not hold."""

    code = "precondition_failed"


class ProjectionsBehindError(StoreBusyError):
    """Raised when a read asked for `min_position` and the projections did not reach it in time."""

    code = "projections_behind"


class CatalogueNotFoundError(LedgerError):
    """Raised when a course or learning path asked for is not in the catalogue."""

    code = "catalogue_not_found"


class InvalidCatalogueError(InvalidInputError):
    """Raised when a course or learning path document breaks a rule (details name the field)."""

    code = "invalid_catalogue"
