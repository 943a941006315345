"""Benchmark the learning projections: catch-up, lag under ingest, report pages, CSV export.

Phases (`--phases`, default all):

- load: defines a catalogue matching the workload of bench/query.py (100 courses of 20
  modules, a mix of every moveOn rule, mastery scores, deadlines and validity periods; 12
  learning paths), then stores N statements in-process (1000 per batch, 1 % voiding) — every
  statement about a module of a course, so every one yields facts (the worst case).
- catchup: rebuilds every learning projection from position 0 and prints log positions/s.
- lag: starts `learning-ledger worker` as its own process, stores statements in-process as
  fast as the store takes them (batches of `--lag-batch`) for `--lag-seconds`, and measures,
  for every write, the time from its acknowledgement until every projection has reached its
  position (polled every 10 ms).
- reports, export: bench/reports.py's measures on the rows derived from the log — 200 timed
  `/v1/reports/enrollments` pages of each kind, and CSV exports of a tenth of the courses and
  of everything (rows/s, peak Python memory), in-process through the WSGI app (no network).

Figures go to stdout (and `--json FILE`); record them in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
from falcon import testing

from api.app import create_app
from bench.args import add_database_url, names_from, open_bench_ledger, positive
from bench.ingest import percentile
from bench.query import Workload
from bench.rebuild import KEY, SECRET, load
from bench.reports import Sample, basic, export_figures, pages
from bench.statements import _SITE, COURSES, MODULES_PER_COURSE, PROGRAMMES
from ledger.catalogue import Catalogue
from ledger.tenants import DEFAULT_TENANT
from projections import learning_tables
from projections.learning_store import LearningProjections

PHASES = ("load", "catchup", "lag", "reports", "export")
MOVE_ON = ("Completed", "CompletedOrPassed", "Passed", "CompletedAndPassed", "NotApplicable")


def course_document(course: int) -> dict[str, Any]:
    """Course `course` of the workload, with every moveOn rule among its modules."""
    iri = f"{_SITE}/course/c{course:03d}"
    modules = []
    for module in range(MODULES_PER_COURSE):
        entry: dict[str, Any] = {
            "id": f"{iri}/module/m{module:02d}",
            "moveOn": MOVE_ON[(course + module) % len(MOVE_ON)],
        }
        if module % 3 == 0:
            entry["masteryScore"] = 0.7
        modules.append(entry)
    criteria: dict[str, Any] = {}
    if course % 2 == 0:
        criteria["deadlineDays"] = 30
    if course % 3 == 0:
        criteria["validityDays"] = 365
    if course % 5 == 0:
        criteria["minimumScore"] = 0.6
    return {"id": iri, "title": f"Course {course}", "modules": modules, "criteria": criteria}


def path_document(programme: int) -> dict[str, Any]:
    """Learning path `programme`: the courses of that programme, in order."""
    return {
        "id": f"{_SITE}/programme/p{programme:02d}",
        "title": f"Programme {programme}",
        "courses": [f"{_SITE}/course/c{c:03d}" for c in range(programme, COURSES, PROGRAMMES)],
        "unlockNext": programme % 2 == 0,
    }


def define_catalogue(ledger: Any) -> None:
    """Put the workload's courses and paths in the default tenant's catalogue."""
    catalogue = Catalogue(ledger)
    for course in range(COURSES):
        catalogue.put(DEFAULT_TENANT, "course", course_document(course))
    for programme in range(PROGRAMMES):
        catalogue.put(DEFAULT_TENANT, "path", path_document(programme))


def row_counts(projections: LearningProjections) -> dict[str, int]:
    """Rows in every learning table."""
    names = [*learning_tables.FACT_TABLES]
    for owned in learning_tables.VIEWS.values():
        names.extend(owned)
    return {
        name: int(projections.tracking.read(f"SELECT count(*) FROM {{s}}{name}", ())[0][0])
        for name in names
    }


def catchup(ledger: Any, figures: dict[str, Any]) -> None:
    """Rebuild every learning projection from position 0."""
    projections = LearningProjections(ledger)
    head = projections.head()

    def progress(name: str) -> Any:
        def report(position: int, top: int, done: int) -> None:
            print(f"\r{name}: {position:,}/{top:,}", end="", file=sys.stderr, flush=True)

        return report

    started = time.perf_counter()
    events = projections.rebuild(progress=progress)
    seconds = time.perf_counter() - started
    print(file=sys.stderr)
    rows = row_counts(projections)
    figures["catchup"] = {
        "log_positions": head,
        "events_applied": events,
        "seconds": round(seconds, 1),
        "positions_per_s": round(head / seconds),
        "rows": rows,
    }
    print(
        f"catch-up: {head:,} log positions ({events:,} events applied) in {seconds:.1f} s = "
        f"{head / seconds:,.0f} positions/s; rows {rows}"
    )


def lag(
    ledger: Any, database_url: str, seconds: float, batch: int, figures: dict[str, Any]
) -> None:
    """Measure projection lag under sustained ingest with a worker process running."""
    projections = LearningProjections(ledger)
    env = {**os.environ, "LEDGER_DATABASE_URL": database_url, "LEDGER_REQUEST_LOG": "false"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        while projections.position() < projections.head():
            time.sleep(0.2)
        principal = ledger.authenticate(KEY, SECRET)
        workload = Workload(7, 10_000_000)
        pending: list[tuple[int, float]] = []
        lags: list[float] = []
        lock = threading.Lock()
        done = threading.Event()

        def monitor() -> None:
            while not (done.is_set() and not pending):
                reached = projections.position()
                now = time.perf_counter()
                with lock:
                    while pending and pending[0][0] <= reached:
                        lags.append(now - pending.pop(0)[1])
                time.sleep(0.01)

        watcher = threading.Thread(target=monitor, daemon=True)
        watcher.start()
        started = time.perf_counter()
        stored = 0
        while time.perf_counter() - started < seconds:
            recording = ledger.record_statements(
                principal, workload.batch(batch), "1.0.3", batch=True
            )
            with lock:
                pending.append((int(recording.position), time.perf_counter()))
            stored += batch
        ingest_seconds = time.perf_counter() - started
        done.set()
        watcher.join(timeout=120)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    lags.sort()
    figures["lag"] = {
        "ingest_statements_per_s": round(stored / ingest_seconds),
        "writes": len(lags),
        "batch": batch,
        "p50_ms": round(percentile(lags, 50) * 1000, 1),
        "p95_ms": round(percentile(lags, 95) * 1000, 1),
        "p99_ms": round(percentile(lags, 99) * 1000, 1),
        "max_ms": round(lags[-1] * 1000, 1) if lags else None,
    }
    print(f"lag under ingest: {figures['lag']}")


def reports_and_export(ledger: Any, phases: list[str], figures: dict[str, Any]) -> None:
    """Time report pages and CSV exports (bench/reports.py's measures) on the derived rows."""
    client = testing.TestClient(create_app(ledger.settings, ledger=ledger))
    credentials = basic(KEY, SECRET)
    first = client.simulate_get(
        "/v1/reports/enrollments",
        params={"limit": "1000"},
        headers={"Authorization": "Basic " + credentials},
    ).json["items"]
    sample = Sample(
        credentials,
        [f"{_SITE}/course/c{course:03d}" for course in range(COURSES)],
        sorted({row["learner_id"] for row in first}),
    )
    figures["enrollments"] = row_counts(LearningProjections(ledger))[learning_tables.ENROLLMENTS]
    if "reports" in phases:
        figures["pages"] = pages(client, 200, random.Random(5), sample)
    if "export" in phases:
        figures["csv_export"] = export_figures(client, sample)
    print(
        orjson.dumps(
            {k: figures[k] for k in ("enrollments", "pages", "csv_export") if k in figures},
            option=orjson.OPT_INDENT_2,
        ).decode()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_database_url(parser, "bench-projections.db")
    parser.add_argument("--statements", type=positive, default=100_000)
    parser.add_argument("--batch", type=positive, default=1000, help="statements per load write")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--phases", type=names_from(PHASES, "phase"), default=list(PHASES), help=",".join(PHASES)
    )
    parser.add_argument("--lag-seconds", type=float, default=30.0)
    parser.add_argument("--lag-batch", type=positive, default=100)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    ledger, figures = open_bench_ledger(args.database_url, KEY, SECRET)
    if "load" in args.phases:
        define_catalogue(ledger)
        figures["load_statements_per_s"] = round(
            load(ledger, args.statements, args.batch, args.seed)
        )
        print(f"loaded {args.statements:,} statements at {figures['load_statements_per_s']:,}/s")
    if "catchup" in args.phases:
        catchup(ledger, figures)
    if "lag" in args.phases:
        lag(ledger, args.database_url, args.lag_seconds, args.lag_batch, figures)
    if "reports" in args.phases or "export" in args.phases:
        reports_and_export(ledger, args.phases, figures)
    if args.json:
        args.json.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
    ledger.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
