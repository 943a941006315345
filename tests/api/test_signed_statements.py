"""Signed statements (JWS signature attachments) over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import jwt
import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.conftest import event_count, xapi_headers
from tests.factories import statement, with_id
from tests.multipart import (
    URL,
    PartSpec,
    attachment,
    blob_count,
    multipart_body,
    post_multipart,
    read_multipart,
)

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
OCTETS = "application/octet-stream"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY = _rsa_key()
OTHER_KEY = _rsa_key()


def certificate_der(key: rsa.RSAPrivateKey) -> bytes:
    """A self-signed X.509 certificate for `key`, DER-encoded."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ledger test signer")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


def x5c(key: rsa.RSAPrivateKey) -> list[str]:
    """An `x5c` header value: the certificate chain, standard base64 (RFC 7515 §4.1.6)."""
    return [base64.b64encode(certificate_der(key)).decode()]


def sign(
    payload: Any,
    *,
    key: Any = KEY,
    algorithm: str = "RS256",
    headers: dict[str, Any] | None = None,
) -> bytes:
    """Return a compact JWS over `payload` (a Statement, or raw bytes)."""
    data = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    return jwt.PyJWS().encode(data, key, algorithm=algorithm, headers=headers).encode()


def signed_request(
    body: dict[str, Any], jws: bytes, **attachment_overrides: Any
) -> tuple[dict[str, Any], bytes]:
    """The statement with its signature attachment, and the multipart body carrying the JWS."""
    signed = {
        **body,
        "attachments": [
            attachment(jws, OCTETS, **{"usageType": SIGNATURE, **attachment_overrides}),
        ],
    }
    content_type = signed["attachments"][0]["contentType"]
    return signed, multipart_body(signed, [PartSpec(jws, content_type=content_type)])


def problem(response) -> str:
    return response.json["error"]["details"][0]["problem"]


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512"])
def test_a_signed_statement_with_an_x5c_chain_is_verified_and_stored(client, algorithm):
    """Checklist §8.3: RS256/384/512 with x5c verified; the JWS is kept and returned."""
    body = with_id()
    jws = sign(body, algorithm=algorithm, headers={"x5c": x5c(KEY)})
    signed, raw = signed_request(body, jws)
    response = post_multipart(client, raw)
    assert response.status_code == 200, response.text
    fetched = client.simulate_get(
        URL, params={"statementId": body["id"], "attachments": "true"}, headers=xapi_headers()
    )
    parts = read_multipart(fetched)
    assert orjson.loads(parts[0].body)["attachments"] == signed["attachments"]
    assert parts[1].body == jws
    assert parts[1].headers["content-type"] == OCTETS


def test_a_signature_without_x5c_is_accepted_as_well_formed(client):
    """Checklist §8.3 MAY: signers only SHOULD include x5c; well-formedness is checked."""
    body = with_id()
    _, raw = signed_request(body, sign(body))
    assert post_multipart(client, raw).status_code == 200


def test_a_payload_without_the_lrs_filled_properties_is_still_equivalent(client):
    """Checklist §8.3, §5.3: id, timestamp, authority, version and attachments are ignored."""
    payload = statement(timestamp=None)
    body = with_id(timestamp="2026-01-02T05:04:05.678+02:00", version="1.0.3")
    payload["timestamp"] = "2026-01-02T03:04:05.678Z"
    payload["authority"] = {"mbox": "mailto:someone@example.com"}
    payload["attachments"] = [attachment(b"x", fileUrl="http://example.com/x")]
    payload["object"] = body["object"]
    payload["context"] = body["context"]
    _, raw = signed_request(body, sign(payload, headers={"x5c": x5c(KEY)}))
    response = post_multipart(client, raw)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("algorithm", "key"),
    [
        ("HS256", b"a shared secret of thirty-two bytes!"),
        ("ES256", ec.generate_private_key(ec.SECP256R1())),
        ("PS256", KEY),
        ("none", None),
    ],
)
def test_an_algorithm_other_than_rs256_384_512_is_refused_by_name(client, ledger, algorithm, key):
    """Checklist §8.3 (CTS XAPI-00117): only RS256/RS384/RS512; the body names the alg."""
    body = with_id()
    _, raw = signed_request(body, sign(body, key=key, algorithm=algorithm))
    before = event_count(ledger)
    response = post_multipart(client, raw)
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == "/attachments/0"
    assert repr(algorithm) in problem(response)
    assert event_count(ledger) == before


def test_a_signature_that_does_not_verify_with_the_x5c_certificate_is_refused(client):
    """Checklist §8.3: with x5c, the first certificate's key must verify the signature."""
    body = with_id()
    _, raw = signed_request(body, sign(body, key=KEY, headers={"x5c": x5c(OTHER_KEY)}))
    response = post_multipart(client, raw)
    assert response.status_code == 400
    assert "x5c" in problem(response)


def test_a_payload_of_another_statement_is_refused(client):
    """Checklist §8.3: the payload must be equivalent to the statement received."""
    body = with_id()
    other = {**body, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
    _, raw = signed_request(body, sign(other, headers={"x5c": x5c(KEY)}))
    response = post_multipart(client, raw)
    assert response.status_code == 400
    assert "not equivalent" in problem(response)


def test_a_payload_signing_another_id_is_refused(client):
    """Checklist §8.3: a payload that carries an id signs that statement, not another."""
    body = with_id()
    _, raw = signed_request(body, sign(with_id(context=body["context"])))
    response = post_multipart(client, raw)
    assert response.status_code == 400
    assert "different id" in problem(response)


@pytest.mark.parametrize(
    "payload",
    [b"{'actor': 'not JSON'}", b"[1, 2]", b"\xff\xfe"],
    ids=["broken JSON", "not an object", "not UTF-8"],
)
def test_a_payload_that_is_not_a_json_statement_is_refused(client, payload):
    """Checklist §8.3 (CTS XAPI-00116): the payload must be a JSON serialization of a Statement."""
    body = with_id()
    _, raw = signed_request(body, sign(payload))
    response = post_multipart(client, raw)
    assert response.status_code == 400
    assert "payload" in problem(response)


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_a_json_serialized_jws_is_refused_under_both_versions(client, version):
    """Checklist §8.3 SHOULD*, §16.4 (2.0 LRS §4.2.6): only the compact serialization."""
    body = with_id()
    protected, payload, signature = sign(body).decode().split(".")
    flattened = orjson.dumps({"protected": protected, "payload": payload, "signature": signature})
    _, raw = signed_request(body, flattened)
    response = post_multipart(client, raw, version=version)
    assert response.status_code == 400
    assert "compact" in problem(response)


@pytest.mark.parametrize(
    "jws", [b"not a jws at all", b"a.b", b"!!.??.**"], ids=["text", "two parts", "bad chars"]
)
def test_a_signature_that_is_not_a_jws_is_refused(client, jws):
    """Checklist §8.3: undecodable JWS → 400 saying why."""
    body = with_id()
    _, raw = signed_request(body, jws)
    response = post_multipart(client, raw)
    assert response.status_code == 400
    assert "JWS" in problem(response)


def test_a_signature_with_another_content_type_is_refused(client):
    """Checklist §8.3 (CTS XAPI-00115): signature contentType must be application/octet-stream."""
    body = with_id()
    _, raw = signed_request(body, sign(body), contentType="text/plain; charset=ascii")
    response = post_multipart(client, raw)
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == "/attachments/0/contentType"


def test_a_signature_given_only_by_file_url_is_refused(client):
    """Checklist §17 DECIDE: a signature with no bytes to check is malformed → 400."""
    jws = sign(with_id())
    body = with_id(
        attachments=[attachment(jws, OCTETS, usageType=SIGNATURE, fileUrl="http://x.example/s")]
    )
    response = post_multipart(client, multipart_body(body))
    assert response.status_code == 400
    assert "fileUrl" in problem(response)


def test_one_bad_signature_stores_nothing_of_the_batch(client, ledger):
    """Checklist §5.2: signature checks cover the whole batch before anything is stored."""
    good = with_id()
    good_signed, _ = signed_request(good, good_jws := sign(good, headers={"x5c": x5c(KEY)}))
    bad = with_id()
    bad_jws = sign(bad, key=KEY, headers={"x5c": x5c(OTHER_KEY)})
    bad_signed, _ = signed_request(bad, bad_jws)
    raw = multipart_body(
        [good_signed, bad_signed],
        [PartSpec(good_jws, content_type=OCTETS), PartSpec(bad_jws, content_type=OCTETS)],
    )
    before = event_count(ledger)
    response = post_multipart(client, raw)
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == "/1/attachments/0"
    assert event_count(ledger) == before
    assert blob_count(ledger) == 0


def test_a_statements_own_signature_under_another_usage_type_is_refused(client):
    """Checklist §8.3 (CTS "bad usageType"): a statement's JWS must declare the signature usage."""
    body = with_id()
    _, raw = signed_request(body, sign(body), usageType="http://adlnet.gov/expapi/voided")
    response = post_multipart(client, raw)
    assert response.status_code == 400
    assert response.json["error"]["details"][0]["pointer"] == "/attachments/0/usageType"


def test_a_jws_of_something_else_is_ordinary_attachment_data(client):
    """Checklist §8.1: only the statement's own signature is held to the signature rules."""
    body = with_id()
    _, raw = signed_request(body, sign(with_id()), usageType="http://example.com/usage/token")
    assert post_multipart(client, raw).status_code == 200
