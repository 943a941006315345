"""A learner's record: `GET /v1/learners/{learner_id}/transcript[?as_of=T]`."""

from __future__ import annotations

from collections.abc import Callable

import falcon

from api.http import query_params, send_json
from api.v1.reports import SCOPES, now_ms
from api.xapi.params import timestamp_ms_param
from projections.learners import learner_key
from projections.transcript import Transcripts


class TranscriptResource:
    """`/v1/learners/{learner_id}/transcript`: the learner's courses as they stood at `as_of`.

    `learner_id` is the learner's IFI key in base64url without padding (as reports show it).
    A learner the ledger has no facts of has an empty record: 200 with no courses (the ledger
    cannot tell a learner yet to start from one it has never heard of).
    """

    scopes = {"GET": SCOPES}

    def __init__(self, transcripts: Transcripts, clock: Callable[[], int] = now_ms) -> None:
        self.transcripts = transcripts
        self.clock = clock

    def on_get(self, req: falcon.Request, resp: falcon.Response, learner_id: str) -> None:
        """Answer the transcript as of `as_of` (an ISO 8601 timestamp; default now)."""
        params = query_params(req, allowed=("as_of",))
        learner = learner_key(learner_id, "/learner_id")
        as_of = timestamp_ms_param(params, "as_of")
        tenant = req.context.principal.tenant
        send_json(
            resp,
            self.transcripts.transcript(tenant, learner, self.clock() if as_of is None else as_of),
        )
