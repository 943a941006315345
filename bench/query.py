"""Benchmark GET /xapi/statements queries of a running ledger: load a workload, then query it.

The load phase POSTs N generated Statements (1000-Statement batches over 2 keep-alive
connections) and remembers, as it goes, a sample of values that occur in them: learner
actors (with a verb each used), object and context-parent Activities, registrations,
instructors and Group members. The query phase sends R timed requests per query kind with
those values (limit=100) and reports latency percentiles and the mean page size; every
answer is also checked against the query (see --no-check).

The workload is deterministic in --seed and --statements (ids and timestamps aside): with
--skip-load the generator is replayed, without sending, to rebuild the same sample, so pass
the --seed and --statements of the run that loaded the database.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import http.client
import math
import os
import platform
import queue
import random
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from bench.args import http_parser, names_from, non_negative, positive
from bench.ingest import CONNECTIONS_OPENED, Connection, Tally, Target, percentile
from bench.statements import (
    _CMI5_CATEGORY,
    _FIRST_NAMES,
    _LANG,
    _LAST_NAMES,
    _PLATFORMS,
    _SESSION_EXTENSION,
    _SITE,
    _VERB_CUM_WEIGHTS,
    _VERBS,
    _YEAR_MS,
    COURSES,
    LEARNERS,
    MODULES_PER_COURSE,
    PROGRAMMES,
    _actor,
    _course_title,
    _module_object,
    _result,
)

USAGE_EPILOG: Final = """\
workload (deterministic in --seed and --statements):
  50,000 learners, 2,000 module Activities in 100 courses, 13 ADL verbs; one registration per
  10 Statements (100,000 at the default N), each an enrolment of one learner (or, for 5 %
  of them, a team: a Group actor, identified or anonymous, of 2-5 learners) in one course;
  context.instructor (one of the course's 2 tutors) on 10 %; contextActivities parent
  (the course), grouping (its programme) and category (cmi5) on 90 %, parent and category
  on 5 %, none on 5 %.

query kinds (R requests each, limit=100, one keep-alive connection, one at a time):
  unfiltered        GET /xapi/statements?limit=100
  agent             agent={"mbox": ...} or {"account": {...}} of a learner who was an actor
  agent+verb        ... and a verb that learner used
  activity          activity=<an object Activity id>
  activity+related  activity=<a contextActivities parent id>&related_activities=true
  agent+related     agent=<a learner actor, tutor or Group member>&related_agents=true
  registration      registration=<a registration>
  since/until       a window of 1 % of the stored range (learnt with limit=1, ascending)
  more x50          limit=100, then follow `more` 50 pages deep (--more-chains times);
                    the figures are over the followed pages

A request fails when it is not a 200 with a JSON object {"statements": [...], "more": "..."},
or (unless --no-check) when its Statements do not answer the query: a Statement that does
not match, `stored` not descending, an empty page where the sample guarantees a match, a
repeated Statement across `more` pages. The exit status is 1 if any request failed.
"""

#: Statements per POST and concurrent connections in the load phase.
LOAD_BATCH: Final = 1000
LOAD_CONCURRENCY: Final = 2
#: Failed load batches after which the load (and the run) is abandoned.
LOAD_MAX_FAILURES: Final = 10
#: Statements per registration: the pool holds N // this many registrations.
STATEMENTS_PER_REGISTRATION: Final = 10
GROUP_SHARE: Final = 0.05
IDENTIFIED_GROUP_SHARE: Final = 0.6
INSTRUCTOR_SHARE: Final = 0.10
INSTRUCTORS: Final = 250
INSTRUCTORS_PER_COURSE: Final = 2
#: Shares of Statements with parent+grouping+category, with parent+category; the rest: none.
FULL_CONTEXT_SHARE: Final = 0.90
PARENT_ONLY_SHARE: Final = 0.05
#: Sample sizes; the agent+related sample is learner actors, tutors and Group members.
SAMPLE: Final = 200
RELATED_TUTORS: Final = 30
RELATED_MEMBERS: Final = 30

PAGE_LIMIT: Final = 100
MORE_DEPTH: Final = 50
WINDOW_SHARE: Final = 0.01
KINDS: Final = (
    "unfiltered",
    "agent",
    "agent+verb",
    "activity",
    "activity+related",
    "agent+related",
    "registration",
    "since/until",
    "more x50",
)

_STALE_ERRORS: Final = (
    http.client.RemoteDisconnected,
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
)
_ERROR_SNIPPET: Final = 600
_MISMATCH_SNIPPET: Final = 300
_CUM_TOTAL: Final = _VERB_CUM_WEIGHTS[-1]
_PARENT_ONLY_BELOW: Final = FULL_CONTEXT_SHARE + PARENT_ONLY_SHARE
_COURSE_TYPE: Final = "http://adlnet.gov/expapi/activities/course"
_TEAM_WORDS: Final = ("Falcons", "Otters", "Lynx", "Herons", "Badgers", "Kestrels", "Foxes")

Ifi = dict[str, Any]


def fast_uuid4(rng: random.Random) -> str:
    """Return a lowercase hyphenated version-4 UUID drawn from `rng` (without uuid.UUID)."""
    n = rng.getrandbits(128)
    n = (n & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def ifi_of(agent: dict[str, Any]) -> Ifi:
    """Return the Inverse Functional Identifier of a generated Agent or identified Group."""
    if "mbox" in agent:
        return {"mbox": agent["mbox"]}
    return {"account": agent["account"]}


def format_utc(moment: datetime) -> str:
    """Format `moment` as `YYYY-MM-DDTHH:MM:SS.fffZ` (UTC, milliseconds)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class Enrolment:
    """One registration: who (a learner, or a team Group) is enrolled in which course."""

    registration: str
    actor: dict[str, Any]
    course: int
    platform: str
    members: tuple[dict[str, Any], ...]


@dataclass
class Samples:
    """Values that occur in the loaded Statements, to query with."""

    agents: list[tuple[Ifi, str]] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    registrations: list[str] = field(default_factory=list)
    tutors: list[Ifi] = field(default_factory=list)
    members: list[Ifi] = field(default_factory=list)
    verbs: list[str] = field(default_factory=lambda: [verb[0] for verb in _VERBS])

    def summary(self) -> dict[str, int]:
        """Return how many values (and distinct values) each sample holds."""
        return {
            "agents": len(self.agents),
            "objects": len(self.objects),
            "objects_distinct": len(set(self.objects)),
            "parents": len(self.parents),
            "parents_distinct": len(set(self.parents)),
            "registrations": len(self.registrations),
            "tutors": len(self.tutors),
            "members": len(self.members),
            "verbs": len(self.verbs),
        }


class Workload:
    """Generates the load's Statements in order and samples values from them as it goes.

    Separate random streams keep replay cheap: `plan` draws the registrations and each
    Statement's shape (registration, module, verb, context, tutor), `detail` the rest, and the
    ids come from a per-run salt, so that loading the same seed twice does not collide.
    `replay` draws only the shapes, and so samples the same values `batch` would.
    """

    def __init__(self, seed: int, statements: int, now: datetime | None = None) -> None:
        self.total = statements
        self.position = 0
        plan = random.Random(f"query:{seed}:plan")
        self._plan = plan
        self._detail = random.Random(f"query:{seed}:detail")
        self._ids = random.Random(os.urandom(16))
        self._pick = random.Random(f"query:{seed}:pick")
        reference = (now or datetime.now(UTC)).astimezone(UTC)
        self._now_ms = int(reference.timestamp() * 1000)
        self._objects = [
            _module_object(course, module)
            for course in range(COURSES)
            for module in range(MODULES_PER_COURSE)
        ]
        self._verbs = [{"id": verb[0], "display": {_LANG: verb[1]}} for verb in _VERBS]
        self._context_activities = [self._course_context(course) for course in range(COURSES)]
        tutors = [self._tutor(n) for n in range(INSTRUCTORS)]
        self._tutors = [
            tuple(tutors[n] for n in plan.sample(range(INSTRUCTORS), INSTRUCTORS_PER_COURSE))
            for _ in range(COURSES)
        ]
        learners: dict[int, dict[str, Any]] = {}

        def learner(index: int) -> dict[str, Any]:
            actor = learners.get(index)
            if actor is None:
                actor = learners[index] = _actor(index)
            return actor

        registrations = max(1, statements // STATEMENTS_PER_REGISTRATION)
        self.enrolments: list[Enrolment] = []
        for number in range(registrations):
            registration = fast_uuid4(plan)
            course = plan.randrange(COURSES)
            if plan.random() < GROUP_SHARE:
                members = tuple(
                    learner(n) for n in plan.sample(range(LEARNERS), plan.randint(2, 5))
                )
                actor: dict[str, Any] = {"objectType": "Group"}
                if plan.random() < IDENTIFIED_GROUP_SHARE:
                    word = _TEAM_WORDS[number % len(_TEAM_WORDS)]
                    actor["name"] = f"{_course_title(course)} {word} {number}"
                    actor["account"] = {"homePage": _SITE, "name": f"team-{number:06d}"}
                actor["member"] = list(members)
                which = number
            else:
                which = plan.randrange(LEARNERS)
                actor, members = learner(which), ()
            platform_name = _PLATFORMS[which % len(_PLATFORMS)]
            self.enrolments.append(Enrolment(registration, actor, course, platform_name, members))
        sampler = random.Random(f"query:{seed}:sample")
        population = range(statements)
        wanted = {
            "agent": SAMPLE,
            "object": SAMPLE,
            "parent": SAMPLE,
            "registration": SAMPLE,
            "tutor": RELATED_TUTORS,
            "member": RELATED_MEMBERS,
        }
        self._wanted: dict[int, list[str]] = {}
        for kind, count in wanted.items():
            for index in sampler.sample(population, min(count, statements)):
                self._wanted.setdefault(index, []).append(kind)
        self._pending = dict.fromkeys(wanted, 0)
        self._pending_total = 0
        self.samples = Samples()

    @staticmethod
    def _course_context(course: int) -> tuple[dict[str, Any], dict[str, Any]]:
        parent = [{"id": f"{_SITE}/course/c{course:03d}", "definition": {"type": _COURSE_TYPE}}]
        category = [{"id": _CMI5_CATEGORY}]
        grouping = [{"id": f"{_SITE}/programme/p{course % PROGRAMMES:02d}"}]
        return (
            {"parent": parent, "grouping": grouping, "category": category},
            {"parent": parent, "category": category},
        )

    @staticmethod
    def _tutor(number: int) -> dict[str, Any]:
        first = _FIRST_NAMES[(number * 7) % len(_FIRST_NAMES)]
        last = _LAST_NAMES[(number * 11) % len(_LAST_NAMES)]
        return {
            "objectType": "Agent",
            "name": f"{first} {last}",
            "mbox": f"mailto:tutor.{number:03d}@staff.example.net",
        }

    def _shape(self) -> tuple[Enrolment, int, int, int, dict[str, Any] | None]:
        """Draw the next Statement's enrolment, module, verb, context shape and tutor."""
        plan = self._plan
        enrolment = self.enrolments[plan.randrange(len(self.enrolments))]
        module = plan.randrange(MODULES_PER_COURSE)
        verb = bisect.bisect(_VERB_CUM_WEIGHTS, plan.random() * _CUM_TOTAL)
        draw = plan.random()
        shape = 0 if draw < FULL_CONTEXT_SHARE else 1 if draw < _PARENT_ONLY_BELOW else 2
        tutor = None
        if plan.random() < INSTRUCTOR_SHARE:
            tutor = self._tutors[enrolment.course][plan.randrange(INSTRUCTORS_PER_COURSE)]
        return enrolment, module, verb, shape, tutor

    def _observe(
        self,
        enrolment: Enrolment,
        module: int,
        verb: int,
        shape: int,
        tutor: dict[str, Any] | None,
    ) -> None:
        """Sample values from the Statement at `self.position` if it was picked.

        A kind whose pick cannot be served by this Statement (say, a Group actor for the
        `agent` sample) is served by the next Statement that can.
        """
        kinds = self._wanted.get(self.position)
        pending = self._pending
        if kinds:
            for kind in kinds:
                pending[kind] += 1
            self._pending_total += len(kinds)
        if not self._pending_total:
            return
        samples = self.samples
        served = 0
        if pending["agent"] and not enrolment.members:
            samples.agents.append((ifi_of(enrolment.actor), _VERBS[verb][0]))
            pending["agent"] -= 1
            served += 1
        if pending["object"]:
            samples.objects.append(
                self._objects[enrolment.course * MODULES_PER_COURSE + module]["id"]
            )
            pending["object"] -= 1
            served += 1
        if pending["parent"] and shape != 2:
            samples.parents.append(f"{_SITE}/course/c{enrolment.course:03d}")
            pending["parent"] -= 1
            served += 1
        if pending["registration"]:
            samples.registrations.append(enrolment.registration)
            pending["registration"] -= 1
            served += 1
        if pending["tutor"] and tutor is not None:
            samples.tutors.append(ifi_of(tutor))
            pending["tutor"] -= 1
            served += 1
        if pending["member"] and enrolment.members:
            samples.members.append(ifi_of(self._pick.choice(enrolment.members)))
            pending["member"] -= 1
            served += 1
        self._pending_total -= served

    def _timestamp(self) -> str:
        millis = self._now_ms - self._detail.randrange(1, _YEAR_MS)
        return format_utc(datetime.fromtimestamp(millis / 1000, UTC))

    def batch(self, count: int) -> list[dict[str, Any]]:
        """Return the next `count` Statements, sampling from them."""
        detail = self._detail
        statements = []
        for _ in range(count):
            enrolment, module, verb, shape, tutor = self._shape()
            self._observe(enrolment, module, verb, shape, tutor)
            self.position += 1
            context: dict[str, Any] = {"registration": enrolment.registration}
            if shape != 2:
                context["contextActivities"] = self._context_activities[enrolment.course][shape]
            if tutor is not None:
                context["instructor"] = tutor
            context["platform"] = enrolment.platform
            context["language"] = _LANG
            context["extensions"] = {_SESSION_EXTENSION: fast_uuid4(detail)}
            statements.append(
                {
                    "id": fast_uuid4(self._ids),
                    "actor": enrolment.actor,
                    "verb": self._verbs[verb],
                    "object": self._objects[enrolment.course * MODULES_PER_COURSE + module],
                    "result": _result(detail, _VERBS[verb][3]),
                    "context": context,
                    "timestamp": self._timestamp(),
                }
            )
        return statements

    def replay(self, count: int) -> None:
        """Advance by `count` Statements without building them, sampling as `batch` would."""
        for _ in range(count):
            self._observe(*self._shape())
            self.position += 1


# --- HTTP ---


def _roundtrip(
    conn: Connection, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, bytes]:
    conn.request(method, path, body, headers)
    response = conn.getresponse()
    return response.status, response.read()


def exchange(
    conn: Connection, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, bytes] | str:
    """Send one request; return (status, body), or a description of a transport error.

    A request that meets a connection the server closed while idle is retried once on a
    fresh one.
    """
    reused = conn.sock is not None
    try:
        try:
            return _roundtrip(conn, method, path, body, headers)
        except _STALE_ERRORS:
            if not reused:
                raise
            conn.close()
            return _roundtrip(conn, method, path, body, headers)
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        return f"transport error: {type(exc).__name__}: {exc}"


def _snippet(data: bytes) -> str:
    return data[:_ERROR_SNIPPET].decode("utf-8", "replace")


def get_headers(target: Target) -> dict[str, str]:
    """Return the headers of a GET: the POST headers without Content-Type."""
    return {name: value for name, value in target.headers.items() if name != "Content-Type"}


def more_path(target: Target, more: str) -> str:
    """Return the path to request for a `more` IRL: `{URL}{more}`, or an absolute URL's path."""
    if "://" in more:
        parts = urlsplit(more)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    prefix = target.path.removesuffix("/xapi/statements")
    return prefix + more


def statements_query(target: Target, params: dict[str, str]) -> str:
    """Return the path and query string of a GET /xapi/statements."""
    return f"{target.path}?{urlencode(params, quote_via=quote)}"


# --- load phase ---


@dataclass
class LoadProgress:
    """The load's running totals, shared by the sending threads."""

    total: int
    started: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    loaded: int = 0
    tally: Tally = field(default_factory=Tally)
    marks: list[dict[str, float]] = field(default_factory=list)
    step: int = 0
    next_mark: int = 0

    def __post_init__(self) -> None:
        self.step = self.next_mark = max(1, self.total // 20)

    def done(self, count: int, latency: float, error: str | None) -> None:
        """Record one batch; print a progress line each time another ~5 % is loaded."""
        with self.lock:
            self.tally.latencies.append(latency)
            if error is not None:
                self.tally.fail(error)
                return
            self.loaded += count
            if self.loaded < self.next_mark:
                return
            self.next_mark = (self.loaded // self.step + 1) * self.step
            elapsed = time.perf_counter() - self.started
            rate = self.loaded / elapsed if elapsed > 0 else 0.0
            self.marks.append(
                {"loaded": self.loaded, "elapsed_s": round(elapsed, 3), "rate": round(rate, 1)}
            )
            print(
                f"load: {self.loaded:>10,} / {self.total:,} statements "
                f"({self.loaded / self.total:4.0%})  {rate:8,.0f} statements/s so far  "
                f"{elapsed:7.1f} s",
                flush=True,
            )


Batch = tuple[int, bytes, list[str]]


def _put(items: queue.Queue[Batch | None], item: Batch | None, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            items.put(item, timeout=0.2)
            return True
        except queue.Full:
            continue
    return False


def _produce(
    workload: Workload,
    total: int,
    items: queue.Queue[Batch | None],
    stop: threading.Event,
    errors: list[BaseException],
) -> None:
    """Generate and serialise batches ahead of the senders, then one None per sender."""
    try:
        remaining = total
        while remaining > 0 and not stop.is_set():
            statements = workload.batch(min(LOAD_BATCH, remaining))
            remaining -= len(statements)
            body = orjson.dumps(statements)
            if not _put(items, (len(statements), body, [s["id"] for s in statements]), stop):
                return
    except BaseException as exc:  # reported by load(); the senders must not wait forever
        errors.append(exc)
        stop.set()
    finally:
        for _ in range(LOAD_CONCURRENCY):
            _put(items, None, stop)


def _send_batches(
    conn: Connection,
    target: Target,
    items: queue.Queue[Batch | None],
    progress: LoadProgress,
    stop: threading.Event,
) -> None:
    """POST batches from `items` over one connection until the producer says there are none."""
    clock = time.perf_counter
    while not stop.is_set():
        try:
            item = items.get(timeout=0.2)
        except queue.Empty:
            continue
        if item is None:
            return
        count, body, ids = item
        started = clock()
        answer = exchange(conn, "POST", target.path, body, target.headers)
        latency = clock() - started
        error = None
        if isinstance(answer, str):
            error = answer
        elif answer[0] != 200:
            error = f"HTTP {answer[0]}: {_snippet(answer[1])}"
        else:
            try:
                returned = orjson.loads(answer[1])
            except orjson.JSONDecodeError:
                returned = None
            if returned != ids:
                error = f"HTTP 200 but not the {count} ids sent: {_snippet(answer[1])}"
        progress.done(count, latency, error)
        if progress.tally.failed >= LOAD_MAX_FAILURES:
            stop.set()


def load(target: Target, workload: Workload) -> dict[str, Any]:
    """POST the workload's Statements; return the load's figures."""
    total = workload.total
    items: queue.Queue[Batch | None] = queue.Queue(maxsize=4 * LOAD_CONCURRENCY)
    stop = threading.Event()
    errors: list[BaseException] = []
    conns = [target.connection() for _ in range(LOAD_CONCURRENCY)]
    opened_before = CONNECTIONS_OPENED.value
    cpu_before = time.process_time()
    progress = LoadProgress(total=total, started=time.perf_counter())
    producer = threading.Thread(
        target=_produce, args=(workload, total, items, stop, errors), daemon=True
    )
    senders = [
        threading.Thread(
            target=_send_batches, args=(conn, target, items, progress, stop), daemon=True
        )
        for conn in conns
    ]
    producer.start()
    for sender in senders:
        sender.start()
    try:
        for sender in senders:
            while sender.is_alive():
                sender.join(0.5)
        producer.join()
    except BaseException:  # Ctrl-C: let the senders finish the batch in hand, then stop
        stop.set()
        raise
    finally:
        for conn in conns:
            conn.close()
    wall = time.perf_counter() - progress.started
    cpu = time.process_time() - cpu_before
    tally = progress.tally
    if errors:
        tally.fail(f"generator error: {type(errors[0]).__name__}: {errors[0]}")
    aborted = None
    if tally.failed >= LOAD_MAX_FAILURES:
        aborted = f"abandoned after {tally.failed} failed batches"
    elif errors:
        aborted = "the generator failed"
    latencies = sorted(tally.latencies)
    return {
        "statements": progress.loaded,
        "statements_requested": total,
        "batch_size": LOAD_BATCH,
        "concurrency": LOAD_CONCURRENCY,
        "batches": len(latencies),
        "wall_s": round(wall, 3),
        "statements_per_s": round(progress.loaded / wall, 1) if wall > 0 else 0.0,
        "batch_latency_ms": latency_figures(latencies),
        "failed": tally.failed,
        "first_error": tally.first_error,
        "aborted": aborted,
        "client_cpu_s": round(cpu, 3),
        "connections_opened": CONNECTIONS_OPENED.value - opened_before,
        "registrations": len(workload.enrolments),
        "progress": progress.marks,
    }


def latency_figures(sorted_seconds: Sequence[float]) -> dict[str, float | None]:
    """Return p50/p95/p99/mean/max in milliseconds of already sorted latencies in seconds."""

    def ms(seconds: float) -> float | None:
        return None if math.isnan(seconds) else round(seconds * 1000, 3)

    return {
        "p50": ms(percentile(sorted_seconds, 50)),
        "p95": ms(percentile(sorted_seconds, 95)),
        "p99": ms(percentile(sorted_seconds, 99)),
        "mean": ms(sum(sorted_seconds) / len(sorted_seconds)) if sorted_seconds else None,
        "max": ms(sorted_seconds[-1]) if sorted_seconds else None,
    }


# --- query phase ---

Statement = dict[str, Any]


@dataclass(frozen=True)
class Query:
    """One request of a kind: its path, what every Statement must satisfy, and whether a
    match is certain (an empty page is then a wrong answer)."""

    path: str
    describe: str
    matches: Callable[[Statement], bool] | None = None
    must_match: bool = True


def parse_stored(value: object) -> datetime | None:
    """Return a `stored` timestamp as an aware datetime, or None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def read_page(status: int, data: bytes) -> tuple[list[Statement], str] | str:
    """Return a 200 StatementResult's Statements and `more`, or what is wrong with it."""
    if status != 200:
        return f"HTTP {status}: {_snippet(data)}"
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return f"HTTP 200 but not JSON: {_snippet(data)}"
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("statements"), list)
        or not isinstance(document.get("more"), str)
        or not all(isinstance(item, dict) for item in document["statements"])
    ):
        return f'HTTP 200 but not {{"statements": [...], "more": "..."}}: {_snippet(data)}'
    return document["statements"], document["more"]


def check_page(statements: list[Statement], query: Query) -> str | None:
    """Return what is wrong with a page's Statements for `query`, or None."""
    if len(statements) > PAGE_LIMIT:
        return f"wrong result: {len(statements)} statements for limit={PAGE_LIMIT}"
    if not statements and query.must_match:
        return f"wrong result: no statements, but {query.describe} occurs in the loaded workload"
    previous: datetime | None = None
    for statement in statements:
        stored = parse_stored(statement.get("stored"))
        if stored is None:
            shown = statement.get("stored")
            return f"wrong result: statement {statement.get('id')} has stored {shown!r}"
        if previous is not None and stored > previous:
            return f"wrong result: stored ascends at statement {statement.get('id')}"
        previous = stored
        if query.matches is not None and not query.matches(statement):
            shown = orjson.dumps(statement)[:_MISMATCH_SNIPPET].decode("utf-8", "replace")
            return f"wrong result: a statement does not match {query.describe}: {shown}..."
    return None


def _same_ifi(agent: object, ifi: Ifi) -> bool:
    if not isinstance(agent, dict):
        return False
    if "mbox" in ifi:
        mbox = agent.get("mbox")
        return isinstance(mbox, str) and mbox.lower() == ifi["mbox"].lower()
    account = agent.get("account")
    return (
        isinstance(account, dict)
        and account.get("homePage") == ifi["account"]["homePage"]
        and account.get("name") == ifi["account"]["name"]
    )


def has_agent(agent: object, ifi: Ifi) -> bool:
    """Tell whether an Agent or Group is, or has as a member, the agent with `ifi`."""
    if not isinstance(agent, dict):
        return False
    members = agent.get("member")
    return _same_ifi(agent, ifi) or (
        isinstance(members, list) and any(_same_ifi(member, ifi) for member in members)
    )


def match_agent(ifi: Ifi, verb: str | None, statement: Statement) -> bool:
    """The `agent` (and `verb`) filter: the agent is (a member of) the actor or object."""
    if verb is not None and (statement.get("verb") or {}).get("id") != verb:
        return False
    return has_agent(statement.get("actor"), ifi) or has_agent(statement.get("object"), ifi)


def match_activity(activity: str, statement: Statement) -> bool:
    """The `activity` filter: the object is the Activity."""
    return (statement.get("object") or {}).get("id") == activity


def match_registration(registration: str, statement: Statement) -> bool:
    """The `registration` filter."""
    found = (statement.get("context") or {}).get("registration")
    return isinstance(found, str) and found.lower() == registration.lower()


def match_window(since: datetime, until: datetime, statement: Statement) -> bool:
    """The `since` (exclusive) and `until` (inclusive) filters on `stored`."""
    stored = parse_stored(statement.get("stored"))
    return stored is not None and since < stored <= until


def mentions(needle: bytes, statement: Statement) -> bool:
    """The related_* filters, loosely: `needle` (a JSON string) occurs in the Statement."""
    return needle in orjson.dumps(statement)


def _agent_query(ifi: Ifi) -> str:
    return orjson.dumps(ifi).decode()


def _ifi_literal(ifi: Ifi) -> bytes:
    value = ifi["mbox"] if "mbox" in ifi else ifi["account"]["name"]
    return orjson.dumps(value)


def _to_millis(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _cycle(values: Sequence[Any], count: int, rng: random.Random) -> list[Any]:
    """Return `count` values, going round a shuffled copy of `values`."""
    shuffled = list(values)
    rng.shuffle(shuffled)
    return [shuffled[i % len(shuffled)] for i in range(count)] if shuffled else []


def related_agents_sample(samples: Samples) -> list[Ifi]:
    """Return the agent+related sample: learner actors, then tutors and Group members."""
    room = max(0, SAMPLE - len(samples.tutors) - len(samples.members))
    return [ifi for ifi, _verb in samples.agents[:room]] + samples.tutors + samples.members


def build_queries(
    kind: str,
    target: Target,
    samples: Samples,
    count: int,
    rng: random.Random,
    stored_range: tuple[datetime, datetime] | None,
) -> list[Query]:
    """Return `count` requests of a kind (except `more x50`), drawn from the samples."""

    def path(**params: str) -> str:
        return statements_query(target, {**params, "limit": str(PAGE_LIMIT)})

    if kind == "unfiltered":
        return [Query(path(), "any statement") for _ in range(count)]
    if kind == "agent":
        return [
            Query(
                path(agent=_agent_query(ifi)),
                f"agent {_agent_query(ifi)}",
                partial(match_agent, ifi, None),
            )
            for ifi, _verb in _cycle(samples.agents, count, rng)
        ]
    if kind == "agent+verb":
        return [
            Query(
                path(agent=_agent_query(ifi), verb=verb),
                f"agent {_agent_query(ifi)} with verb {verb}",
                partial(match_agent, ifi, verb),
            )
            for ifi, verb in _cycle(samples.agents, count, rng)
        ]
    if kind == "activity":
        return [
            Query(
                path(activity=activity), f"activity {activity}", partial(match_activity, activity)
            )
            for activity in _cycle(samples.objects, count, rng)
        ]
    if kind == "activity+related":
        return [
            Query(
                path(activity=activity, related_activities="true"),
                f"related activity {activity}",
                partial(mentions, orjson.dumps(activity)),
            )
            for activity in _cycle(samples.parents, count, rng)
        ]
    if kind == "agent+related":
        return [
            Query(
                path(agent=_agent_query(ifi), related_agents="true"),
                f"related agent {_agent_query(ifi)}",
                partial(mentions, _ifi_literal(ifi)),
            )
            for ifi in _cycle(related_agents_sample(samples), count, rng)
        ]
    if kind == "registration":
        return [
            Query(
                path(registration=registration),
                f"registration {registration}",
                partial(match_registration, registration),
            )
            for registration in _cycle(samples.registrations, count, rng)
        ]
    if kind == "since/until":
        if stored_range is None:
            return []
        first, last = stored_range
        span = last - first
        window = span * WINDOW_SHARE
        queries = []
        for _ in range(count):
            since = _to_millis(first - timedelta(milliseconds=1) + (span - window) * rng.random())
            until = _to_millis(since + window)
            queries.append(
                Query(
                    path(since=format_utc(since), until=format_utc(until)),
                    f"since {format_utc(since)} until {format_utc(until)}",
                    partial(match_window, since, until),
                    must_match=False,
                )
            )
        return queries
    raise ValueError(f"unknown query kind {kind!r}")


@dataclass
class KindResult:
    """What the requests of one kind saw."""

    tally: Tally = field(default_factory=Tally)
    returned: list[int] = field(default_factory=list)
    warmup: Tally = field(default_factory=Tally)


def _ask(
    conn: Connection, headers: dict[str, str], query: Query, check: bool
) -> tuple[float, list[Statement] | None, str, str | None]:
    """GET one query; return its latency, Statements (None on failure), `more` and error."""
    started = time.perf_counter()
    answer = exchange(conn, "GET", query.path, None, headers)
    latency = time.perf_counter() - started
    if isinstance(answer, str):
        return latency, None, "", answer
    page = read_page(*answer)
    if isinstance(page, str):
        return latency, None, "", page
    statements, more = page
    error = check_page(statements, query) if check else None
    return latency, statements, more, error


def run_kind(
    conn: Connection,
    headers: dict[str, str],
    queries: Sequence[Query],
    warmup: int,
    check: bool,
) -> KindResult:
    """Send `warmup` untimed requests (the first queries again), then every query once."""
    result = KindResult()
    for query in queries[:warmup]:
        _latency, _statements, _more, error = _ask(conn, headers, query, check)
        result.warmup.latencies.append(_latency)
        if error is not None:
            result.warmup.fail(error)
    gc.collect()
    for query in queries:
        latency, statements, _more, error = _ask(conn, headers, query, check)
        result.tally.latencies.append(latency)
        if statements is not None:
            result.returned.append(len(statements))
        if error is not None:
            result.tally.fail(error)
    return result


@dataclass
class MoreResult(KindResult):
    """What the `more` chains saw: figures for followed pages, by depth too."""

    first_pages: list[float] = field(default_factory=list)
    by_depth: list[list[float]] = field(default_factory=list)
    ended_early: int = 0


def run_more(
    conn: Connection,
    target: Target,
    headers: dict[str, str],
    chains: int,
    depth: int,
    warmup: int,
    check: bool,
) -> MoreResult:
    """Follow `more` from an unfiltered first page `depth` pages deep, `chains` times.

    An untimed warm-up chain `warmup` pages deep comes first. A chain stops at its first
    failure or at an empty `more` (counted in `ended_early`).
    """
    result = MoreResult(by_depth=[[] for _ in range(depth)])
    first = Query(statements_query(target, {"limit": str(PAGE_LIMIT)}), "any statement")
    if warmup:
        _follow(conn, target, headers, first, min(warmup, depth), check, result, warming=True)
    gc.collect()
    for _ in range(chains):
        _follow(conn, target, headers, first, depth, check, result, warming=False)
    return result


def _follow(
    conn: Connection,
    target: Target,
    headers: dict[str, str],
    first: Query,
    depth: int,
    check: bool,
    result: MoreResult,
    *,
    warming: bool,
) -> None:
    """Follow one chain of `more` links; only the tally is touched when `warming`."""
    tally = result.warmup if warming else result.tally
    latency, statements, more, error = _ask(conn, headers, first, check)
    if warming:
        tally.latencies.append(latency)
    else:
        result.first_pages.append(latency)
    if error is not None or statements is None:
        tally.fail(f"first page: {error}")
        return
    seen = {str(s.get("id")) for s in statements}
    last = parse_stored(statements[-1].get("stored")) if statements else None
    for level in range(depth):
        if not more:
            result.ended_early += 0 if warming else 1
            return
        # An empty page is no error here: a `more` link may lead past the last Statement.
        query = Query(more_path(target, more), f"page {level + 1} of more", must_match=False)
        latency, statements, more, error = _ask(conn, headers, query, check)
        tally.latencies.append(latency)
        if not warming:
            result.by_depth[level].append(latency)
            if statements is not None:
                result.returned.append(len(statements))
        if error is None and statements is not None and check:
            error = _continues(statements, seen, last)
        if error is not None or statements is None:
            tally.fail(f"page {level + 1}: {error}")
            return
        seen.update(str(s.get("id")) for s in statements)
        last = parse_stored(statements[-1].get("stored")) if statements else last


def _continues(statements: list[Statement], seen: set[str], last: datetime | None) -> str | None:
    """Return what is wrong with a `more` page given the pages before it, or None."""
    for statement in statements:
        if str(statement.get("id")) in seen:
            return f"wrong result: statement {statement.get('id')} repeats an earlier page"
    stored = parse_stored(statements[0].get("stored")) if statements else None
    if last is not None and stored is not None and stored > last:
        return "wrong result: the page's first stored is later than the previous page's last"
    return None


def stored_range(
    conn: Connection, target: Target, headers: dict[str, str]
) -> tuple[datetime, datetime] | str:
    """Return the earliest and latest `stored`, from limit=1 pages, or what went wrong."""
    ends = []
    for params in ({"limit": "1", "ascending": "true"}, {"limit": "1"}):
        answer = exchange(conn, "GET", statements_query(target, params), None, headers)
        if isinstance(answer, str):
            return answer
        page = read_page(*answer)
        if isinstance(page, str):
            return page
        statements, _more = page
        if not statements:
            return f"no statements for {urlencode(params)}"
        stored = parse_stored(statements[0].get("stored"))
        if stored is None:
            return f"statement without a valid stored: {statements[0].get('stored')!r}"
        ends.append(stored)
    return ends[0], ends[1]


# --- report ---


def kind_figures(kind: str, result: KindResult, note: str | None = None) -> dict[str, Any]:
    """Return a kind's figures as a JSON-ready dict (latencies in ms)."""
    latencies = sorted(result.tally.latencies)
    returned = result.returned
    figures: dict[str, Any] = {
        "kind": kind,
        "requests": len(latencies),
        "latency_ms": latency_figures(latencies),
        "mean_statements": round(sum(returned) / len(returned), 1) if returned else 0.0,
        "empty_pages": sum(1 for count in returned if count == 0),
        "failed": result.tally.failed,
        "first_error": result.tally.first_error,
        "note": note,
        "warmup": {
            "requests": len(result.warmup.latencies),
            "failed": result.warmup.failed,
            "first_error": result.warmup.first_error,
        },
    }
    if isinstance(result, MoreResult):
        figures["chains"] = len(result.first_pages)
        figures["depth"] = len(result.by_depth)
        figures["ended_early"] = result.ended_early
        figures["first_page_latency_ms"] = latency_figures(sorted(result.first_pages))
        figures["last_page_latency_ms"] = latency_figures(sorted(result.by_depth[-1]))
        figures["p50_ms_by_depth"] = [
            latency_figures(sorted(level))["p50"] for level in result.by_depth
        ]
    return figures


_HEADER: Final = (
    f"{'kind':<17} {'requests':>8} {'p50_ms':>8} {'p95_ms':>8} {'p99_ms':>8} "
    f"{'stmts/page':>10} {'failed':>6}"
)


def _ms(value: float | None) -> str:
    return f"{value:>8.2f}" if value is not None else f"{'-':>8}"


def format_line(figures: dict[str, Any]) -> str:
    """Return the one-line summary of a kind's figures."""
    lat = figures["latency_ms"]
    return (
        f"{figures['kind']:<17} {figures['requests']:>8} {_ms(lat['p50'])} {_ms(lat['p95'])} "
        f"{_ms(lat['p99'])} {figures['mean_statements']:>10.1f} {figures['failed']:>6}"
    )


def _print_details(figures: dict[str, Any]) -> None:
    if figures["first_error"]:
        print(f"  first error: {figures['first_error']}", flush=True)
    if figures["note"] and figures["note"] != figures["first_error"]:
        print(f"  note: {figures['note']}", flush=True)
    warm = figures["warmup"]
    if warm["failed"]:
        print(f"  warm-up: {warm['failed']} failed; first: {warm['first_error']}", flush=True)
    if figures.get("connections_opened"):
        print(
            f"  note: {figures['connections_opened']} connections (re)opened: the server "
            "closed kept-alive connections, so some latencies include a TCP handshake",
            flush=True,
        )
    if "last_page_latency_ms" in figures:
        first, last = figures["first_page_latency_ms"], figures["last_page_latency_ms"]
        print(
            f"  {figures['chains']} chains: first page p50 {_ms(first['p50']).strip()} ms; "
            f"page {figures['depth']} p50 {_ms(last['p50']).strip()} ms, "
            f"p95 {_ms(last['p95']).strip()} ms"
            + (f"; {figures['ended_early']} chains ended early" if figures["ended_early"] else ""),
            flush=True,
        )


def query_phase(
    target: Target,
    samples: Samples,
    kinds: Sequence[str],
    repeat: int,
    chains: int,
    warmup: int,
    check: bool,
    seed: int,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run every kind in turn over one keep-alive connection; return the range and figures."""
    headers = get_headers(target)
    conn = target.connection()
    results = []
    try:
        found = stored_range(conn, target, headers)
        if isinstance(found, str):
            range_info: dict[str, Any] = {"error": found}
            print(f"query: cannot learn the stored range: {found}", flush=True)
            if found.startswith("transport error"):
                return range_info, []
        else:
            range_info = {"first": format_utc(found[0]), "last": format_utc(found[1])}
            print(f"query: stored from {range_info['first']} to {range_info['last']}", flush=True)
        print(_HEADER, flush=True)
        for kind in kinds:
            rng = random.Random(f"query:{seed}:{kind}")
            note = None
            result: KindResult
            opened_before = CONNECTIONS_OPENED.value
            if kind == "more x50":
                result = run_more(conn, target, headers, chains, MORE_DEPTH, warmup, check)
            else:
                queries = build_queries(
                    kind, target, samples, repeat, rng, None if isinstance(found, str) else found
                )
                if not queries:
                    note = "no requests: no sampled values (or no stored range) for this kind"
                result = run_kind(conn, headers, queries, min(warmup, len(queries)), check)
                if note is not None:
                    result.tally.fail(note)
            figures = kind_figures(kind, result, note)
            figures["connections_opened"] = CONNECTIONS_OPENED.value - opened_before
            results.append(figures)
            print(format_line(figures), flush=True)
            _print_details(figures)
    finally:
        conn.close()
    return range_info, results


# --- command line ---


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = http_parser("bench/query.py", __doc__, USAGE_EPILOG)
    parser.add_argument(
        "--statements",
        type=positive,
        default=1_000_000,
        metavar="N",
        help="Statements in the workload (default 1,000,000)",
    )
    phase = parser.add_mutually_exclusive_group()
    phase.add_argument(
        "--skip-load",
        action="store_true",
        help="do not POST: the database already holds this --seed/--statements workload",
    )
    phase.add_argument("--load-only", action="store_true", help="load, then stop (no queries)")
    parser.add_argument(
        "--seed", type=int, default=1, help="workload seed (default 1; --skip-load needs the same)"
    )
    parser.add_argument(
        "--repeat",
        type=positive,
        metavar="R",
        help="timed requests per query kind (default 200, --quick 20)",
    )
    parser.add_argument(
        "--more-chains",
        type=positive,
        metavar="C",
        help=f"`more` chains of {MORE_DEPTH} pages (default R // 10)",
    )
    parser.add_argument("--quick", action="store_true", help="R=20 (smoke run)")
    parser.add_argument(
        "--kinds",
        type=names_from(list(KINDS), "kind"),
        default=list(KINDS),
        help="comma-separated query kinds to run (default: all)",
    )
    parser.add_argument(
        "--warmup",
        type=non_negative,
        default=5,
        metavar="N",
        help="untimed requests (pages, for more) before each kind (default 5)",
    )
    parser.add_argument(
        "--no-check", action="store_true", help="do not check that answers match the queries"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Load (unless --skip-load), then run the query kinds; return 1 if any request failed."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        target = Target.from_args(args.url, args.key, args.secret, args.timeout)
    except ValueError as exc:
        parser.error(str(exc))
    repeat = args.repeat or (20 if args.quick else 200)
    chains = args.more_chains or max(1, repeat // 10)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    print(
        f"query: {target.url} seed={args.seed} statements={args.statements:,} "
        f"repeat={repeat}{' quick' if args.quick else ''}",
        flush=True,
    )
    workload = Workload(args.seed, args.statements)
    load_figures = None
    failed = False
    if args.skip_load:
        began = time.perf_counter()
        workload.replay(args.statements)
        print(
            f"load: skipped; replayed the generator in {time.perf_counter() - began:.1f} s "
            "to rebuild the sample",
            flush=True,
        )
    else:
        print(
            f"load: {args.statements:,} statements, {len(workload.enrolments):,} registrations, "
            f"{LOAD_BATCH}-statement batches over {LOAD_CONCURRENCY} connections",
            flush=True,
        )
        load_figures = load(target, workload)
        lat = load_figures["batch_latency_ms"]
        print(
            f"load: {load_figures['statements']:,} statements in {load_figures['wall_s']:.1f} s: "
            f"{load_figures['statements_per_s']:,.0f} statements/s sustained; batch p50 "
            f"{_ms(lat['p50']).strip()} ms, p95 {_ms(lat['p95']).strip()} ms; "
            f"{load_figures['failed']} failed; client CPU {load_figures['client_cpu_s']:.1f} s",
            flush=True,
        )
        if load_figures["first_error"]:
            print(f"  first error: {load_figures['first_error']}", flush=True)
        if load_figures["aborted"]:
            print(f"load: {load_figures['aborted']}", flush=True)
        failed = bool(load_figures["failed"])
    summary = workload.samples.summary()
    print(
        "sample: "
        + ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in summary.items()),
        flush=True,
    )
    range_info: dict[str, Any] | None = None
    kinds: list[dict[str, Any]] = []
    if load_figures is not None and (load_figures["aborted"] or not load_figures["statements"]):
        print("query: no queries: the load did not complete", flush=True)
    elif not args.load_only:
        range_info, kinds = query_phase(
            target,
            workload.samples,
            args.kinds,
            repeat,
            chains,
            args.warmup,
            not args.no_check,
            args.seed,
        )
        failed = failed or not kinds or any(k["failed"] or k["warmup"]["failed"] for k in kinds)
        empty = any("wrong result: no statements" in (k["first_error"] or "") for k in kinds)
        if args.skip_load and empty:
            print(
                f"query: sampled values were not found: was the database loaded with "
                f"--seed {args.seed} --statements {args.statements}?",
                flush=True,
            )
    if args.json is not None:
        report = {
            "benchmark": "query",
            "url": target.url,
            "seed": args.seed,
            "statements": args.statements,
            "quick": args.quick,
            "repeat": repeat,
            "more_chains": chains,
            "page_limit": PAGE_LIMIT,
            "checked": not args.no_check,
            "started": started,
            "python": platform.python_version(),
            "load": load_figures,
            "sample": summary,
            "stored_range": range_info,
            "kinds": kinds,
        }
        args.json.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("query: interrupted", file=sys.stderr)
        sys.exit(130)
