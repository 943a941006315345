"""Argument types shared by the bench scripts."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path


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
