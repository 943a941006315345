"""Argument types shared by the bench scripts."""

from __future__ import annotations

import argparse
import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ledger.application import Ledger
from ledger.settings import Settings
from projections.store import open_ledger


def positive(text: str) -> int:
    """An integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def non_negative(text: str) -> int:
    """An integer of at least 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {value}")
    return value


def names_from(choices: Sequence[str], what: str) -> Callable[[str], list[str]]:
    """An argument type: a comma-separated list of names from `choices`, duplicates dropped."""

    def parse(text: str) -> list[str]:
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in names if name not in choices]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown {what}(s) {', '.join(unknown) or '(none)'}; "
                f"choose from {', '.join(choices)}"
            )
        return list(dict.fromkeys(names))

    return parse


def http_parser(prog: str, description: str | None, epilog: str) -> argparse.ArgumentParser:
    """A parser with the arguments of a bench script that talks to a running ledger."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url", help="the ledger's base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("key", help="credential key (Basic auth user name)")
    parser.add_argument("secret", help="credential secret (Basic auth password)")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="socket timeout, seconds (default 120)"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    return parser


def open_bench_ledger(database_url: str, key: str, secret: str) -> tuple[Ledger, dict[str, Any]]:
    """Open (migrate, bootstrap) a ledger for a bench run; return it and the figures' header:
    the store and the machine."""
    settings = Settings(
        database_url=database_url, bootstrap_key=key, bootstrap_secret=secret, request_log=False
    )
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(exist_ok=True)
    ledger = open_ledger(settings, create_tables=True)
    ledger.bootstrap()
    figures: dict[str, Any] = {
        "store": "postgres" if settings.is_postgres else "sqlite",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
    }
    return ledger, figures


def add_database_url(parser: argparse.ArgumentParser, default_file: str) -> None:
    """Add `--database-url`: $LEDGER_DATABASE_URL, else an SQLite file under var/."""
    default = f"sqlite:///var/{default_file}"
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LEDGER_DATABASE_URL", default),
        help=f"the store (default: $LEDGER_DATABASE_URL or {default})",
    )
