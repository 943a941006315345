"""Strict, fast validation of xAPI 1.0.3 and 2.0.0 data: Statements, JSON bodies, versions."""

from __future__ import annotations

from ledger.xapi.agents import validate_agent
from ledger.xapi.jsonparse import parse_json
from ledger.xapi.primitives import (
    format_timestamp,
    is_duration,
    is_iri,
    is_irl,
    is_language_tag,
    is_mailto_iri,
    is_sha1_hex,
    is_sha2_hex,
    is_timestamp,
    is_uuid,
    parse_timestamp,
)
from ledger.xapi.statement import VOIDED_VERB, validate_statement
from ledger.xapi.versions import SUPPORTED, V1, V2, negotiate_version

__all__ = [
    "SUPPORTED",
    "V1",
    "V2",
    "VOIDED_VERB",
    "format_timestamp",
    "is_duration",
    "is_iri",
    "is_irl",
    "is_language_tag",
    "is_mailto_iri",
    "is_sha1_hex",
    "is_sha2_hex",
    "is_timestamp",
    "is_uuid",
    "negotiate_version",
    "parse_json",
    "parse_timestamp",
    "validate_agent",
    "validate_statement",
]
