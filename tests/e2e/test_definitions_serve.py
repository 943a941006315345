"""End to end: /xapi/activities and /xapi/agents read their writes across gunicorn workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import basic, free_port, xapi_headers
from tests.factories import statement

pytestmark = pytest.mark.e2e

KEY, SECRET = "e2e-definitions", "e2e-definitions-secret"
AUTH = xapi_headers(Authorization=basic(KEY, SECRET))


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_each_read_sees_the_definitions_and_names_written_just_before(store, tmp_path, request):
    """Two worker processes, a new connection per request: a definition or name acknowledged
    to the client is in its next /xapi/activities or /xapi/agents answer, whichever worker
    answers (checklist §13, §14; read-your-writes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(LEDGER_REQUEST_LOG="false", LEDGER_BOOTSTRAP_KEY=KEY, LEDGER_BOOTSTRAP_SECRET=SECRET)
    if store == "postgres":
        from tests.conftest import postgres_url

        schema = request.getfixturevalue("pg_schema")
        env["LEDGER_DATABASE_URL"] = f"{postgres_url()}?schema={schema}"
    else:
        env["LEDGER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'ledger.db'}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None and time.monotonic() < deadline, "no server"
            try:
                requests.get(f"{url}/xapi/about", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        activity_id = f"https://courses.example.com/{uuid.uuid4()}"
        mbox = f"mailto:{uuid.uuid4().hex}@example.com"
        for n in range(8):
            body = statement(
                actor={"name": f"name {n}", "mbox": mbox},
                object={"id": activity_id, "definition": {"name": {f"x-l{n}": f"n{n}"}}},
            )
            posted = requests.post(
                f"{url}/xapi/statements",
                json=body,
                headers=AUTH,
                timeout=10,
            )
            assert posted.status_code == 200, posted.text
            activity = requests.get(
                f"{url}/xapi/activities",
                params={"activityId": activity_id},
                headers=AUTH,
                timeout=10,
            ).json()
            assert activity["definition"]["name"] == {f"x-l{i}": f"n{i}" for i in range(n + 1)}
            person = requests.get(
                f"{url}/xapi/agents",
                params={"agent": json.dumps({"mbox": mbox})},
                headers=AUTH,
                timeout=10,
            ).json()
            assert person["name"] == [f"name {i}" for i in range(n + 1)]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
