"""The Statement aggregate: one per (tenant, statement id), recorded once, perhaps voided."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from ledger.ids import statement_aggregate_id
from ledger.xapi.statement import VOIDED_VERB


def voiding_target(statement: Mapping[str, Any]) -> str | None:
    """Return the id of the Statement that `statement` voids, or None if it voids nothing.

    A voiding Statement has the verb `…/verbs/voided`, exactly (IRIs that differ only in the
    case of scheme or host match the `verb` query filter, but do not void), and a StatementRef
    object (xAPI 1.0.3 Data §2.3.2); the validator has already refused other objects for it.
    """
    if statement["verb"]["id"] != VOIDED_VERB:
        return None
    target = statement["object"]
    if target.get("objectType") == "StatementRef":
        return str(target["id"])
    return None


class Statement(Aggregate):
    """A Statement as stored: immutable, except that a voiding Statement may void it.

    Events are versioned per aggregate: `Recorded` is version 1 and `Voided` version 2.
    A voiding Statement may arrive before its target (xAPI 1.0.3 Data §2.3.2: arrival order
    does not matter), so `Voided` can be stored first; the target then counts as voided as soon
    as it is recorded. A voiding Statement itself is never voided (§2.3.2): a `Voided` event
    for it has no effect.
    """

    class Recorded(Aggregate.Created):
        """A Statement was accepted and stored (with `stored`, `authority`, `version` filled)."""

        tenant: str
        statement: dict[str, Any]
        credential: str

    class Voided(Aggregate.Event):
        """A voiding Statement targeting this Statement was stored."""

        tenant: str
        voiding_statement_id: str

        def apply(self, aggregate: Aggregate) -> None:
            """Mark the target voided by the voiding Statement."""
            cast(Statement, aggregate).voided_by = self.voiding_statement_id

    @classmethod
    def create_id(cls, tenant: str, statement: dict[str, Any], credential: str = "") -> UUID:
        """Return the aggregate id: uuid5 of the tenant namespace and the statement id."""
        return statement_aggregate_id(tenant, statement["id"])

    def __init__(self, tenant: str, statement: dict[str, Any], credential: str) -> None:
        self.tenant = tenant
        self.statement = statement
        self.credential = credential
        self.voided_by: str | None = None

    @property
    def statement_id(self) -> str:
        """The xAPI id of the Statement."""
        return str(self.statement["id"])

    @property
    def is_voiding(self) -> bool:
        """Whether this Statement voids another one."""
        return voiding_target(self.statement) is not None

    @property
    def voided(self) -> bool:
        """Whether a voiding Statement targets this one (and this one is not itself voiding)."""
        return self.voided_by is not None and not self.is_voiding


RECORDED_TOPIC = get_topic(Statement.Recorded)
VOIDED_TOPIC = get_topic(Statement.Voided)
STATEMENT_TOPIC = get_topic(Statement)


def recorded_state(
    tenant: str, statement: dict[str, Any], credential: str, when: datetime
) -> dict[str, Any]:
    """Return the state of a `Statement.Recorded` event, as the mapper would build it.

    The statement comes last, so a reader can cut its JSON out of the stored state without
    parsing it (see `statement_json`).
    """
    return {
        "timestamp": when,
        "originator_topic": STATEMENT_TOPIC,
        "tenant": tenant,
        "credential": credential,
        "statement": statement,
    }


_STATEMENT_KEY = b'"statement":'
_CREDENTIAL_KEY = b'"credential":'


def statement_json(state: bytes) -> bytes | None:
    """Return the statement's JSON from a `Recorded` event's stored state, unparsed.

    Returns None when the state is not laid out with the statement last (then parse it).
    """
    start = state.find(_STATEMENT_KEY)
    if start == -1 or state.rfind(_CREDENTIAL_KEY, 0, start) == -1 or not state.endswith(b"}}"):
        return None
    return state[start + len(_STATEMENT_KEY) : -1]


def voided_state(tenant: str, voiding_statement_id: str, when: datetime) -> dict[str, Any]:
    """Return the state of a `Statement.Voided` event, as the mapper would build it."""
    return {"timestamp": when, "tenant": tenant, "voiding_statement_id": voiding_statement_id}
