"""The Tenant aggregate: a customer or portal whose data no other tenant can see."""

from __future__ import annotations

import re
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ledger.errors import InvalidInputError
from ledger.ids import tenant_aggregate_id

DEFAULT_TENANT = "default"
_TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def check_tenant_name(name: str) -> None:
    """Refuse a tenant name that is not a short lower-case slug."""
    if not _TENANT_NAME.match(name):
        raise InvalidInputError(
            f"tenant name {name!r} must be 1-63 characters of a-z, 0-9, '_' or '-'"
        )


class Tenant(Aggregate):
    """A tenant; its name is its natural key and part of every id derived within it."""

    @classmethod
    def create_id(cls, name: str, secret: str) -> UUID:
        """Return the aggregate id for tenant `name`."""
        return tenant_aggregate_id(name)

    @event("Created")
    def __init__(self, name: str, secret: str) -> None:
        self.name = name
        #: A random key of the tenant's own, e.g. to sign the `more` cursors of its queries.
        self.secret = secret
