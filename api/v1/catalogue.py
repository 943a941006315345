"""The catalogue resources: `/v1/catalogue/courses` and `/v1/catalogue/paths`.

Course and path ids are IRIs, so an entry is named by the `id` query parameter (or, for a
PUT, by the document's own `id`), never by a path segment:

- `GET ?id=IRI[&revision=N]`: one entry as of its latest (or N-th) revision, with its history.
- `GET [?retired=true][&min_position=N]`: the current entries (retired ones too with
  `retired=true`), read from the learning projections' catalogue table (`min_position` waits
  for a write's `X-Ledger-Position`, as the reports do).
- `PUT` (body: the document): create (201) or revise (200) the entry; the same content
  again changes nothing (200).
- `DELETE ?id=IRI`: retire the entry (204); putting it again reinstates it.

Writes set `req.context.ledger_position` to the log position of the event they stored.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import falcon

from api.http import boolean_param, json_body, query_params, send_json
from api.v1.consistency import wait_for_min_position
from api.xapi.params import int_param, iri_param
from ledger.catalogue import COURSE, PATH, Catalogue, CatalogueChange, CatalogueEntry
from ledger.errors import InvalidInputError, Problem
from ledger.xapi.equivalence import normalise_iri
from ledger.xapi.primitives import format_timestamp, from_epoch_ms
from projections.catalogue_query import CatalogueQueries, CatalogueRow
from projections.report_query import PositionWaiter

_WRITE = ("catalogue:write", "admin")
_READ = ("catalogue:write", "reports:read", "admin")


def entry_json(entry: CatalogueEntry) -> dict[str, Any]:
    """Return the JSON of one entry: its document, revision, state and revision history."""
    return {
        **entry.document,
        "revision": entry.revision,
        "retired": entry.retired,
        "recorded": format_timestamp(entry.recorded),
        "revisions": [
            {
                "revision": item.revision,
                "recorded": format_timestamp(item.recorded),
                "change": item.change,
            }
            for item in entry.revisions
        ],
    }


def row_json(row: CatalogueRow) -> dict[str, Any]:
    """Return the JSON of one listed entry (its latest revision, without the history)."""
    return {
        **row.document,
        "revision": row.revision,
        "retired": row.retired,
        "recorded": format_timestamp(from_epoch_ms(row.recorded_ms)),
    }


def _required_iri(params: dict[str, str], name: str) -> str:
    """Read a required IRI parameter (`query_params` has checked that it is present)."""
    iri_param(params, name)
    return params[name]


class _CatalogueResource:
    """What the course and path resources share; subclasses name their kind."""

    kind: str
    path: str
    scopes = {"GET": _READ, "PUT": _WRITE, "DELETE": _WRITE}

    def __init__(
        self,
        catalogue: Catalogue,
        queries: CatalogueQueries,
        max_body_bytes: int,
        waiter: PositionWaiter,
    ) -> None:
        self.catalogue = catalogue
        self.queries = queries
        self.max_body_bytes = max_body_bytes
        self.waiter = waiter

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """One entry (`?id=`, optionally `&revision=N`), or the list of current entries."""
        tenant = req.context.principal.tenant
        if "id" in req.params:
            params = query_params(req, ("id", "revision"), ("id",))
            iri = _required_iri(params, "id")
            entry = self.catalogue.get(
                tenant, self.kind, iri, int_param(params, "revision", 1, None)
            )
            send_json(resp, entry_json(entry))
            return
        params = query_params(req, ("retired", "min_position"))
        wait_for_min_position(self.waiter, params)  # the list is read from a projection
        rows = self.queries.select_entries(
            tenant, self.kind, include_retired=boolean_param(params, "retired")
        )
        send_json(resp, [row_json(row) for row in rows])

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create (201) or revise (200) the entry the body describes; unchanged → 200."""
        params = query_params(req, ("id",))
        document = json_body(req, self.max_body_bytes)
        given = iri_param(params, "id")
        if given is not None and not _same_id(given, document):
            raise InvalidInputError(
                "the id parameter and the document's id differ; send one id, or the same IRI",
                [Problem("/id", f"must be {given} (the id parameter)")],
            )
        change = self.catalogue.put(req.context.principal, self.kind, document)
        self._written(req, change)
        if change.created:
            query = urlencode({"id": change.entry.catalogue_id})
            resp.set_header("Location", f"{self.path}?{query}")
        send_json(resp, entry_json(change.entry), 201 if change.created else 200)

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Retire the entry named by `?id=` → 204 (also when it was retired already)."""
        params = query_params(req, ("id",), ("id",))
        iri = _required_iri(params, "id")
        change = self.catalogue.retire(req.context.principal.tenant, self.kind, iri)
        self._written(req, change)
        resp.status = falcon.HTTP_204

    @staticmethod
    def _written(req: falcon.Request, change: CatalogueChange) -> None:
        """Tell the middleware which log position the write reached (none if it wrote none)."""
        if change.position is not None:
            req.context.ledger_position = change.position


def _same_id(given: str, document: Any) -> bool:
    """Whether a document's id is the IRI `given` (compared normalised)."""
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        return True  # validation names the missing or malformed id
    return normalise_iri(document["id"]) == normalise_iri(given)


class CoursesResource(_CatalogueResource):
    """`/v1/catalogue/courses`: the tenant's courses (`schemas/v1/course.json`)."""

    kind = COURSE
    path = "/v1/catalogue/courses"


class PathsResource(_CatalogueResource):
    """`/v1/catalogue/paths`: the tenant's learning paths (`schemas/v1/learning-path.json`)."""

    kind = PATH
    path = "/v1/catalogue/paths"
