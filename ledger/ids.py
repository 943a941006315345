"""Tenant-scoped identifiers: every aggregate id is uuid5(tenant namespace, natural key)."""

from __future__ import annotations

import json
from functools import lru_cache
from uuid import UUID, uuid5

from ledger.xapi.equivalence import normalise_iri

#: The root namespace of every Learning Ledger identifier. Never change it: ids derive from it.
LEDGER_NAMESPACE = UUID("6f1d7a52-3b0e-4c1a-9d5e-2a8f4b7c9e10")


@lru_cache(maxsize=1024)
def tenant_namespace(tenant: str) -> UUID:
    """Return the namespace under which all of `tenant`'s aggregate ids are derived."""
    return uuid5(LEDGER_NAMESPACE, f"tenant:{tenant}")


def statement_aggregate_id(tenant: str, statement_id: str) -> UUID:
    """Return the id of the Statement aggregate for `statement_id` within `tenant`.

    Statement ids are compared lower-cased: `3F2504E0-…` and `3f2504e0-…` are one UUID.
    """
    return uuid5(tenant_namespace(tenant), f"statement:{statement_id.lower()}")


def tenant_aggregate_id(tenant: str) -> UUID:
    """Return the id of the Tenant aggregate named `tenant`."""
    return uuid5(LEDGER_NAMESPACE, f"tenant-aggregate:{tenant}")


def credential_aggregate_id(key: str) -> UUID:
    """Return the id of the Credential aggregate for API key `key` (keys are global)."""
    return uuid5(LEDGER_NAMESPACE, f"credential:{key}")


def document_aggregate_id(
    tenant: str,
    kind: str,
    activity: str | None,
    agent: str | None,
    registration: str | None,
    document_id: str,
) -> UUID:
    """Return the id of the Document aggregate with this natural key within `tenant`.

    Args:
        tenant: the tenant.
        kind: `state`, `activity_profile` or `agent_profile`.
        activity: the activity IRI in comparison form (`normalise_iri`), or None.
        agent: the agent's IFI comparison key (`ledger.xapi.ifi.ifi_key`), or None.
        registration: the registration UUID lower-cased, or None.
        document_id: the stateId or profileId, exactly as given.
    """
    key = json.dumps([kind, activity, agent, registration, document_id], ensure_ascii=False)
    return uuid5(tenant_namespace(tenant), f"document:{key}")


def catalogue_aggregate_id(tenant: str, kind: str, iri: str) -> UUID:
    """Return the id of the catalogue entry (a Course or LearningPath aggregate) for `iri`.

    Args:
        tenant: the tenant.
        kind: `course` or `path`.
        iri: the course's or path's IRI as given; it is compared in its normalised form
            (RFC 3987 §5.3.2.1), so `HTTPS://Example.com/c` and `https://example.com/c` are
            one entry.
    """
    return uuid5(tenant_namespace(tenant), f"{kind}:{normalise_iri(iri)}")
