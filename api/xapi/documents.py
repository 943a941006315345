"""The xAPI document resources: State, Activity Profile and Agent Profile (PUT, POST, GET,
HEAD, DELETE; 1.0.3 Comm §2.2-2.3, §2.6-2.7, §3.1; 2.0 LRS §4.1.4, §4.1.6.2, §4.1.6.5-6)."""

from __future__ import annotations

import falcon

from api.http import query_params, read_body, send_json
from api.xapi import document_params as p
from api.xapi.params import agent_param, iri_param, timestamp_ms_param, uuid_param
from ledger.documents import (
    ACTIVITY_PROFILE,
    AGENT_PROFILE,
    STATE,
    DocumentKey,
    Documents,
    DocumentScope,
)
from ledger.errors import DocumentNotFoundError, InvalidInputError, Problem
from ledger.xapi import V2
from ledger.xapi.primitives import from_epoch_ms
from projections.document_query import DocumentQueries


class _DocumentResource:
    """What the three document resources share; subclasses name their parameters."""

    kind: str
    id_name: str
    #: The parameters that locate the documents, and which of them are required.
    context: tuple[str, ...]
    required: tuple[str, ...]
    #: Whether a DELETE without the document id deletes every document in the context.
    bulk_delete = False

    def __init__(self, documents: Documents, queries: DocumentQueries, max_body_bytes: int):
        self.documents = documents
        self.queries = queries
        self.max_body_bytes = max_body_bytes

    def _scope(self, params: dict[str, str]) -> DocumentScope:
        return DocumentScope(
            kind=self.kind,
            activity_id=iri_param(params, "activityId"),
            agent=agent_param(params),
            registration=uuid_param(params, "registration"),
        )

    def _key(self, params: dict[str, str]) -> DocumentKey:
        scope = self._scope(params)
        return DocumentKey(
            kind=scope.kind,
            activity_id=scope.activity_id,
            agent=scope.agent,
            registration=scope.registration,
            document_id=p.document_id_param(params, self.id_name),
        )

    def _one(self, req: falcon.Request) -> DocumentKey:
        params = query_params(req, (*self.context, self.id_name), (*self.required, self.id_name))
        return self._key(params)

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store the document whole → 204 (Comm §2.2; concurrency rules of §3.1)."""
        key = self._one(req)
        written = self.documents.put(
            req.context.principal,
            key,
            read_body(req, self.max_body_bytes),
            req.content_type,
            p.preconditions(req),
            req.context.xapi_version,
        )
        resp.status = falcon.HTTP_204
        resp.set_header("ETag", f'"{written.etag}"')
        req.context.ledger_position = written.position

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store a new document or merge a JSON object into the stored one → 204 (§2.2)."""
        key = self._one(req)
        written = self.documents.post(
            req.context.principal,
            key,
            read_body(req, self.max_body_bytes),
            req.content_type,
            p.preconditions(req),
        )
        resp.status = falcon.HTTP_204
        resp.set_header("ETag", f'"{written.etag}"')
        req.context.ledger_position = written.position

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """One document with its ETag, or the ids of the documents in the context."""
        tenant = req.context.principal.tenant
        allowed = (*self.context, self.id_name, "since")
        params = query_params(req, allowed, self.required)
        since = timestamp_ms_param(params, "since")
        if self.id_name in params:
            if "since" in params and req.context.xapi_version == V2:
                # 2.0 LRS §4.1.6.2 (1.0.x: since belongs to the id list and is ignored here).
                raise InvalidInputError(
                    f"since lists documents: it cannot be given with {self.id_name}",
                    [Problem("?since", f"not allowed together with {self.id_name}")],
                )
            key = self._key(params)
            document = self.queries.get(tenant, key)
            if document is None:
                raise DocumentNotFoundError(f"no document with {self.id_name} {key.document_id!r}")
            resp.content_type = document.content_type
            resp.data = document.content
            resp.set_header("ETag", f'"{document.etag}"')  # Comm §3.1: quoted SHA-1 hex
            resp.last_modified = from_epoch_ms(document.updated_ms)
            return
        ids, latest = self.queries.ids(tenant, self._scope(params), since)
        if latest is not None:
            resp.last_modified = from_epoch_ms(latest)  # Comm §2.2: the latest listed change
        send_json(resp, ids)

    on_head = on_get

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Delete one document (or, for State without stateId, all in the context) → 204."""
        principal = req.context.principal
        resp.status = falcon.HTTP_204
        if self.bulk_delete and self.id_name not in req.params:
            params = query_params(req, self.context, self.required)
            conditions = p.preconditions(req)
            if conditions.given:
                raise InvalidInputError(
                    "If-Match and If-None-Match apply to one document: name it with "
                    f"{self.id_name}",
                    [Problem(f"?{self.id_name}", "required with If-Match or If-None-Match")],
                )
            scope = self._scope(params)
            ids = self.queries.aggregate_ids(principal.tenant, scope)
            written = self.documents.delete_many(principal, ids)
        else:
            written = self.documents.delete(principal, self._one(req), p.preconditions(req))
        req.context.ledger_position = written.position


_STATE_WRITE = ("state", "all")
_STATE_READ = ("state", "all/read", "all")
_PROFILE_WRITE = ("profile", "all")
_PROFILE_READ = ("profile", "all/read", "all")


class StateResource(_DocumentResource):
    """`/xapi/activities/state` (1.0.3 Comm §2.3, 2.0 LRS §4.1.6.2)."""

    kind = STATE
    id_name = "stateId"
    context = ("activityId", "agent", "registration")
    required = ("activityId", "agent")
    bulk_delete = True
    scopes = {"GET": _STATE_READ, "PUT": _STATE_WRITE, "POST": _STATE_WRITE, "DELETE": _STATE_WRITE}


class ActivityProfileResource(_DocumentResource):
    """`/xapi/activities/profile` (1.0.3 Comm §2.7, 2.0 LRS §4.1.6.6; §17: the 2.0 id list
    takes `activityId`, as in 1.0.3 and the Content book)."""

    kind = ACTIVITY_PROFILE
    id_name = "profileId"
    context = ("activityId",)
    required = ("activityId",)
    scopes = {
        "GET": _PROFILE_READ,
        "PUT": _PROFILE_WRITE,
        "POST": _PROFILE_WRITE,
        "DELETE": _PROFILE_WRITE,
    }


class AgentProfileResource(_DocumentResource):
    """`/xapi/agents/profile` (1.0.3 Comm §2.6, 2.0 LRS §4.1.6.5)."""

    kind = AGENT_PROFILE
    id_name = "profileId"
    context = ("agent",)
    required = ("agent",)
    scopes = ActivityProfileResource.scopes
