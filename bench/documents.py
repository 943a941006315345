"""Benchmark the document write path, single-document reads and the documents rebuild.

Writes N document changes through `ledger.documents.Documents` (State PUTs of new documents,
POST merges into them, a share of DELETEs), one request's worth each, then reads every
current document once through `DocumentQueries.get`, then times `rebuild_documents`. Prints
writes/s, reads/s and rebuilt events/s. Run on a fresh database:

    python bench/documents.py --database-url sqlite:///./var/bench-docs.db --count 2000
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.args import positive
from ledger.documents import STATE, DocumentKey, Documents, Preconditions
from ledger.settings import Settings
from projections.document_query import DocumentQueries
from projections.documents import rebuild_documents
from projections.rebuild import indexed_recorder
from projections.store import open_ledger

KEY, SECRET = "bench-documents", "bench-documents-secret"


def main() -> None:
    """Load, read, rebuild; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--count", type=positive, default=2000, help="document writes")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    settings = Settings(database_url=args.database_url, bootstrap_key=KEY, bootstrap_secret=SECRET)
    ledger = open_ledger(settings, create_tables=True)
    ledger.bootstrap()
    principal = ledger.authenticate(KEY, SECRET)
    documents, queries = Documents(ledger), DocumentQueries(ledger)
    rng = random.Random(args.seed)
    keys: list[DocumentKey] = []
    none = Preconditions()
    started = time.perf_counter()
    for n in range(args.count):
        roll = rng.random()
        if keys and roll < 0.3:
            documents.post(principal, rng.choice(keys), b'{"n": %d}' % n, "application/json", none)
        elif keys and roll < 0.35:
            documents.delete(principal, keys.pop(rng.randrange(len(keys))), none)
        else:
            key = DocumentKey(
                kind=STATE,
                activity_id=f"https://courses.example.com/c{n % 50}",
                agent={"mbox": f"mailto:learner{n % 500}@example.com"},
                document_id=f"state-{n}",
            )
            body = b'{"progress": %d, "suspend": "%s"}' % (n, b"x" * 200)
            documents.put(principal, key, body, "application/json", none, "1.0.3")
            keys.append(key)
    writes = args.count / (time.perf_counter() - started)
    started = time.perf_counter()
    for key in keys:
        assert queries.get(principal.tenant, key) is not None
    reads = len(keys) / (time.perf_counter() - started)
    started = time.perf_counter()
    events = rebuild_documents(indexed_recorder(ledger))
    rebuilt = events / (time.perf_counter() - started)
    store = "PostgreSQL" if settings.is_postgres else "SQLite"
    print(f"{store} on {platform.machine()}, {args.count:,} document writes")
    print(f"  writes (one per transaction): {writes:,.0f}/s")
    print(f"  single GETs (read model + blob): {reads:,.0f}/s")
    print(f"  rebuild: {events:,} events at {rebuilt:,.0f}/s")
    ledger.close()


if __name__ == "__main__":
    main()
