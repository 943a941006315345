"""Benchmark Statement ingest of a running ledger over HTTP: single POSTs and batches."""

from __future__ import annotations

import argparse
import base64
import gc
import hashlib
import http.client
import itertools
import math
import os
import platform
import random
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from bench.args import http_parser, names_from, non_negative, positive
from bench.statements import make_statements
from ledger.xapi.multipart import build_multipart

USAGE_EPILOG: Final = """\
phases (run in the order given):
  single1    one Statement per POST, concurrency 1      (default 2,000 requests)
  single8    one Statement per POST, concurrency 8      (default 4,000 requests)
  batch100   100-Statement arrays, --batch-concurrency  (default 100 requests)
  batch1000  1000-Statement arrays, --batch-concurrency (default 30 requests)

Each phase first sends --warmup untimed requests (at most as many as the phase itself) over
the same connections. "failed" counts non-200 responses, transport errors and 200 responses
whose ids differ from those sent. The exit status is 1 if any request failed.
"""


@dataclass(frozen=True)
class PhaseSpec:
    """One phase: its name, Statements per request (0: a bare object), default size, workers."""

    name: str
    batch_size: int
    default_requests: int
    concurrency: int


@dataclass(frozen=True)
class Prepared:
    """One pre-serialised request body and the Statement ids the ledger must answer with."""

    body: bytes
    ids: list[str]
    content_type: str = "application/json"


@dataclass
class Tally:
    """What one worker (or, merged, a whole run) saw."""

    latencies: list[float] = field(default_factory=list)
    failed: int = 0
    first_error: str | None = None
    connect_error: str | None = None

    def fail(self, message: str) -> None:
        """Count one failed request, keeping the first error message."""
        self.failed += 1
        if self.first_error is None:
            self.first_error = message

    def merge(self, other: Tally) -> None:
        """Fold `other` into this tally."""
        self.latencies.extend(other.latencies)
        self.failed += other.failed
        if self.first_error is None:
            self.first_error = other.first_error
        if self.connect_error is None:
            self.connect_error = other.connect_error


@dataclass(frozen=True)
class Target:
    """Where and how to POST: the ledger's host, the statements path and the fixed headers."""

    scheme: str
    host: str
    port: int | None
    path: str
    headers: dict[str, str]
    timeout: float

    @classmethod
    def from_args(cls, url: str, key: str, secret: str, timeout: float) -> Target:
        """Build a Target from the command line's URL and credentials."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"URL must be http(s)://host[:port][/prefix], not {url!r}")
        token = base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")
        headers = {
            "Authorization": f"Basic {token}",
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        path = parts.path.rstrip("/") + "/xapi/statements"
        return cls(parts.scheme, parts.hostname, parts.port, path, headers, timeout)

    @property
    def url(self) -> str:
        """Return the full URL Statements are POSTed to."""
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{self.host}{port}{self.path}"

    def connection(self) -> Connection:
        """Return a new, not yet connected, keep-alive connection to the ledger."""
        cls = _KeepAliveTLS if self.scheme == "https" else _KeepAlive
        return cls(self.host, self.port, timeout=self.timeout)


class _ConnectionCount:
    """Counts TCP connections opened, so a server that refuses keep-alive shows up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        """Count one more connection."""
        with self._lock:
            self.value += 1


CONNECTIONS_OPENED: Final = _ConnectionCount()


def _tune(sock: socket.socket) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    CONNECTIONS_OPENED.add()


class _KeepAlive(http.client.HTTPConnection):
    """An HTTP/1.1 connection with TCP_NODELAY whose (re)connections are counted."""

    def connect(self) -> None:
        """Connect, then disable Nagle's algorithm and count the connection."""
        super().connect()
        _tune(self.sock)


class _KeepAliveTLS(http.client.HTTPSConnection):
    """An HTTPS connection with TCP_NODELAY whose (re)connections are counted."""

    def connect(self) -> None:
        """Connect, then disable Nagle's algorithm and count the connection."""
        super().connect()
        _tune(self.sock)


Connection = _KeepAlive | _KeepAliveTLS

PHASES: Final = {
    spec.name: spec
    for spec in (
        PhaseSpec("single1", 0, 2_000, 1),
        PhaseSpec("single8", 0, 4_000, 8),
        PhaseSpec("batch100", 100, 100, 1),
        PhaseSpec("batch1000", 1000, 30, 1),
    )
}

#: Transport errors that, on a connection that has served a request, usually mean the server
#: closed it while idle: such a request is retried once on a fresh connection.
_STALE_ERRORS: Final = (
    http.client.RemoteDisconnected,
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
)
_ERROR_SNIPPET: Final = 600
#: Client CPU seconds per wall second above which a phase may be measuring the client.
CLIENT_BUSY: Final = 0.7


def prepare(
    spec: PhaseSpec, requests: int, rng: random.Random, attachment_bytes: int = 0
) -> list[Prepared]:
    """Generate and serialise every request body of a run before any timing starts.

    With `attachment_bytes`, each Statement declares an attachment of that many random bytes
    and the body is multipart/mixed with one part per Statement.
    """
    now = datetime.now(UTC)
    prepared = []
    for _ in range(requests):
        statements = make_statements(rng, max(spec.batch_size, 1), now=now)
        parts = []
        for statement in statements if attachment_bytes else []:
            data = rng.randbytes(attachment_bytes)
            sha2 = hashlib.sha256(data).hexdigest()
            statement["attachments"] = [
                {
                    "usageType": "https://bench.example.com/attachment",
                    "display": {"en-US": "bench attachment"},
                    "contentType": "application/octet-stream",
                    "length": attachment_bytes,
                    "sha2": sha2,
                }
            ]
            parts.append(("application/octet-stream", sha2, data))
        payload: Any = statements if spec.batch_size else statements[0]
        ids = [s["id"] for s in statements]
        if parts:
            content_type, body = build_multipart(orjson.dumps(payload), parts)
            prepared.append(Prepared(body, ids, content_type))
        else:
            prepared.append(Prepared(orjson.dumps(payload), ids))
    return prepared


def _post(conn: Connection, target: Target, request: Prepared) -> tuple[int, bytes]:
    headers = {**target.headers, "Content-Type": request.content_type}
    conn.request("POST", target.path, request.body, headers)
    response = conn.getresponse()
    return response.status, response.read()


def _send(conn: Connection, target: Target, request: Prepared, reused: bool) -> str | None:
    """POST one request; return None on success, else a description of the failure."""
    try:
        try:
            status, data = _post(conn, target, request)
        except _STALE_ERRORS:
            if not reused:
                raise
            conn.close()
            status, data = _post(conn, target, request)
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        return f"transport error: {type(exc).__name__}: {exc}"
    if status != 200:
        text = data[:_ERROR_SNIPPET].decode("utf-8", "replace")
        return f"HTTP {status}: {text}"
    try:
        ids = orjson.loads(data)
    except orjson.JSONDecodeError:
        return f"HTTP 200 but not JSON: {data[:_ERROR_SNIPPET]!r}"
    if ids != request.ids:
        shown = orjson.dumps(ids)[:_ERROR_SNIPPET].decode("utf-8", "replace")
        return f"HTTP 200 but ids differ from the {len(request.ids)} sent: {shown}"
    return None


def _work(
    conn: Connection,
    target: Target,
    requests: Sequence[Prepared],
    counter: Iterator[int],
    connect_first: bool,
    stop: threading.Event,
) -> Tally:
    """Send requests from the shared `counter` over one connection until none are left."""
    tally = Tally()
    if connect_first and conn.sock is None:
        try:
            conn.connect()
        except OSError as exc:
            tally.connect_error = f"{type(exc).__name__}: {exc}"
            return tally
    total = len(requests)
    clock = time.perf_counter
    reused = conn.sock is not None
    for index in counter:
        if index >= total or stop.is_set():
            break
        request = requests[index]
        started = clock()
        error = _send(conn, target, request, reused)
        tally.latencies.append(clock() - started)
        reused = conn.sock is not None
        if error is not None:
            tally.fail(error)
    return tally


def drive(
    pool: ThreadPoolExecutor,
    conns: Sequence[Connection],
    target: Target,
    requests: Sequence[Prepared],
    *,
    connect_first: bool = False,
) -> tuple[float, Tally]:
    """Send every request, one worker per connection; return the wall seconds and the tally.

    With `connect_first` each worker opens its connection before taking requests.
    """
    counter = itertools.count()  # its __next__ is atomic under the GIL
    stop = threading.Event()
    started = time.perf_counter()
    futures = [
        pool.submit(_work, conn, target, requests, counter, connect_first, stop) for conn in conns
    ]
    try:
        tallies = [future.result() for future in futures]
    except BaseException:  # e.g. Ctrl-C: let the workers finish the request in hand, then stop
        stop.set()
        raise
    wall = time.perf_counter() - started
    merged = Tally()
    for tally in tallies:
        merged.merge(tally)
    return wall, merged


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Return the nearest-rank percentile `pct` (0-100] of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(len(sorted_values) * pct / 100))
    return sorted_values[rank - 1]


@dataclass
class Measured:
    """A timed run: wall and client CPU seconds, what was seen, connections (re)opened."""

    wall: float = 0.0
    cpu: float = 0.0
    tally: Tally = field(default_factory=Tally)
    opened: int = 0


def run_phase(
    spec: PhaseSpec,
    target: Target,
    requests: int,
    warmup: int,
    concurrency: int,
    seed: int,
    attachment_bytes: int = 0,
) -> dict[str, Any]:
    """Warm up, then time one phase; return its figures (no timed run if all warm-ups fail)."""
    warm = prepare(
        spec,
        min(warmup, requests),
        random.Random(f"{seed}:{spec.name}:warmup"),
        attachment_bytes,
    )
    timed = prepare(spec, requests, random.Random(f"{seed}:{spec.name}"), attachment_bytes)
    conns = [target.connection() for _ in range(concurrency)]
    measured = Measured()
    warm_tally = Tally()
    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            # Every worker connects as the warm-up starts (in parallel: a server that accepts
            # one connection at a time cannot stall it), so no TCP handshake is timed.
            _, warm_tally = drive(pool, conns, target, warm, connect_first=True)
            if warm_tally.connect_error is not None:
                aborted = f"cannot connect to {target.url}: {warm_tally.connect_error}"
            elif warm and warm_tally.failed == len(warm):
                aborted = f"all {len(warm)} warm-up requests failed: {warm_tally.first_error}"
            else:
                gc.collect()
                opened_before = CONNECTIONS_OPENED.value
                cpu_before = time.process_time()
                measured.wall, measured.tally = drive(pool, conns, target, timed)
                measured.cpu = time.process_time() - cpu_before
                measured.opened = CONNECTIONS_OPENED.value - opened_before
                aborted = None
    finally:
        for conn in conns:
            conn.close()
    if aborted is not None:
        timed = []
    return figures(spec, concurrency, timed, measured, warm_tally, aborted)


def figures(
    spec: PhaseSpec,
    concurrency: int,
    timed: Sequence[Prepared],
    measured: Measured,
    warm: Tally,
    aborted: str | None = None,
) -> dict[str, Any]:
    """Return a phase's figures as a JSON-ready dict (latencies in ms, rates per second)."""
    requests = len(timed)
    statements = sum(len(item.ids) for item in timed)
    wall = measured.wall
    latencies = sorted(measured.tally.latencies)

    def rate(count: int) -> float:
        return round(count / wall, 1) if wall > 0 else 0.0

    def ms(seconds: float) -> float:
        return round(seconds * 1000, 3)

    return {
        "phase": spec.name,
        "aborted": aborted,
        "concurrency": concurrency,
        "batch_size": max(spec.batch_size, 1),
        "requests": requests,
        "statements": statements,
        "wall_s": round(wall, 4),
        "statements_per_s": rate(statements),
        "requests_per_s": rate(requests),
        "latency_ms": {
            "p50": ms(percentile(latencies, 50)),
            "p95": ms(percentile(latencies, 95)),
            "p99": ms(percentile(latencies, 99)),
            "mean": ms(sum(latencies) / len(latencies)) if latencies else None,
            "max": ms(latencies[-1]) if latencies else None,
        },
        "failed": measured.tally.failed,
        "first_error": measured.tally.first_error,
        "mean_body_bytes": round(sum(len(item.body) for item in timed) / requests)
        if requests
        else 0,
        "client_cpu_s": round(measured.cpu, 3),
        "connections_opened": measured.opened,
        "warmup": {
            "requests": len(warm.latencies),
            "failed": warm.failed,
            "first_error": warm.first_error,
        },
    }


_HEADER: Final = (
    f"{'phase':<10} {'conc':>4} {'requests':>8} {'statements':>10} {'wall_s':>8} "
    f"{'stmt/s':>9} {'req/s':>8} {'p50_ms':>8} {'p95_ms':>8} {'p99_ms':>8} {'failed':>6}"
)


def format_line(fig: dict[str, Any]) -> str:
    """Return the one-line summary of a phase's figures."""
    lat = fig["latency_ms"]
    return (
        f"{fig['phase']:<10} {fig['concurrency']:>4} {fig['requests']:>8} "
        f"{fig['statements']:>10} {fig['wall_s']:>8.3f} {fig['statements_per_s']:>9.1f} "
        f"{fig['requests_per_s']:>8.1f} {lat['p50']:>8.2f} {lat['p95']:>8.2f} "
        f"{lat['p99']:>8.2f} {fig['failed']:>6}"
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = http_parser("bench/ingest.py", __doc__, USAGE_EPILOG)
    parser.add_argument(
        "--phases",
        type=names_from(list(PHASES), "phase"),
        default=list(PHASES),
        help="comma-separated phases to run (default: all four)",
    )
    parser.add_argument("--quick", action="store_true", help="10x fewer requests (smoke run)")
    for name, spec in PHASES.items():
        parser.add_argument(
            f"--{name}-requests",
            type=positive,
            metavar="N",
            help=f"requests in phase {name} (default {spec.default_requests:,}, --quick /10)",
        )
    parser.add_argument(
        "--batch-concurrency",
        type=positive,
        default=1,
        metavar="N",
        help="concurrent connections for the batch phases (default 1)",
    )
    parser.add_argument(
        "--warmup",
        type=non_negative,
        default=20,
        metavar="N",
        help="untimed warm-up requests before each phase (default 20)",
    )
    parser.add_argument(
        "--seed", type=int, help="rng seed for the Statements (default: random, printed)"
    )
    parser.add_argument(
        "--attachment-bytes",
        type=non_negative,
        default=0,
        metavar="N",
        help="give each Statement an attachment of N random bytes, sent as multipart/mixed",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the selected phases against the ledger; return 1 if any request failed."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        target = Target.from_args(args.url, args.key, args.secret, args.timeout)
    except ValueError as exc:
        parser.error(str(exc))
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    quick = " quick" if args.quick else ""
    print(f"ingest: POST {target.url} seed={seed} warmup={args.warmup}{quick}", flush=True)
    print(_HEADER, flush=True)
    results = []
    any_failed = False
    for name in args.phases:
        spec = PHASES[name]
        requests = getattr(args, f"{name}_requests")
        if requests is None:
            requests = max(1, spec.default_requests // (10 if args.quick else 1))
        concurrency = args.batch_concurrency if spec.batch_size else spec.concurrency
        fig = run_phase(
            spec, target, requests, args.warmup, concurrency, seed, args.attachment_bytes
        )
        results.append(fig)
        if fig["aborted"]:
            print(f"{name:<10} aborted: {fig['aborted']}", flush=True)
            any_failed = True
            break
        warm = fig["warmup"]
        print(format_line(fig), flush=True)
        if fig["first_error"]:
            print(f"  first error: {fig['first_error']}", flush=True)
        if warm["failed"]:
            print(f"  warm-up: {warm['failed']} failed; first: {warm['first_error']}", flush=True)
        if fig["wall_s"] and fig["client_cpu_s"] / fig["wall_s"] > CLIENT_BUSY:
            print(
                f"  note: the client was busy {fig['client_cpu_s'] / fig['wall_s']:.0%} of the run "
                "(one core, under the GIL): these figures may be client-bound",
                flush=True,
            )
        if fig["connections_opened"]:
            print(
                f"  note: {fig['connections_opened']} connections reopened during the timed run "
                "(the server closed kept-alive connections)",
                flush=True,
            )
        any_failed = any_failed or bool(fig["failed"] or warm["failed"])
    if args.json is not None:
        report = {
            "benchmark": "ingest",
            "url": target.url,
            "seed": seed,
            "quick": args.quick,
            "warmup": args.warmup,
            "started": started,
            "python": platform.python_version(),
            "phases": results,
        }
        args.json.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    return 1 if any_failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("ingest: interrupted", file=sys.stderr)
        sys.exit(130)
