"""Benchmark rebuilding the statement_index from the event log, in-process, on either store.

Loads N statements (the realistic generator of bench/query.py, with a share of voiding
statements) straight through the Ledger unless `--skip-load`, then times
`projections.rebuild.rebuild_statement_index` and prints statements/s. Compare the rebuilt
index with the live one with `--check` (row counts of every index table before and after).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from bench.args import add_database_url, open_bench_ledger, positive
from bench.query import Workload
from projections.rebuild import indexed_recorder, rebuild_statement_index
from projections.recorders import INDEX_TABLES

KEY, SECRET = "bench-rebuild", "bench-rebuild-secret"
VOIDING_SHARE = 0.01


def load(ledger: Any, count: int, batch: int, seed: int) -> float:
    """Store `count` statements in batches; return statements/s of the load."""
    principal = ledger.authenticate(KEY, SECRET)
    workload = Workload(seed, count)
    rng = random.Random(seed)
    started, done = time.perf_counter(), 0
    while done < count:
        statements = workload.batch(min(batch, count - done))
        voiding = [
            {
                "actor": s["actor"],
                "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                "object": {"objectType": "StatementRef", "id": s["id"]},
            }
            for s in statements
            if rng.random() < VOIDING_SHARE
        ]
        ledger.record_statements(principal, statements + voiding, "1.0.3", batch=True)
        done += len(statements)
        print(f"\rloaded {done:,}/{count:,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return count / (time.perf_counter() - started)


def table_rows(ledger: Any) -> dict[str, int]:
    """Row counts of the index tables."""
    recorder = indexed_recorder(ledger)
    counts = {}
    for table in INDEX_TABLES:
        prefix = getattr(recorder, "_prefix", "")
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(f"SELECT count(*) AS n FROM {prefix}{table}")
            row = curs.fetchone()
        counts[table] = int(row["n"] if isinstance(row, dict) else row[0])
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_database_url(parser, "bench-rebuild.db")
    parser.add_argument("--statements", type=positive, default=100_000)
    parser.add_argument("--batch", type=positive, default=1000, help="statements per write")
    parser.add_argument("--rebuild-batch", type=positive, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-load", action="store_true", help="rebuild what is stored")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    ledger, figures = open_bench_ledger(args.database_url, KEY, SECRET)
    if not args.skip_load:
        figures["load_statements_per_s"] = round(
            load(ledger, args.statements, args.batch, args.seed)
        )
    before = table_rows(ledger)

    def progress(position: int, head: int, done: int) -> None:
        print(f"\rrebuilt {done:,} (position {position:,}/{head:,})", end="", file=sys.stderr)

    options = {"batch_size": args.rebuild_batch} if args.rebuild_batch else {}
    started = time.perf_counter()
    count = rebuild_statement_index(ledger, progress, **options)
    seconds = time.perf_counter() - started
    print(file=sys.stderr)
    after = table_rows(ledger)
    figures.update(
        statements=count,
        rebuild_seconds=round(seconds, 2),
        rebuild_statements_per_s=round(count / seconds),
        rows=after,
        rows_unchanged=before == after,
    )
    print(
        f"rebuild {figures['store']}: {count:,} statements in {seconds:.1f} s = "
        f"{count / seconds:,.0f} statements/s; rows {after} "
        f"({'same as before' if before == after else f'BEFORE {before}'})"
    )
    if args.json:
        args.json.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
    ledger.close()
    return 0 if before == after else 1


if __name__ == "__main__":
    sys.exit(main())
