"""`GET /v1/projections`: where each read model stands against the event log."""

from __future__ import annotations

from typing import Any

import falcon

from api.http import query_params, send_json
from ledger.application import Ledger
from projections.status import ProjectionStatus, projection_status

_READ = ("reports:read", "admin")


def status_json(status: ProjectionStatus) -> dict[str, Any]:
    """Return one read model's status as shown: position and lag (null: never built)."""
    return {
        "name": status.name,
        "kept": status.kept,
        "version": status.version,
        "built_version": status.built_version,
        "position": status.position,
        "head": status.head,
        "lag_events": status.behind,
        "lag_seconds": round(status.lag_seconds, 3),
    }


class ProjectionsResource:
    """Each projection's version, position, the log head, and its lag in events and seconds."""

    scopes = {"GET": _READ}

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List the projections → 200 `{"head": N, "projections": [...]}`."""
        query_params(req, allowed=())
        statuses = projection_status(self.ledger)
        head = statuses[0].head if statuses else 0
        send_json(resp, {"head": head, "projections": [status_json(s) for s in statuses]})

    on_head = on_get
