"""End to end: `learning-ledger worker` and `serve` keep the learning projections current.

On PostgreSQL two workers run: one keeps the projections, the other stands by and takes over
when the first stops. Statements posted over HTTP to `learning-ledger serve` show in the
enrollments table within a few seconds, with no command run in between.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from ledger.settings import Settings
from projections.learning_store import LearningProjections
from projections.store import open_ledger
from tests.conftest import basic, free_port, postgres_url, xapi_headers
from tests.e2e.test_serve import command
from tests.learning_helpers import COURSE, course, said, table_rows

pytestmark = pytest.mark.e2e

KEY, SECRET = "e2e-admin", "e2e-admin-secret"


class Process:
    """A `learning-ledger` command running in the background, its output collected."""

    def __init__(self, env: dict[str, str], cwd: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [*command(), *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} within {timeout} s:\n{self.output()}")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(timeout=5)
        return self.output()


@pytest.fixture
def env(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    values.update(
        LEDGER_REQUEST_LOG="false", LEDGER_BOOTSTRAP_KEY=KEY, LEDGER_BOOTSTRAP_SECRET=SECRET
    )
    if request.param == "postgres":
        schema = request.getfixturevalue("pg_schema")
        values["LEDGER_DATABASE_URL"] = f"{postgres_url()}?schema={schema}"
    else:
        values["LEDGER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'ledger.db'}"
    yield values


def serve(env: dict[str, str], cwd: Path) -> tuple[Process, str]:
    port = free_port()
    server = Process(env, cwd, "serve", "--port", str(port), "--workers", "1")
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/xapi/about", timeout=1).status_code == 200:
                return server, url
        except requests.RequestException:
            time.sleep(0.2)
    server.stop()
    raise AssertionError("server did not answer within 30 s:\n" + server.output())


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> float:
    """Wait until `check()` holds; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


def enrolled(env: dict[str, str], learner: str) -> Callable[[], bool]:
    """Whether the enrollments table holds the learner (read from the database itself)."""
    ledger = open_ledger(Settings(database_url=env["LEDGER_DATABASE_URL"]))
    projections = LearningProjections(ledger)

    def check() -> bool:
        return any(row[1] == f"mbox:{learner}" for row in table_rows(projections, "enrollments"))

    return check


def post_registration(url: str, learner: str) -> int:
    response = requests.post(
        f"{url}/xapi/statements",
        json=said("registered", COURSE, learner),
        headers=xapi_headers(Authorization=basic(KEY, SECRET)),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return int(response.headers["X-Ledger-Position"])


def define_course(url: str) -> None:
    response = requests.put(
        f"{url}/v1/catalogue/courses",
        json=course(),
        headers={"Authorization": basic(KEY, SECRET), "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code in (200, 201), response.text


@pytest.mark.parametrize(
    "env", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_serve_keeps_the_learning_projections_current_on_its_own(env, tmp_path):
    """`serve` alone (the embedded default's one command) keeps the enrollments current."""
    server, url = serve(env, tmp_path)
    try:
        define_course(url)
        learner = f"mailto:{uuid.uuid4().hex[:8]}@example.com"
        post_registration(url, learner)
        eventually(enrolled(env, learner))
    finally:
        output = server.stop()
    assert "Traceback" not in output, output


@pytest.mark.postgres
@pytest.mark.parametrize("env", ["postgres"], indirect=True)
def test_one_worker_keeps_the_projections_while_another_stands_by(env, tmp_path):
    """Two workers: one takes the advisory locks, the other says it stands by and takes over
    when the first stops; statements posted to `serve` reach the enrollments table."""
    migrated = subprocess.run(
        [*command(), "db", "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert migrated.returncode == 0, migrated.stderr
    first = Process(env, tmp_path, "worker")
    second = None
    server = None
    try:
        first.wait_for_line("keeping the learning projections")
        second = Process(env, tmp_path, "worker")
        second.wait_for_line("another worker keeps the learning projections; standing by")
        server, url = serve(env, tmp_path)
        define_course(url)
        learner = f"mailto:{uuid.uuid4().hex[:8]}@example.com"
        post_registration(url, learner)
        assert eventually(enrolled(env, learner), timeout=5) < 5
        first.stop()
        # the second worker (or the server's own, standing by too) takes over
        later = f"mailto:{uuid.uuid4().hex[:8]}@example.com"
        post_registration(url, later)
        eventually(enrolled(env, later), timeout=15)
    finally:
        outputs = [p.stop() for p in (first, second, server) if p is not None]
    assert "projection worker stopped" in outputs[0]
    assert all("Traceback" not in output for output in outputs), outputs
