"""The application factory: builds the Falcon WSGI app around a Ledger."""

from __future__ import annotations

import logging
import sys

import falcon

from api import errors
from api.cors import CorsMiddleware
from api.middleware import (
    AuthMiddleware,
    LedgerPositionMiddleware,
    RequestLogMiddleware,
    XapiVersionMiddleware,
)
from api.transport import TransportMiddleware, XapiApp
from api.v1.catalogue import CoursesResource, PathsResource
from api.v1.learners import TranscriptResource
from api.v1.projections import ProjectionsResource
from api.v1.reports import ReportResource
from api.xapi.about import AboutResource
from api.xapi.activities import ActivitiesResource
from api.xapi.agents import AgentsResource
from api.xapi.documents import ActivityProfileResource, AgentProfileResource, StateResource
from api.xapi.statements import StatementsResource
from ledger.application import Ledger
from ledger.catalogue import Catalogue
from ledger.documents import Documents
from ledger.settings import Settings
from projections.catalogue_query import CatalogueQueries
from projections.definitions_store import DefinitionsProjection
from projections.document_query import DocumentQueries
from projections.learning_store import LearningProjections
from projections.report_query import ReportQueries
from projections.reports import REPORTS
from projections.statement_query import StatementQueries
from projections.store import open_ledger
from projections.transcript import Transcripts


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
    # XapiApp rewrites 1.0.3 alternate-syntax requests before Falcon reads them (api/transport).
    app = XapiApp(
        middleware=[
            RequestLogMiddleware(enabled=settings.request_log),
            CorsMiddleware(settings.cors_origins),
            TransportMiddleware(settings.max_body_bytes),
            XapiVersionMiddleware(queries.consistent_through),
            AuthMiddleware(ledger),
            LedgerPositionMiddleware(lambda: int(ledger.recorder.max_notification_id() or 0)),
        ],
        max_body_bytes=settings.max_body_bytes,
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
    # document resources (checklist §9-§12)
    documents = (Documents(ledger), DocumentQueries(ledger), settings.max_body_bytes)
    app.add_route("/xapi/activities/state", StateResource(*documents))
    app.add_route("/xapi/activities/profile", ActivityProfileResource(*documents))
    app.add_route("/xapi/agents/profile", AgentProfileResource(*documents))
    learning = LearningProjections(ledger)
    catalogue = (Catalogue(ledger), CatalogueQueries(ledger), settings.max_body_bytes, learning)
    app.add_route("/v1/catalogue/courses", CoursesResource(*catalogue))
    app.add_route("/v1/catalogue/paths", PathsResource(*catalogue))
    app.add_route("/v1/projections", ProjectionsResource(ledger))
    reports = ReportQueries(ledger)
    for name, report in REPORTS.items():
        app.add_route(f"/v1/reports/{name}", ReportResource(report, ledger, reports, learning))
    app.add_route(
        "/v1/learners/{learner_id}/transcript", TranscriptResource(Transcripts(ledger, learning))
    )
    return app
