"""GET /xapi/about: the versions this LRS speaks (xAPI 1.0.3 Comm §2.8)."""

from __future__ import annotations

import falcon

from api.http import query_params, send_json
from ledger.xapi import SUPPORTED


class AboutResource:
    """Advertise the supported xAPI versions; open to anyone, any version header."""

    public = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer `{"version": [...], "extensions": {}}`."""
        query_params(req, allowed=())
        send_json(resp, {"version": list(SUPPORTED), "extensions": {}})

    on_head = on_get
