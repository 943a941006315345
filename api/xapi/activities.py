"""GET/HEAD /xapi/activities: an Activity with its canonical definition (xAPI 1.0.3 Comm §2.5)."""

from __future__ import annotations

from typing import Any

import falcon

from api.http import query_params, send_json
from api.xapi.agents import DEFINITION_READ_SCOPES
from api.xapi.params import iri_param
from ledger.xapi.equivalence import normalise_iri
from projections.definitions_store import REQUEST_BUDGET, DefinitionsProjection


class ActivitiesResource:
    """`/xapi/activities` (1.0.3 Comm §2.5, 2.0 LRS §4.1.6.4).

    The id is looked up as statements compare IRIs (1.0.3 Data §3.1) and answered as asked.
    An Activity no statement defined is still answered, with its id alone (2.0 LRS §4.1.6.4).
    """

    scopes = {"GET": DEFINITION_READ_SCOPES}

    def __init__(self, definitions: DefinitionsProjection, budget: float = REQUEST_BUDGET) -> None:
        self.definitions = definitions
        self.budget = budget

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer `{"objectType": "Activity", "id": …, "definition": …}`."""
        params = query_params(req, allowed=("activityId",), required=("activityId",))
        activity_id = iri_param(params, "activityId")
        assert activity_id is not None  # required
        key = normalise_iri(activity_id)
        self.definitions.catch_up(self.budget)
        found = self.definitions.select_definitions(req.context.principal.tenant, [key])
        body: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
        if key in found:
            body["definition"] = found[key]
        send_json(resp, body)

    on_head = on_get
