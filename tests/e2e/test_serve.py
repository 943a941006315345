"""End to end: `learning-ledger serve` as a real process, over HTTP, across a restart."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import basic, free_port, xapi_headers
from tests.factories import statement, with_id

pytestmark = pytest.mark.e2e


def command() -> list[str]:
    """The installed console script (or the same entry point through this interpreter)."""
    script = shutil.which("learning-ledger", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "api.cli"]


class Server:
    """A `learning-ledger serve` process on a free port."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [*command(), "serve", "--port", str(self.port), "--workers", "2"],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("server exited:\n" + self.process.stdout.read())
            try:
                if requests.get(f"{self.url}/xapi/about", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("server did not answer within 30 s:\n" + "".join(self.output))

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        try:
            out, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        return out


@pytest.fixture
def server_env(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env["LEDGER_REQUEST_LOG"] = "false"
    yield env


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_serve_prints_a_credential_once_stores_over_http_and_keeps_data_across_restart(
    store, server_env, tmp_path, request
):
    if store == "postgres":
        from tests.conftest import postgres_url

        schema = request.getfixturevalue("pg_schema")
        server_env["LEDGER_DATABASE_URL"] = f"{postgres_url()}?schema={schema}"
    # On SQLite the default URL is used: ./var/ledger.db below the working directory.

    first_output = Server(server_env, tmp_path).stop()
    key = re.search(r"key:\s+(\S+)", first_output)
    secret = re.search(r"secret:\s+(\S+)", first_output)
    assert key and secret, first_output
    auth = xapi_headers(Authorization=basic(key.group(1), secret.group(1)))

    body = with_id()
    server = Server(server_env, tmp_path)
    try:
        response = requests.post(
            f"{server.url}/xapi/statements", json=[body, statement()], headers=auth, timeout=10
        )
        assert response.status_code == 200, response.text
        ids = response.json()
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
        wrong = requests.post(
            f"{server.url}/xapi/statements",
            json=statement(),
            headers=xapi_headers(Authorization=basic(key.group(1), "wrong")),
            timeout=10,
        )
        assert wrong.status_code == 401
    finally:
        second_output = server.stop()
    assert "secret:" not in second_output
    if store == "sqlite":
        assert (tmp_path / "var" / "ledger.db").exists()

    server = Server(server_env, tmp_path)
    try:
        for statement_id in ids:
            fetched = requests.get(
                f"{server.url}/xapi/statements",
                params={"statementId": statement_id},
                headers=auth,
                timeout=10,
            )
            assert fetched.status_code == 200
            assert fetched.json()["id"] == statement_id
    finally:
        server.stop()


def test_db_migrate_then_gunicorn_serves_wsgi_app(server_env, tmp_path):
    """Production shape: `db migrate` once, then `gunicorn wsgi:app` with settings from env."""
    server_env["LEDGER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'prod.db'}"
    server_env["LEDGER_BOOTSTRAP_KEY"] = "automation"
    server_env["LEDGER_BOOTSTRAP_SECRET"] = "automation-secret"
    migrated = subprocess.run(
        [*command(), "db", "migrate"],
        env=server_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "automation-secret" not in migrated.stdout
    port = free_port()
    repo = Path(__file__).resolve().parents[2]
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--chdir",
            str(repo),
            "wsgi:app",
        ],
        env=server_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(f"{url}/xapi/about", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        response = requests.post(
            f"{url}/xapi/statements",
            json=statement(),
            headers=xapi_headers(Authorization=basic("automation", "automation-secret")),
            timeout=10,
        )
        assert response.status_code == 200, response.text
    finally:
        gunicorn.terminate()
        gunicorn.communicate(timeout=20)


def test_serve_refuses_a_bad_setting_with_a_clear_message(server_env, tmp_path):
    server_env["LEDGER_DATABASE_URL"] = "mysql://nope"
    result = subprocess.run(
        [*command(), "serve"],
        env=server_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "LEDGER_DATABASE_URL" in result.stderr
