"""Benchmark the learning reports: page latency at N enrollments, and CSV export rate and memory.

Seeds the `enrollments` view with N rows (learners by courses, put straight into the table: the
report's cost does not depend on how the rows were derived), then, through the WSGI app in
this process (no network):

- pages: R timed `GET /v1/reports/enrollments` requests per query kind (limit=100): the first
  page in the default order, pages deep in the keyset walk, a course filter, a read-time status
  filter, and a sort by enrollment time; latency percentiles;
- export: the whole report as CSV (streamed), rows/s, and the peak of Python memory while
  streaming (tracemalloc), for N/10 and N rows — flat memory means the peak does not grow with N.

Prints the figures (and writes them to --json). Use an empty store: the rows are added to it.
"""

from __future__ import annotations

import argparse
import base64
import random
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from wsgiref.util import setup_testing_defaults

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
from falcon import testing

from api.app import create_app
from bench.args import add_database_url, open_bench_ledger, positive
from bench.ingest import percentile
from ledger.application import Ledger
from ledger.settings import Settings
from projections import learning_tables as tables
from projections.learners import learner_id
from projections.reading import StoreReader
from projections.recorders import schema_prefix

KEY, SECRET = "bench-admin", "bench-admin-secret"
COURSES = 50
DAY = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01
STATUSES = ["enrolled", "in_progress", "completed", "passed", "failed", "withdrawn"]
COLUMNS = (
    "tenant, learner, course, revision, status, source, path, enrolled_at, started_at, "
    "last_activity_at, completed_at, withdrawn_at, due_at, expires_at, position"
)


def seed(ledger: Ledger, rows: int, rng: random.Random) -> None:
    """Add `rows` enrollments of the default tenant: learners by COURSES courses."""
    reader = StoreReader(ledger)
    datastore: Any = reader.datastore
    prefix = schema_prefix(datastore.schema) if reader.postgres else ""
    marks = ", ".join(["%s" if reader.postgres else "?"] * 15)
    sql = f"INSERT INTO {prefix}{tables.ENROLLMENTS} ({COLUMNS}) VALUES ({marks})"
    batch: list[tuple[Any, ...]] = []

    def flush() -> None:
        with datastore.transaction(commit=True) as curs:
            curs.executemany(sql, batch)
        batch.clear()

    for n in range(rows):
        learner, course = divmod(n, COURSES)
        status = rng.choice(STATUSES)
        enrolled = T0 + rng.randrange(300) * DAY
        done = enrolled + 5 * DAY if status in ("completed", "passed") else None
        batch.append(
            (
                "default",
                f"mbox:mailto:learner{learner}@example.com",
                f"https://example.com/courses/c{course}",
                1,
                status,
                "xapi",
                "",
                enrolled,
                enrolled,
                enrolled + DAY,
                done,
                enrolled + 2 * DAY if status == "withdrawn" else None,
                enrolled + 30 * DAY,
                done + 365 * DAY if done is not None and rng.random() < 0.5 else None,
                n + 1,
            )
        )
        if len(batch) >= 5000:
            flush()
    if batch:
        flush()
    if reader.postgres:
        with datastore.get_connection() as conn:
            conn.execute(f"ANALYZE {prefix}{tables.ENROLLMENTS}")


@dataclass(frozen=True)
class Sample:
    """What the timed queries pick from: the credential, and the report's courses and
    learners (learner ids)."""

    basic: str
    courses: list[str]
    learners: list[str]


def basic(key: str, secret: str) -> str:
    """The Basic credentials of `key` and `secret`."""
    return base64.b64encode(f"{key}:{secret}".encode()).decode()


def timed(
    client: testing.TestClient, url: str, params: dict[str, str], credentials: str
) -> tuple[float, Any]:
    """One GET; its latency in ms and its JSON."""
    headers = {"Authorization": "Basic " + credentials}
    started = time.perf_counter()
    response = client.simulate_get(url, params=params, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} {params} answered {response.status_code}: {response.text}")
    return elapsed, response.json


def pages(
    client: testing.TestClient, repeats: int, rng: random.Random, sample: Sample
) -> dict[str, Any]:
    """Latency percentiles (ms) of each query kind."""
    url = "/v1/reports/enrollments"
    kinds: dict[str, list[float]] = {}
    # deep pages: walk the keyset from the start, timing every page
    walk: list[float] = []
    params: dict[str, str] = {"limit": "100"}
    while len(walk) < repeats:
        elapsed, body = timed(client, url, params, sample.basic)
        walk.append(elapsed)
        if body["next"] is None:
            break
        params = dict(parse_qsl(urlsplit(body["next"]).query))
    kinds["keyset walk (default order)"] = walk
    queries = {
        "first page (default order)": lambda: {"limit": "100"},
        "course filter": lambda: {
            "limit": "100",
            "course": rng.choice(sample.courses),
        },
        "learner filter": lambda: {"learner": rng.choice(sample.learners)},
        "status filter": lambda: {"limit": "100", "status": rng.choice(STATUSES)},
        "sort by enrolled_at": lambda: {"limit": "100", "sort": "-enrolled_at"},
    }
    for name, make in queries.items():
        kinds[name] = [timed(client, url, make(), sample.basic)[0] for _ in range(repeats)]
    return {
        name: {
            "requests": len(times),
            "p50_ms": round(percentile(sorted(times), 50), 2),
            "p95_ms": round(percentile(sorted(times), 95), 2),
        }
        for name, times in kinds.items()
    }


def stream_export(
    client: testing.TestClient, courses: list[str] | None, credentials: str, *, trace: bool
) -> tuple[int, int, float, int]:
    """Stream the CSV through the WSGI iterable chunk by chunk (as a server sends it).

    Returns the rows, the bytes, the seconds, and (with `trace`) the peak of Python memory
    meanwhile (tracemalloc, which slows Python down: the time of a traced run means little).
    """
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    query = "format=csv"
    if courses is not None:
        query += "&" + urlencode([("course", course) for course in courses])
    environ.update(
        {
            "PATH_INFO": "/v1/reports/enrollments",
            "QUERY_STRING": query,
            "REQUEST_METHOD": "GET",
            "HTTP_AUTHORIZATION": "Basic " + credentials,
        }
    )
    status: list[str] = []
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    body = client.app(environ, lambda s, h, exc=None: status.append(s))
    rows = size = 0
    for chunk in body:
        rows += chunk.count(b"\n")
        size += len(chunk)
    if hasattr(body, "close"):
        body.close()
    elapsed = time.perf_counter() - started
    peak = 0
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    if not status or not status[0].startswith("200"):
        raise SystemExit(f"export answered {status}")
    return rows - 1, size, elapsed, peak


def export(
    client: testing.TestClient, courses: list[str] | None, credentials: str
) -> dict[str, Any]:
    """The CSV export's rate (untraced run) and peak Python memory (traced run) of the rows of
    `courses` (None: every row)."""
    rows, size, seconds, _ = stream_export(client, courses, credentials, trace=False)
    *_, peak = stream_export(client, courses, credentials, trace=True)
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "mb_sent": round(size / 2**20, 1),
        "peak_python_mb": round(peak / 2**20, 2),
    }


def export_figures(client: testing.TestClient, sample: Sample) -> dict[str, Any]:
    """Export a tenth of the courses' rows, then every row: flat memory shows as equal peaks."""
    tenth = sample.courses[: max(len(sample.courses) // 10, 1)]
    return {
        f"{len(tenth)} of {len(sample.courses)} courses": export(client, tenth, sample.basic),
        "all": export(client, None, sample.basic),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(prog="bench/reports.py", description=__doc__)
    add_database_url(parser, "bench-reports.db")
    parser.add_argument("--rows", type=positive, default=100_000, help="enrollments (100000)")
    parser.add_argument("--repeats", type=positive, default=200, help="requests per query kind")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    ledger, figures = open_bench_ledger(args.database_url, KEY, SECRET)
    settings = Settings(
        database_url=args.database_url, bootstrap_key=KEY, bootstrap_secret=SECRET,
        request_log=False,
    )  # fmt: skip
    started = time.perf_counter()
    seed(ledger, args.rows, rng)
    figures["enrollments"] = args.rows
    figures["seed_seconds"] = round(time.perf_counter() - started, 1)
    client = testing.TestClient(create_app(settings, ledger=ledger))
    courses = [f"https://example.com/courses/c{n}" for n in range(COURSES)]
    learners = [learner_id(f"mbox:mailto:learner{n}@example.com") for n in range(100)]
    sample = Sample(basic(KEY, SECRET), courses, learners)
    figures["pages"] = pages(client, args.repeats, rng, sample)
    figures["csv_export"] = export_figures(client, sample)
    print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
    if args.json:
        args.json.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
    ledger.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
