"""Validation and normalisation of catalogue documents: courses and learning paths.

The JSON Schemas `schemas/v1/course.json` and `schemas/v1/learning-path.json` are the
specification of each document's shape; the checks a schema cannot express live here: IRIs
are absolute (the xAPI IRI check), module ids and path courses are distinct (compared in
normalised form, RFC 3987 §5.3.2.1), and `criteria.requiredModules` names modules of the
course. Every problem is reported at once, each located by a JSON pointer.

Catalogue writes are rare, so the general `jsonschema` validator is fast enough here.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable
from typing import Any, Final

from jsonschema.exceptions import ValidationError

from ledger.errors import InvalidCatalogueError, Problem
from ledger.schemas import v1_validator
from ledger.xapi.equivalence import normalise_iri
from ledger.xapi.primitives import escape_key, is_iri

COURSE: Final = "course"
PATH: Final = "path"
#: The catalogue's kinds of entry.
KINDS: Final = (COURSE, PATH)
#: The schema (under `schemas/v1/`) of each kind.
SCHEMA_OF: Final = {COURSE: "course", PATH: "learning-path"}
#: What a module needs to be satisfied when its document does not say (cmi5 moveOn).
DEFAULT_MOVE_ON: Final = "Completed"
_NOUN: Final = {COURSE: "course", PATH: "learning path"}
_MAX_DETAILS: Final = 50
_JSON_TYPES: Final = {
    "object": "a JSON object",
    "array": "an array",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
}


def pointer_of(path: Iterable[object]) -> str:
    """Return the JSON pointer (RFC 6901) of a path of keys and indexes."""
    return "".join(f"/{escape_key(part)}" for part in path)


def _schema_problems(error: ValidationError) -> list[Problem]:
    """Translate one `jsonschema` error into problems that name the offending member."""
    pointer = pointer_of(error.absolute_path)
    keyword, value, instance = error.validator, error.validator_value, error.instance
    if keyword == "required":
        return [
            Problem(f"{pointer}/{escape_key(name)}", "is required")
            for name in value
            if isinstance(instance, dict) and name not in instance
        ]
    if keyword == "additionalProperties" and isinstance(instance, dict):
        allowed = list(error.schema.get("properties", {}))
        problems = []
        for name in instance:
            if name in allowed:
                continue
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(
                Problem(
                    f"{pointer}/{escape_key(name)}",
                    f"unknown member{hint}; allowed: {', '.join(allowed)}",
                )
            )
        return problems
    if keyword == "uniqueItems":
        return []  # the IRI checks name the repeated item (and catch IRIs equal once normalised)
    messages = {
        "type": lambda: (
            "must not be null"
            if instance is None
            else "must be " + " or ".join(_JSON_TYPES.get(t, t) for t in _listed(value))
        ),
        "enum": lambda: "must be one of " + ", ".join(str(v) for v in value),
        "minLength": lambda: "must not be empty",
        "pattern": lambda: "must not be empty or blank",
        "minimum": lambda: f"must be at least {value}",
        "maximum": lambda: f"must be at most {value}",
        "exclusiveMinimum": lambda: f"must be greater than {value}",
        "minItems": lambda: f"must hold at least {value} item" + ("s" if value != 1 else ""),
    }
    message = messages.get(str(keyword))
    return [Problem(pointer, message() if message else error.message)]


def _listed(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _check_iri(problems: list[Problem], value: object, pointer: str) -> str | None:
    """Record a problem unless `value` is an absolute IRI; return its normalised form."""
    if not isinstance(value, str) or not value:
        return None  # the schema reports the type
    if not is_iri(value):
        problems.append(Problem(pointer, "must be an absolute IRI (with a scheme, no spaces)"))
        return None
    return normalise_iri(value)


def _check_distinct(
    problems: list[Problem], items: list[tuple[object, str]], what: str
) -> set[str]:
    """Check that each (value, pointer) item is an absolute IRI and that no two are the same
    IRI in normalised form; return the normalised IRIs."""
    found: dict[str, str] = {}
    for value, pointer in items:
        normal = _check_iri(problems, value, pointer)
        if normal is None:
            continue
        if normal in found:
            problems.append(Problem(pointer, f"repeats the {what} at {found[normal]}"))
        else:
            found[normal] = pointer
    return set(found)


def _items(values: object, pointer: str, key: str | None = None) -> list[tuple[object, str]]:
    """The items of an array (or one member of each object item) with their pointers."""
    if not isinstance(values, list):
        return []
    if key is None:
        return [(value, f"{pointer}/{index}") for index, value in enumerate(values)]
    return [
        (value.get(key), f"{pointer}/{index}/{key}")
        for index, value in enumerate(values)
        if isinstance(value, dict)
    ]


def _course_problems(document: dict[str, Any]) -> list[Problem]:
    """The checks of a course that its schema cannot express."""
    problems: list[Problem] = []
    _check_iri(problems, document.get("id"), "/id")
    modules = _check_distinct(
        problems, _items(document.get("modules"), "/modules", "id"), "module id"
    )
    criteria = document.get("criteria")
    if isinstance(criteria, dict):
        required = _items(criteria.get("requiredModules"), "/criteria/requiredModules")
        _check_distinct(problems, required, "module")
        for value, pointer in required:
            if isinstance(value, str) and is_iri(value) and normalise_iri(value) not in modules:
                problems.append(Problem(pointer, "names no module of this course"))
    return problems


def _path_problems(document: dict[str, Any]) -> list[Problem]:
    """The checks of a learning path that its schema cannot express."""
    problems: list[Problem] = []
    _check_iri(problems, document.get("id"), "/id")
    _check_distinct(problems, _items(document.get("courses"), "/courses"), "course")
    return problems


def _normalised(kind: str, document: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a valid document with defaults filled; ids stay as given."""
    result = copy.deepcopy(document)
    if kind == PATH:
        result.setdefault("unlockNext", False)
        return result
    for module in result["modules"]:
        module.setdefault("moveOn", DEFAULT_MOVE_ON)
    criteria = result.setdefault("criteria", {})
    for name in ("deadlineDays", "validityDays"):
        if name in criteria:
            criteria[name] = int(criteria[name])  # JSON Schema's integer admits 30.0
    return result


def check_catalogue_document(kind: str, document: Any) -> dict[str, Any]:
    """Validate a course or learning path document and return it normalised.

    Normalising fills the defaults (`moveOn` Completed, `criteria` {}, `unlockNext` false)
    and keeps every id as given.

    Args:
        kind: `course` or `path`.
        document: the parsed JSON body.

    Raises:
        InvalidCatalogueError: the document breaks a rule; `details` name each bad member.
        ValueError: `kind` is neither `course` nor `path`.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown catalogue kind {kind!r}; expected one of {KINDS}")
    problems: list[Problem] = []
    for error in v1_validator(SCHEMA_OF[kind]).iter_errors(document):
        problems.extend(_schema_problems(error))
    if isinstance(document, dict):
        problems.extend(_course_problems(document) if kind == COURSE else _path_problems(document))
    if problems:
        unique = list(dict.fromkeys(problems))  # a duplicate can be found by both checks
        unique.sort(key=lambda p: p.pointer)
        first = unique[0]
        raise InvalidCatalogueError(
            f"the {_NOUN[kind]} document is not valid: {first.pointer or '/'} {first.problem}"
            + (f" (and {len(unique) - 1} more problems)" if len(unique) > 1 else ""),
            unique[:_MAX_DETAILS],
        )
    return _normalised(kind, document)
