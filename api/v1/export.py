"""Writing report rows as JSON, NDJSON or CSV, in chunks for a streamed answer."""

from __future__ import annotations

import csv
import io
from collections.abc import Generator, Iterable, Iterator
from typing import Any

import orjson

#: Bytes gathered before a streamed answer hands a chunk to the server.
CHUNK_BYTES = 64 * 1024


def csv_value(value: Any) -> str:
    """A value as a CSV field: '' for null, true/false, nested values as JSON text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def csv_lines(columns: list[str], rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Yield a header line, then one line per row (RFC 4180: CRLF, fields quoted as needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield _take(buffer)
    for row in rows:
        writer.writerow([csv_value(row[name]) for name in columns])
        yield _take(buffer)


def _take(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return data


def ndjson_lines(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Yield one JSON line per row."""
    for row in rows:
        yield orjson.dumps(row) + b"\n"


def chunked(lines: Iterable[bytes], size: int = CHUNK_BYTES) -> Generator[bytes, None, None]:
    """Join lines into chunks of about `size` bytes (fewer, larger writes to the socket)."""
    parts: list[bytes] = []
    held = 0
    for line in lines:
        parts.append(line)
        held += len(line)
        if held >= size:
            yield b"".join(parts)
            parts, held = [], 0
    if parts:
        yield b"".join(parts)


def primed(chunks: Generator[bytes, None, None]) -> Generator[bytes, None, None]:
    """Produce the first chunk now (the query runs, and fails, before the status is sent),
    then stream the rest; closing the result closes `chunks` (and the cursor under it)."""
    first = next(chunks, None)

    def rest() -> Generator[bytes, None, None]:
        try:
            if first is not None:
                yield first
            yield from chunks
        finally:
            chunks.close()

    return rest()


def encode(fmt: str, columns: list[str], rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Yield the lines of rows in `fmt` (`ndjson` or `csv`)."""
    return csv_lines(columns, rows) if fmt == "csv" else ndjson_lines(rows)
