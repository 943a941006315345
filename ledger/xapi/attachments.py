"""A Statement's Attachment objects: finding them and matching them with the request's data.

xAPI 1.0.3 Comm §1.5.1-1.5.2, Data §2.4.11 and §2.6 (checklist §4.16, §5.2, §8.1, §8.3).
Parts are paired with Attachment objects only by sha2 = X-Experience-API-Hash, never by
position. A SubStatement's attachments are attachments of the Statement too: they follow the
same rules. Signature checks apply to the Statement's own attachments.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ledger.errors import Problem
from ledger.xapi.multipart import AttachmentPart
from ledger.xapi.primitives import media_type
from ledger.xapi.signatures import (
    SIGNATURE_CONTENT_TYPE,
    SIGNATURE_USAGE,
    SignatureProblem,
    check_signature,
    signs_statement,
)


def attachment_objects(statement: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (JSON pointer, Attachment object) of a Statement and of its SubStatement."""
    for index, attachment in enumerate(statement.get("attachments") or ()):
        yield f"/attachments/{index}", attachment
    target = statement.get("object")
    if isinstance(target, dict) and target.get("objectType") == "SubStatement":
        for index, attachment in enumerate(target.get("attachments") or ()):
            yield f"/object/attachments/{index}", attachment


def check_attachments(
    statement: dict[str, Any],
    prefix: str,
    parts: Mapping[str, AttachmentPart] | None,
    used: set[str],
) -> list[Problem]:
    """Check a valid Statement's attachments against the request's parts.

    Args:
        statement: the Statement as received (already validated).
        prefix: the JSON pointer prefix of the Statement in the body ("" or "/3").
        parts: the attachment parts by lower-case sha2, or None for an application/json
            request (then every attachment needs a fileUrl, Comm §1.5.1).
        used: the sha2 of the parts that some attachment claimed; this call adds to it.

    Returns:
        One problem per attachment that breaks a rule (empty when all is well).
    """
    problems: list[Problem] = []
    for where, attachment in attachment_objects(statement):
        pointer = prefix + where
        sha2 = attachment["sha2"].lower()
        part = parts.get(sha2) if parts is not None else None
        if part is not None:
            used.add(sha2)
            problems.extend(_agreement(attachment, part, pointer))
        elif "fileUrl" not in attachment:
            problems.append(Problem(pointer, _missing_data(parts is None)))
        if not where.startswith("/attachments/"):
            continue
        if attachment["usageType"] == SIGNATURE_USAGE:
            problems.extend(_signature(statement, attachment, part, pointer))
        elif part is not None and signs_statement(part.data, statement):
            # Data §2.6.s4.b1: a statement's own signature must declare the signature
            # usageType (CTS "malformed signature - bad usageType").
            problems.append(
                Problem(
                    f"{pointer}/usageType",
                    "this attachment is a JWS signature of the statement: its usageType "
                    f"must be {SIGNATURE_USAGE}",
                )
            )
    return problems


def surplus_parts(parts: Mapping[str, AttachmentPart], used: set[str]) -> list[Problem]:
    """Return a problem for each part no Attachment object declared (CTS XAPI-00128)."""
    return [
        Problem(
            f"{part.pointer}/X-Experience-API-Hash",
            f"no attachment of the statements has sha2 {part.sha2}: "
            "every part after the first must carry the data of a declared attachment",
        )
        for sha2, part in parts.items()
        if sha2 not in used
    ]


def _missing_data(json_request: bool) -> str:
    if json_request:
        # Comm §1.5.1, §1.5.2: application/json only when every attachment has a fileUrl.
        return (
            "has no fileUrl: in an application/json request every attachment needs one; "
            "send its data as a part of a multipart/mixed request instead"
        )
    return (
        "has no fileUrl and no part of the request carries its data "
        "(a part whose X-Experience-API-Hash equals this sha2)"
    )


def _agreement(attachment: dict[str, Any], part: AttachmentPart, pointer: str) -> list[Problem]:
    """Part headers must agree with the Attachment's properties (Comm §1.5.2.s2.b2.b7).

    Content types are compared by type/subtype (the spec's own example declares
    `text/plain; charset=ascii` for a part sent as `text/plain`). `length` is compared with
    the part's Content-Length header when the part sends one.
    """
    problems = []
    if part.content_type is not None and media_type(part.content_type) != media_type(
        attachment["contentType"]
    ):
        problems.append(
            Problem(
                f"{pointer}/contentType",
                f"differs from the Content-Type {part.content_type!r} of {part.pointer}",
            )
        )
    if part.content_length is not None and part.content_length != attachment["length"]:
        problems.append(
            Problem(
                f"{pointer}/length",
                f"differs from the Content-Length {part.content_length} of {part.pointer}",
            )
        )
    return problems


def _signature(
    statement: dict[str, Any],
    attachment: dict[str, Any],
    part: AttachmentPart | None,
    pointer: str,
) -> list[Problem]:
    """Check a signature attachment (Data §2.6; checklist §8.3, §17)."""
    if media_type(attachment["contentType"]) != SIGNATURE_CONTENT_TYPE:
        return [
            Problem(
                f"{pointer}/contentType",
                "a signature attachment must have contentType application/octet-stream",
            )
        ]
    if part is None:
        # Checklist §17 DECIDE: a signature given only by fileUrl cannot be checked, so it is
        # refused as malformed.
        return [
            Problem(
                pointer,
                "a signature's JWS must be sent as a part of a multipart/mixed request; "
                "a fileUrl alone gives the ledger nothing to check",
            )
        ]
    try:
        check_signature(part.data, statement)
    except SignatureProblem as ex:
        return [Problem(pointer, f"malformed signature: {ex}")]
    return []
