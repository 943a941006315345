"""The application factory: builds the Falcon WSGI app around a Ledger."""

from __future__ import annotations

import logging
import sys

import falcon

from api import errors
from api.middleware import AuthMiddleware, RequestLogMiddleware, XapiVersionMiddleware
from api.xapi.about import AboutResource
from api.xapi.activities import ActivitiesResource
from api.xapi.agents import AgentsResource
from api.xapi.statements import StatementsResource
from ledger.application import Ledger
from ledger.settings import Settings
from projections.definitions_store import DefinitionsProjection
from projections.statement_query import StatementQueries
from projections.store import open_ledger


class _StderrHandler(logging.StreamHandler):
    """Write to whatever `sys.stderr` is at the time of each record."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging() -> None:
    """Send the request log (one JSON line per request) and errors to stderr."""
    for name in ("ledger.requests", "ledger.errors"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            handler = _StderrHandler()
            handler.setFormatter(logging.Formatter("%(message)s"))
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False


def create_app(
    settings: Settings,
    *,
    ledger: Ledger | None = None,
) -> falcon.App:
    """Build the WSGI app.

    Args:
        settings: the validated settings.
        ledger: an existing Ledger (tests inject one); by default one is built from the
            settings without running DDL — `learning-ledger db migrate` creates the tables.
    """
    if ledger is None:
        ledger = open_ledger(settings)
        ledger.check_tables()
    configure_logging()
    queries = StatementQueries(ledger)
    app = falcon.App(
        middleware=[  # type: ignore[arg-type]
            RequestLogMiddleware(enabled=settings.request_log),
            XapiVersionMiddleware(queries.consistent_through),
            AuthMiddleware(ledger),
        ],
    )
    app.req_options.keep_blank_qs_values = True
    app.req_options.auto_parse_qs_csv = False
    errors.register(app)
    app.add_route("/xapi/about", AboutResource())
    definitions = DefinitionsProjection(ledger)
    app.add_route(
        "/xapi/statements",
        StatementsResource(ledger, queries, settings.max_body_bytes, definitions=definitions),
    )
    app.add_route("/xapi/agents", AgentsResource(definitions))
    app.add_route("/xapi/activities", ActivitiesResource(definitions))
    return app
