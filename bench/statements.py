"""A deterministic generator of realistic ~1.2 KB xAPI 1.0.3 Statements for the benchmarks."""

from __future__ import annotations

import argparse
import random
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Final

#: Distinct learners; learner i always has the same identity (account, or mbox for every 5th).
LEARNERS: Final = 50_000
#: Courses, each with MODULES_PER_COURSE modules: the object Activities (2,000 in all).
COURSES: Final = 100
MODULES_PER_COURSE: Final = 20
#: Programmes (the `grouping` context Activity); course c belongs to programme c % PROGRAMMES.
PROGRAMMES: Final = 12
#: Registrations (enrolments) shared by all learners; (learner, course) always maps to one.
REGISTRATIONS: Final = 20_000

_SITE: Final = "https://lms.example.com"
_LANG: Final = "en-US"

_ADL: Final = "http://adlnet.gov/expapi/verbs/"
_ADL_W3ID: Final = "https://w3id.org/xapi/adl/verbs/"
#: (verb IRI, display, relative weight, result kind): the ADL vocabulary cmi5 players send.
_VERBS: Final = (
    (_ADL + "experienced", "experienced", 20, "progress"),
    (_ADL + "progressed", "progressed", 14, "progress"),
    (_ADL + "answered", "answered", 18, "answer"),
    (_ADL + "attempted", "attempted", 6, "progress"),
    (_ADL + "launched", "launched", 5, "progress"),
    (_ADL + "initialized", "initialized", 5, "progress"),
    (_ADL + "terminated", "terminated", 5, "progress"),
    (_ADL + "completed", "completed", 9, "completed"),
    (_ADL + "passed", "passed", 7, "passed"),
    (_ADL + "failed", "failed", 3, "failed"),
    (_ADL_W3ID + "satisfied", "satisfied", 4, "passed"),
    (_ADL_W3ID + "abandoned", "abandoned", 2, "progress"),
    (_ADL_W3ID + "waived", "waived", 1, "completed"),
)
_VERB_CUM_WEIGHTS: Final = tuple(
    sum(verb[2] for verb in _VERBS[: i + 1]) for i in range(len(_VERBS))
)

_SUBJECTS: Final = (
    "Workplace Safety",
    "Data Protection",
    "Financial Reporting",
    "Customer Service",
    "Project Management",
    "Cloud Security",
    "Leadership Essentials",
    "Anti-Bribery Compliance",
    "Python Programming",
    "Negotiation Skills",
    "First Aid at Work",
    "Supply Chain Basics",
    "Accessible Design",
    "Sales Fundamentals",
    "Incident Response",
    "Effective Feedback",
    "SQL for Analysts",
    "Risk Management",
    "Diversity and Inclusion",
    "Time Management",
)
_LEVELS: Final = ("Foundations", "Practitioner", "Advanced", "Refresher", "Masterclass")
_TOPICS: Final = (
    "Introduction and objectives",
    "Key concepts and terminology",
    "Roles and responsibilities",
    "Policies and procedures",
    "Worked example",
    "Common mistakes",
    "Case study",
    "Tools and techniques",
    "Practice scenario",
    "Knowledge check",
    "Regulatory background",
    "Measuring outcomes",
    "Escalation paths",
    "Planning and preparation",
    "Hands-on exercise",
    "Review and reflection",
    "Reporting requirements",
    "Quality assurance",
    "Summary and next steps",
    "Final assessment",
)
_FIRST_NAMES: Final = (
    "Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Edsger",
    "Radia", "Tim", "Katherine", "John", "Hedy", "Donald", "Sophie", "Niklaus", "Shafi", "Guido",
    "Karen", "Bjarne", "Mary", "Vint", "Jean", "Leslie", "Anita", "Robin", "Evelyn", "Yukihiro",
)  # fmt: skip
_LAST_NAMES: Final = (
    "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson",
    "Allen", "Dijkstra", "Perlman", "Berners-Lee", "Johnson", "McCarthy", "Lamarr", "Knuth",
    "Wilson", "Wirth", "Goldwasser", "van Rossum", "Jones", "Stroustrup", "Keller", "Cerf",
    "Sammet", "Lamport", "Borg", "Milner", "Berezin", "Matsumoto", "Okafor", "Nakamura",
)  # fmt: skip
_EMAIL_DOMAINS: Final = ("example.com", "example.org", "staff.example.net")
_PLATFORMS: Final = ("Example LMS 5.2 (web)", "Example LMS 5.2 (iOS)", "Example LMS 5.1 (Android)")
_DESCRIPTION_TAILS: Final = (
    "Short readings, a narrated walkthrough and a quiz.",
    "A branching scenario with immediate feedback.",
    "A short video, a job aid and practice questions.",
    "Apply the ideas to a realistic work situation.",
)

_CMI5_CATEGORY: Final = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
_SESSION_EXTENSION: Final = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
_YEAR_MS: Final = 365 * 24 * 3600 * 1000

# The registration pool comes from a fixed seed: the same in every process and run.
_registration_rng = random.Random(0x1ED6E5)
_REGISTRATION_POOL: Final = tuple(
    str(uuid.UUID(int=_registration_rng.getrandbits(128), version=4)) for _ in range(REGISTRATIONS)
)
del _registration_rng


def _uuid4(rng: random.Random) -> str:
    """Return a lowercase hyphenated version-4 UUID drawn from `rng`."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _actor(learner: int) -> dict[str, Any]:
    first = _FIRST_NAMES[learner % len(_FIRST_NAMES)]
    last = _LAST_NAMES[(learner // len(_FIRST_NAMES)) % len(_LAST_NAMES)]
    actor: dict[str, Any] = {"objectType": "Agent", "name": f"{first} {last}"}
    if learner % 5 == 0:
        local = f"{first}.{last}".lower().replace(" ", "").replace("-", "")
        domain = _EMAIL_DOMAINS[learner % len(_EMAIL_DOMAINS)]
        actor["mbox"] = f"mailto:{local}.{learner}@{domain}"
    else:
        actor["account"] = {"homePage": _SITE, "name": f"emp-{learner:06d}"}
    return actor


def _course_title(course: int) -> str:
    subject = _SUBJECTS[course % len(_SUBJECTS)]
    return f"{subject} {_LEVELS[(course // len(_SUBJECTS)) % len(_LEVELS)]}"


def _module_object(course: int, module: int) -> dict[str, Any]:
    title = _course_title(course)
    topic = _TOPICS[module]
    tail = _DESCRIPTION_TAILS[(course + module) % len(_DESCRIPTION_TAILS)]
    return {
        "objectType": "Activity",
        "id": f"{_SITE}/course/c{course:03d}/module/m{module:02d}",
        "definition": {
            "name": {_LANG: f"{title}: Module {module + 1} - {topic}"},
            "description": {_LANG: tail},
            "type": "http://adlnet.gov/expapi/activities/module",
        },
    }


def _duration(seconds: int) -> str:
    """Return `seconds` as an ISO 8601 duration such as PT12M30S or PT1H5M."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = "".join(
        f"{value}{unit}" for value, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if value
    )
    return "PT" + (parts or "0S")


def _result(rng: random.Random, kind: str) -> dict[str, Any]:
    high = rng.choice((10, 20, 50, 100))
    if kind == "passed":
        raw = rng.randint((high * 7 + 9) // 10, high)
    elif kind == "failed":
        raw = rng.randint(0, (high * 7 + 9) // 10 - 1)
    else:
        raw = rng.randint(0, high)
    success = raw * 10 >= high * 7 if kind in ("progress", "answer") else kind != "failed"
    completion = kind != "progress" or rng.random() < 0.3
    return {
        "score": {"scaled": round(raw / high, 4), "raw": raw, "min": 0, "max": high},
        "success": success,
        "completion": completion,
        "duration": _duration(rng.randint(5, 5400)),
    }


def _timestamp(rng: random.Random, now: datetime) -> str:
    moment = now - timedelta(milliseconds=rng.randrange(1, _YEAR_MS))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _today() -> datetime:
    """Return the start of the current UTC day: the default reference time."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def make_statement(rng: random.Random, *, now: datetime | None = None) -> dict[str, Any]:
    """Return one valid xAPI 1.0.3 Statement (about 1.1-1.3 KB as JSON) drawn from `rng`.

    The id is a fresh version-4 UUID from `rng`; the timestamp falls within the year before
    `now` (default: the start of the current UTC day, so a seed gives the same Statements all
    day long; pass `now` for reproducibility across days).
    """
    reference = _today() if now is None else now.astimezone(UTC)
    statement_id = _uuid4(rng)
    learner = rng.randrange(LEARNERS)
    course = rng.randrange(COURSES)
    module = rng.randrange(MODULES_PER_COURSE)
    verb_id, display, _weight, kind = rng.choices(_VERBS, cum_weights=_VERB_CUM_WEIGHTS)[0]
    registration = _REGISTRATION_POOL[(learner * 7919 + course * 104729) % REGISTRATIONS]
    programme = course % PROGRAMMES
    return {
        "id": statement_id,
        "actor": _actor(learner),
        "verb": {"id": verb_id, "display": {_LANG: display}},
        "object": _module_object(course, module),
        "result": _result(rng, kind),
        "context": {
            "registration": registration,
            "contextActivities": {
                "parent": [
                    {
                        "id": f"{_SITE}/course/c{course:03d}",
                        "definition": {"type": "http://adlnet.gov/expapi/activities/course"},
                    }
                ],
                "grouping": [{"id": f"{_SITE}/programme/p{programme:02d}"}],
                "category": [{"id": _CMI5_CATEGORY}],
            },
            "platform": _PLATFORMS[learner % len(_PLATFORMS)],
            "language": _LANG,
            "extensions": {_SESSION_EXTENSION: _uuid4(rng)},
        },
        "timestamp": _timestamp(rng, reference),
    }


def make_statements(
    rng: random.Random, count: int, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Return `count` Statements from `make_statement`, all against one reference time."""
    reference = _today() if now is None else now
    return [make_statement(rng, now=reference) for _ in range(count)]


def main(argv: list[str] | None = None) -> int:
    """Print generated Statements, one JSON document a line (a sample for eyeballing)."""
    import json

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1, help="rng seed (default 1)")
    parser.add_argument("--count", type=int, default=3, help="Statements to print (default 3)")
    parser.add_argument("--indent", action="store_true", help="pretty-print")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    for statement in make_statements(rng, args.count):
        print(json.dumps(statement, indent=2 if args.indent else None, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
