"""Benchmark the definitions read model's catch-up from the log, in-process, on either store.

Loads N statements (the realistic generator of bench/query.py, as bench/rebuild.py does)
unless `--skip-load`, then times:

- a rebuild: `DefinitionsProjection.rebuild` (reset, then catch-up in `--rebuild-batch`
  position batches) over every statement stored;
- live catch-ups: `--live` more statements written in `--batch`-statement writes, then one
  `catch_up` in request-sized batches (1,000 positions), as a request after a burst would.

Prints statements (Recorded events) applied per second for each, and checks that the live
rows equal a second rebuild's (`rows_unchanged`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from bench.args import add_database_url, non_negative, open_bench_ledger, positive
from bench.rebuild import KEY, SECRET, load
from projections.definitions_store import BATCH, REBUILD_BATCH, DefinitionsProjection


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_database_url(parser, "bench-definitions.db")
    parser.add_argument("--statements", type=positive, default=100_000)
    parser.add_argument("--batch", type=positive, default=1000, help="statements per write")
    parser.add_argument("--rebuild-batch", type=positive, default=REBUILD_BATCH)
    parser.add_argument(
        "--live", type=non_negative, default=20_000, help="statements written, then caught up"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-load", action="store_true", help="use what is stored")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    ledger, figures = open_bench_ledger(args.database_url, KEY, SECRET)
    projection = DefinitionsProjection(ledger)
    if not args.skip_load:
        figures["load_statements_per_s"] = round(
            load(ledger, args.statements, args.batch, args.seed)
        )

    def progress(position: int, head: int, done: int) -> None:
        print(f"\rapplied {done:,} (position {position:,}/{head:,})", end="", file=sys.stderr)

    started = time.perf_counter()
    rebuilt = projection.rebuild(progress, batch_size=args.rebuild_batch)
    seconds = time.perf_counter() - started
    print(file=sys.stderr)
    figures.update(
        rebuild_statements=rebuilt,
        rebuild_seconds=round(seconds, 2),
        rebuild_statements_per_s=round(rebuilt / seconds),
    )
    print(
        f"rebuild {figures['store']}: {rebuilt:,} statements in {seconds:.1f} s = "
        f"{rebuilt / seconds:,.0f} statements/s"
    )
    if args.live:
        load(ledger, args.live, args.batch, args.seed + 1)
        started = time.perf_counter()
        result = projection.catch_up(batch_size=BATCH, progress=progress)
        seconds = time.perf_counter() - started
        print(file=sys.stderr)
        figures.update(
            live_statements=result.statements,
            live_seconds=round(seconds, 2),
            live_statements_per_s=round(result.statements / seconds),
        )
        print(
            f"catch-up {figures['store']}: {result.statements:,} statements in {seconds:.1f} s "
            f"= {result.statements / seconds:,.0f} statements/s (batches of {BATCH:,} positions)"
        )
    live = projection.rows()
    projection.rebuild(batch_size=args.rebuild_batch)
    same = projection.rows() == live
    figures["rows"] = {table: len(rows) for table, rows in live.items()}
    figures["rows_unchanged"] = same
    print(
        f"rows {figures['rows']} ({'same after a rebuild' if same else 'DIFFER after a rebuild'})"
    )
    if args.json:
        args.json.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
    ledger.close()
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
