"""GET/HEAD /xapi/agents: the Person object the ledger keeps for an Agent (xAPI 1.0.3 Comm §2.4)."""

from __future__ import annotations

import falcon

from api.http import query_params, send_json
from api.xapi.params import agent_param
from ledger.xapi.ifi import ifi_key
from projections.definitions import merge_person, person_object
from projections.definitions_store import REQUEST_BUDGET, DefinitionsProjection

#: Reading Persons and canonical Activities takes a credential that may read every statement:
#: both are built from all of the tenant's statements, so `statements/read/mine` is not enough.
DEFINITION_READ_SCOPES = ("statements/read", "all/read", "all")


class AgentsResource:
    """`/xapi/agents` (1.0.3 Comm §2.4, 2.0 LRS §4.1.6.3).

    Answers the Person the ledger combined for the Agent's identifier: every name statements
    gave it and the identifier itself. An Agent never seen is answered with a Person built
    from the Agent alone. A Person never combines several identifiers until identity links
    exist, so the SHOULD of §2.4 (reveal several only with extra permission) has nothing to
    hold back yet.
    """

    scopes = {"GET": DEFINITION_READ_SCOPES}

    def __init__(self, definitions: DefinitionsProjection, budget: float = REQUEST_BUDGET) -> None:
        self.definitions = definitions
        self.budget = budget

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer the Person object for `agent`."""
        params = query_params(req, allowed=("agent",), required=("agent",))
        agent = agent_param(params)  # a Group or a Person is refused (Comm §2.4)
        assert agent is not None  # required
        key = ifi_key(agent)
        assert key is not None  # a valid Agent has one IFI
        self.definitions.catch_up(self.budget)
        person = self.definitions.select_person(req.context.principal.tenant, key)
        send_json(resp, person_object(person or merge_person(None, agent)))

    on_head = on_get
