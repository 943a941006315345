"""The WSGI entry point for gunicorn: `gunicorn wsgi:app` (settings from the environment)."""

import os

from api.app import create_app
from ledger.settings import Settings

app = create_app(Settings.from_environ(os.environ))
