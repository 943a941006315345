"""Signed Statements: checking a JWS signature attachment (xAPI 1.0.3 Data §2.6).

Acceptance is a well-formedness check, never proof of who signed (Data §2.6 note; checklist
§8.3): the JWS must be compact, use RS256/RS384/RS512, carry a JSON Statement equivalent to
the one received, and — when its header has an `x5c` chain — verify with the first
certificate's public key. Without `x5c` there is no key to check against, which the spec
allows (signers only SHOULD include it).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Final

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from ledger.errors import InvalidJSONError
from ledger.xapi.equivalence import equivalent
from ledger.xapi.jsonparse import parse_json
from ledger.xapi.primitives import parse_timestamp

#: The usageType of a signature attachment (Data §2.6).
SIGNATURE_USAGE: Final = "http://adlnet.gov/expapi/attachments/signature"
#: The contentType a signature attachment must declare (Data §2.6).
SIGNATURE_CONTENT_TYPE: Final = "application/octet-stream"
#: The only JWS algorithms Data §2.6 allows ("RSA + SHA").
ALGORITHMS: Final = ("RS256", "RS384", "RS512")

_COMPACT_RE: Final = re.compile(r"[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_JWS: Final = jwt.PyJWS()
#: Larger attachments are not looked at for a misfiled signature.
_MAX_SNIFF: Final = 1 << 20


class SignatureProblem(Exception):
    """A reason a signature is malformed (turned into a 400 detail by the caller)."""


def check_signature(jws: bytes, statement: dict[str, Any]) -> None:
    """Check a signature attachment's JWS against the Statement it came with.

    Args:
        jws: the attachment part's bytes.
        statement: the Statement as received (its attachments are ignored).

    Raises:
        SignatureProblem: the signature is malformed; the message says why.
    """
    text = _compact(jws)
    try:
        header = jwt.get_unverified_header(text)
        payload = _JWS.decode_complete(text, options={"verify_signature": False})["payload"]
    except jwt.PyJWTError as ex:
        raise SignatureProblem(f"the JWS cannot be decoded: {ex}") from None
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        # Data §2.6: "MUST use an algorithm of RS256, RS384, or RS512".
        raise SignatureProblem(
            f"the JWS algorithm is {algorithm!r}; only RS256, RS384 and RS512 are allowed"
        )
    signed = _payload_statement(payload)
    _check_equivalent(signed, statement)
    if "x5c" in header:
        _verify_with_certificate(text, header["x5c"], algorithm)


def signs_statement(data: bytes, statement: dict[str, Any]) -> bool:
    """Tell whether attachment data is a compact JWS whose payload is this Statement.

    Used on attachments that do not declare the signature usageType: a statement that
    carries its own signature under another usageType breaks Data §2.6.s4.b1 (the CTS
    "bad usageType" case), while any other attachment is just data.
    """
    if len(data) > _MAX_SNIFF or data.count(b".") != 2:
        return False
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        return False
    if _COMPACT_RE.fullmatch(text) is None:
        return False
    try:
        payload = _JWS.decode_complete(text, options={"verify_signature": False})["payload"]
        signed = parse_json(payload)
    except (jwt.PyJWTError, InvalidJSONError):
        return False
    return isinstance(signed, dict) and equivalent(signed, statement)


def _compact(jws: bytes) -> str:
    """Return the JWS as compact-serialization text, or say why it is not one."""
    try:
        text = jws.decode("ascii").strip()
    except UnicodeDecodeError:
        raise SignatureProblem("the signature is not a JWS: it is not ASCII text") from None
    if text.startswith("{"):
        # Data §2.6 SHOULD*, 2.0 LRS §4.2.6 SHALL: compact serialization only (checklist §16.4).
        raise SignatureProblem(
            "the JWS uses the JSON serialization; only the compact serialization "
            "(three base64url segments joined by dots) is accepted"
        )
    if _COMPACT_RE.fullmatch(text) is None:
        raise SignatureProblem(
            "the signature is not a JWS compact serialization "
            "(three base64url segments joined by dots)"
        )
    return text


def _payload_statement(payload: bytes) -> dict[str, Any]:
    """Return the signed Statement from a JWS payload (Data §2.6: a JSON Statement)."""
    try:
        signed = parse_json(payload)
    except InvalidJSONError as ex:
        raise SignatureProblem(f"the JWS payload is not a JSON Statement: {ex}") from None
    if not isinstance(signed, dict):
        raise SignatureProblem("the JWS payload is not a JSON Statement object")
    return signed


def _check_equivalent(signed: dict[str, Any], received: dict[str, Any]) -> None:
    """Refuse a payload that is not the received Statement (Data §2.6, §2.3.1).

    Equivalence ignores what the LRS may fill in (id, timestamp, stored, authority, version)
    and attachments; a signed payload was made before the LRS saw it, so where both carry an
    id or a timestamp they must still be the same id and the same instant.
    """
    if not equivalent(signed, received):
        raise SignatureProblem(
            "the JWS payload is not equivalent to the statement it is attached to"
        )
    signed_id, received_id = signed.get("id"), received.get("id")
    if (
        signed_id is not None
        and received_id is not None
        and (not isinstance(signed_id, str) or signed_id.lower() != str(received_id).lower())
    ):
        raise SignatureProblem("the JWS payload signs a statement with a different id")
    signed_at, received_at = signed.get("timestamp"), received.get("timestamp")
    if signed_at is not None and received_at is not None:
        try:
            same = parse_timestamp(signed_at) == parse_timestamp(received_at)
        except (TypeError, ValueError):
            same = False
        if not same:
            raise SignatureProblem("the JWS payload signs a different timestamp")


def _verify_with_certificate(text: str, chain: Any, algorithm: str) -> None:
    """Verify the JWS with the public key of the first `x5c` certificate (Data §2.6)."""
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise SignatureProblem("the JWS header's x5c is not a list of certificates")
    try:
        der = base64.b64decode(chain[0], validate=True)  # RFC 7515 §4.1.6: base64, not url
        certificate = x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError):
        raise SignatureProblem(
            "the first x5c certificate is not a base64 DER X.509 certificate"
        ) from None
    key = certificate.public_key()
    if not isinstance(key, RSAPublicKey):
        raise SignatureProblem("the first x5c certificate does not hold an RSA public key")
    try:
        _JWS.decode_complete(text, key=key, algorithms=[algorithm])
    except jwt.InvalidSignatureError:
        raise SignatureProblem(
            "the JWS signature does not verify with the first x5c certificate's key"
        ) from None
    except jwt.PyJWTError as ex:
        raise SignatureProblem(f"the JWS cannot be verified: {ex}") from None
