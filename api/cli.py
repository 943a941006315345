"""The `learning-ledger` command: serve the ledger, migrate its database."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from gunicorn.app.base import BaseApplication

from api.app import create_app
from ledger.application import BootstrapResult, Ledger
from ledger.settings import Settings, SettingsError
from projections.definitions_store import DefinitionsProjection
from projections.documents import ensure_documents, rebuild_documents
from projections.learning_store import PROJECTIONS as LEARNING
from projections.learning_store import LearningProjections
from projections.rebuild import ensure_statement_index, indexed_recorder, rebuild_statement_index
from projections.runner import Runner
from projections.status import projection_status
from projections.store import open_ledger


def migrate(settings: Settings) -> BootstrapResult | None:
    """Create or upgrade every table once, rebuild read models whose version changed, then
    make the first tenant and admin credential."""
    ledger = open_ledger(settings, create_tables=True)
    try:
        if ensure_statement_index(ledger, ProgressBar("statement_index")):
            print("Learning Ledger: rebuilt statement_index (its version changed).", flush=True)
        if ensure_documents(indexed_recorder(ledger), ProgressBar("documents", "events")):
            print("Learning Ledger: rebuilt documents (its version changed).", flush=True)
        if DefinitionsProjection(ledger).ensure(ProgressBar("definitions")):
            print("Learning Ledger: rebuilt definitions (its version changed).", flush=True)
        for name in LearningProjections(ledger).ensure(_learning_progress):
            print(f"Learning Ledger: rebuilt {name} (its version changed).", flush=True)
        return ledger.bootstrap()
    finally:
        ledger.close()


def _learning_progress(name: str) -> ProgressBar:
    """The progress bar of a learning projection: events for stage one, learners for views."""
    return ProgressBar(name, "events" if name == LEARNING[0] else "learners")


class ProgressBar:
    """A one-line progress report on stderr for long commands."""

    def __init__(self, name: str, unit: str = "statements", stream: Any = None) -> None:
        self.name = name
        self.unit = unit
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.shown = 0.0

    def __call__(self, position: int, head: int, done: int) -> None:
        now = time.monotonic()
        if now - self.shown < 0.2 and position < head:
            return
        self.shown = now
        rate = done / max(now - self.started, 1e-9)
        share = 100.0 * position / head if head else 100.0
        self.stream.write(
            f"\r{self.name}: {share:5.1f}% (position {position:,} of {head:,}), "
            f"{done:,} {self.unit}, {rate:,.0f}/s"
        )
        if position >= head:
            self.stream.write("\n")
        self.stream.flush()


def rebuild(settings: Settings, names: list[str]) -> None:
    """Rebuild read models from the event log."""
    ledger = open_ledger(settings)
    try:
        ledger.check_tables()
        learning = [name for name in names if name in LEARNING]
        if learning:
            started = time.monotonic()
            count = LearningProjections(ledger).rebuild(learning, _learning_progress)
            seconds = time.monotonic() - started
            print(
                f"Learning Ledger: rebuilt {', '.join(learning)}: {count:,} events in "
                f"{seconds:.1f} s ({count / max(seconds, 1e-9):,.0f}/s).",
                flush=True,
            )
        for name in names:
            if name in LEARNING:
                continue
            started = time.monotonic()
            unit, rebuild_one = _REBUILDERS[name]
            count = rebuild_one(ledger, ProgressBar(name, unit))
            seconds = time.monotonic() - started
            print(
                f"Learning Ledger: rebuilt {name}: {count:,} {unit} in {seconds:.1f} s "
                f"({count / max(seconds, 1e-9):,.0f}/s).",
                flush=True,
            )
    finally:
        ledger.close()


def status(settings: Settings) -> None:
    """Print each read model's version, position, the log head and what needs doing."""
    ledger = open_ledger(settings)
    try:
        ledger.check_tables()
        rows = projection_status(ledger)
    finally:
        ledger.close()
    print(
        f"{'read model':<24} {'kept':<10} {'built':>5} {'version':>7} {'position':>12} "
        f"{'head':>12} {'lag':>10} {'lag s':>8}  state"
    )
    for row in rows:
        built = "-" if row.built_version is None else str(row.built_version)
        position = "-" if row.position is None else f"{row.position:,}"
        behind = "-" if row.behind is None else f"{row.behind:,}"
        print(
            f"{row.name:<24} {row.kept:<10} {built:>5} {row.version:>7} {position:>12} "
            f"{row.head:>12,} {behind:>10} {row.lag_seconds:>8.1f}  {row.summary}",
            flush=True,
        )


def announce(result: BootstrapResult | None) -> None:
    """Print the bootstrap credential once, when it was just made."""
    if result is None:
        return
    if result.secret is None:
        print(
            f"Learning Ledger: tenant {result.tenant!r} has admin credential {result.key!r} "
            "(from LEDGER_BOOTSTRAP_KEY / LEDGER_BOOTSTRAP_SECRET)",
            flush=True,
        )
        return
    print(
        f"Learning Ledger: created tenant {result.tenant!r} and its admin credential.\n"
        "Keep the secret now: it is stored hashed and shown only this once.\n"
        f"  key:    {result.key}\n"
        f"  secret: {result.secret}",
        flush=True,
    )


PROJECTIONS = ("statement_index", "documents", "definitions", *LEARNING)
#: Each read model's rebuild, and what its progress and summary count.
_REBUILDERS: dict[str, tuple[str, Callable[[Ledger, ProgressBar], int]]] = {
    "statement_index": ("statements", rebuild_statement_index),
    "documents": (
        "document events",
        lambda ledger, progress: rebuild_documents(indexed_recorder(ledger), progress),
    ),
    "definitions": (
        "statements",
        lambda ledger, progress: DefinitionsProjection(ledger).rebuild(progress),
    ),
}


class _Server(BaseApplication):
    """gunicorn, configured in code; each worker builds its app after the fork."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app(self.settings)


def worker(settings: Settings) -> None:
    """Keep the caught-up projections current until SIGTERM or SIGINT.

    On PostgreSQL one worker is active per projection group (an advisory lock); the others
    stand by and take over when it stops. Projections whose version changed are rebuilt by
    the worker that becomes active for them.
    """
    ledger = open_ledger(settings)
    try:
        ledger.check_tables()
        runner = Runner(ledger, exclusive=True, say=lambda line: print(line, flush=True))

        def stop(signum: int, frame: Any) -> None:
            runner.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        print("Learning Ledger: projection worker started.", flush=True)
        runner.run()
        print("Learning Ledger: projection worker stopped.", flush=True)
    finally:
        ledger.close()


def _start_worker() -> subprocess.Popen[bytes]:
    """Start `learning-ledger worker` as a child process with this process's environment."""
    return subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], env=os.environ.copy())


def _stop_worker(child: subprocess.Popen[bytes]) -> None:
    """Stop the worker child: SIGTERM, then SIGKILL if it has not stopped in 10 s."""
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def serve(settings: Settings, host: str, port: int, workers: int, threads: int) -> None:
    """Migrate, bootstrap, then serve with gunicorn until interrupted, with a projection
    worker alongside (a child process, stopped with the server)."""
    announce(migrate(settings))
    where = "PostgreSQL" if settings.is_postgres else f"SQLite at {settings.sqlite_path}"
    print(f"Learning Ledger: serving on http://{host}:{port} ({where})", flush=True)
    child = _start_worker()
    try:
        _run_server(settings, host, port, workers, threads)
    finally:
        _stop_worker(child)


def _run_server(settings: Settings, host: str, port: int, workers: int, threads: int) -> None:
    """Run gunicorn in this process until it is stopped (SIGTERM, SIGINT)."""
    _Server(
        settings,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread" if threads > 1 else "sync",
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "timeout": 60,
            "graceful_timeout": 10,
            "preload_app": False,
        },
    ).run()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="learning-ledger", description="Learning Ledger: an event-sourced xAPI LRS."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve the ledger over HTTP")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port to bind (8000)")
    serve_cmd.add_argument(
        "--workers", type=int, default=2, help="worker processes (2; one per core is right)"
    )
    serve_cmd.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    commands.add_parser(
        "worker", help="keep the caught-up projections current (one active per database)"
    )
    db_cmd = commands.add_parser("db", help="database maintenance")
    db_commands = db_cmd.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("migrate", help="create or upgrade all tables (run once per deploy)")
    projections_cmd = commands.add_parser("projections", help="read models")
    projection_commands = projections_cmd.add_subparsers(dest="projections_command", required=True)
    rebuild_cmd = projection_commands.add_parser("rebuild", help="rebuild from the event log")
    rebuild_cmd.add_argument("name", nargs="?", choices=PROJECTIONS, help="the read model")
    rebuild_cmd.add_argument("--all", action="store_true", help="rebuild every read model")
    projection_commands.add_parser(
        "status", help="where each read model stands against the event log"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_environ(os.environ)
        if args.command == "serve":
            if args.workers < 1 or args.threads < 1:
                raise SettingsError("--workers and --threads must be at least 1")
            serve(settings, args.host, args.port, args.workers, args.threads)
        elif args.command == "worker":
            worker(settings)
        elif args.command == "db":
            announce(migrate(settings))
            print("Learning Ledger: the database is up to date.", flush=True)
        elif args.command == "projections" and args.projections_command == "status":
            status(settings)
        elif args.command == "projections":
            if args.all == (args.name is not None):
                raise SettingsError("name one read model, or give --all")
            rebuild(settings, list(PROJECTIONS) if args.all else [args.name])
    except SettingsError as ex:
        print(f"learning-ledger: {ex}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
