"""Loading of the JSON Schema documents under `schemas/` and cached validators built from them."""

from __future__ import annotations

import importlib
import json
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator
from referencing import Registry, Resource

from ledger.xapi.versions import V1, V2

#: The package holding the schema documents (an implicit namespace package: data only).
_PACKAGE: Final = "schemas"
#: Folder of the xAPI Statement schemas, relative to `schemas/`.
_XAPI: Final = "xapi"
#: Folder of the ledger's own `/v1/` API document schemas (catalogue), relative to `schemas/`.
_V1: Final = "v1"


def _root() -> Traversable:
    """Return the `schemas/` folder.

    On Python 3.11, `files()` fails on a namespace package installed in editable mode: the
    setuptools finder puts a non-directory placeholder in `__path__` and the stdlib reader
    refuses it (NotADirectoryError; python/importlib_resources#311). Fall back to the first
    real directory of the package's `__path__`.
    """
    try:
        return files(_PACKAGE)
    except NotADirectoryError:
        package = importlib.import_module(_PACKAGE)
        for entry in package.__path__:
            path = Path(entry)
            if path.is_dir():
                return path
        raise


def load_schema(name: str) -> dict[str, Any]:
    """Return the JSON Schema document `schemas/<name>`, e.g. `xapi/statement-1.0.3.json`.

    Each call reads and parses the file afresh, so callers may modify the result.

    Raises:
        FileNotFoundError: There is no such document.
    """
    resource = _root()
    for part in name.split("/"):  # one part at a time: 3.11's MultiplexedPath takes one
        resource = resource.joinpath(part)
    with resource.open("r", encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


@cache
def _xapi_registry() -> Registry[Any]:
    """Return a registry of every document in `schemas/xapi/`, keyed by its `$id`."""
    resources = []
    for entry in _root().joinpath(_XAPI).iterdir():
        if entry.name.endswith(".json"):
            contents = load_schema(f"{_XAPI}/{entry.name}")
            resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources).crawl()


@cache
def statement_validator(version: str) -> Validator:
    """Return the (cached) validator of one Statement under the `version` rule set.

    Args:
        version: `V1` ("1.0.3") or `V2` ("2.0.0"), as for `ledger.xapi.validate_statement`.

    Raises:
        ValueError: `version` names no supported rule set.
    """
    if version != V1 and version != V2:
        raise ValueError(f"unknown xAPI rule set {version!r}; expected {V1!r} or {V2!r}")
    schema = load_schema(f"{_XAPI}/statement-{version}.json")
    Draft202012Validator.check_schema(schema)
    validator: Validator = Draft202012Validator(schema, registry=_xapi_registry())
    return validator


@cache
def v1_validator(name: str) -> Validator:
    """Return the (cached) validator of the `/v1/` document schema `schemas/v1/<name>.json`.

    Args:
        name: the document kind, e.g. `course` or `learning-path`.

    Raises:
        FileNotFoundError: There is no such schema.
    """
    schema = load_schema(f"{_V1}/{name}.json")
    Draft202012Validator.check_schema(schema)
    validator: Validator = Draft202012Validator(schema)
    return validator
