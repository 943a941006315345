"""Read-your-writes for `/v1` reads: `min_position` waits for the learning projections."""

from __future__ import annotations

from api.xapi.params import int_param
from ledger.errors import Problem, ProjectionsBehindError
from projections.report_query import PositionWaiter

#: Seconds a request with `min_position` waits for the projections before answering 503.
WAIT_SECONDS = 5.0


def wait_for_min_position(
    waiter: PositionWaiter, params: dict[str, str], seconds: float = WAIT_SECONDS
) -> None:
    """With `min_position=N` (a log position a write answered in `X-Ledger-Position`): wait
    until the projections have processed N, else raise `ProjectionsBehindError` (503 with
    Retry-After). Without the parameter, return at once."""
    position = int_param(params, "min_position", 0, None)
    if position is None or waiter.wait_for(position, seconds):
        return
    raise ProjectionsBehindError(
        f"the learning projections have not reached log position {position} yet; "
        "retry after a moment",
        [Problem("?min_position", "not reached yet")],
    )
