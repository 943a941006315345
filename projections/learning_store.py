"""The learning projections kept up from the log: facts (stage one), report views (stage two).

Stage one, `learning_facts`, reads `Statement.Recorded` and catalogue events in batches. Each
batch is parsed without any lock (statements → facts under the catalogue as of each event,
catalogue events → revisions), then applied holding its tracking row in one transaction:
catalogue rows, facts, voids (a voiding statement's target gets `voided_stored`; a target
recorded after its void is stored voided), and the new position — exactly once, however many
catch-ups run (`projections.tracking`).

Stage two: each view of `VIEWS` has its own tracking row and version. It follows stage one:
the records (a learner in a course) touched by facts or voids with positions in (its
position, the facts' position], and the courses of a learning path waiting on them, are
evaluated again from their live facts (`projections.learning.evaluate`) and their rows
replaced, one transaction per batch of records, under the views' tracking rows; views at the
same position are done together (each record evaluated once; on PostgreSQL each view then
writes its rows in a transaction of its own, holding only its tracking row, two side by
side). A view's rows are a function of the facts, so doing a batch twice changes nothing;
`scores_attempts` rows (one fact each) are only added for new facts and deleted for voided
ones. A runner's catch-up (`follow=True`) overlaps the stages: stage one goes on in a thread
of its own while the views follow its position.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from psycopg.rows import tuple_row

from ledger.application import Ledger
from ledger.catalogue import CATALOGUE_TOPICS
from ledger.recorders import LedgerPostgresRecorder, LedgerSQLiteRecorder
from ledger.statements import RECORDED_TOPIC
from projections import learning_tables as tables
from projections.learning import evaluate
from projections.learning_catalogue import CatalogueIndex
from projections.learning_facts import (
    CATALOGUE_COLUMNS,
    CATALOGUE_TYPES,
    FACT_COLUMNS,
    FACT_TYPES,
    VOID_COLUMNS,
    VOID_TYPES,
    Parsed,
    fact_of_row,
    parse,
)
from projections.learning_model import Fact
from projections.learning_views import VIEW_ROWS, attempt_rows, view_columns
from projections.tracking import CHUNK, Positions, Tracking, TrackingBusyError

_T = TypeVar("_T")
#: A learner's record in a course: (tenant, learner, course).
Key = tuple[str, str, str]
FACTS = tables.FACTS
VIEWS: tuple[str, ...] = tuple(tables.VIEWS)
#: Every learning projection, in the order they are caught up.
PROJECTIONS: tuple[str, ...] = (FACTS, *VIEWS)
#: The code's version of each projection: bump one to rebuild it on the next start.
VERSIONS: dict[str, int] = {FACTS: 1, **{name: 1 for name in VIEWS}}

#: Log positions per batch for catch-ups that answer a request; rebuilds use `REBUILD_BATCH`.
BATCH = 1000
REBUILD_BATCH = 10_000
#: Seconds between looks at the log's head (stage one) or stage one's position (the views)
#: while the stages overlap.
FOLLOW_POLL = 0.01
#: Seconds `wait_for` leaves a runner to reach the position before catching up itself.
RUNNER_GRACE = 0.25
#: Learners evaluated at a time while the previous ones' rows are copied in (PostgreSQL).
EVALUATE_SLICE = 250
#: Views written side by side, each in a transaction of its own (PostgreSQL).
VIEW_WRITERS = 2
#: Records (a learner in a course) evaluated per transaction of the views (SQLite: the
#: transaction holds the database's write lock, so fewer).
RECORD_BATCH = {True: 5000, False: 1000}

#: The events the facts are drawn from: statements and catalogue revisions.
TOPICS = [RECORDED_TOPIC, *CATALOGUE_TOPICS]

Progress = Callable[[int, int, int], None]  # (position, head, items done)
ProgressOf = Callable[[str], Progress | None]  # a projection's name → its progress report


@dataclass(frozen=True)
class CatchUp:
    """What a catch-up did: the lowest position of the learning projections, the log head
    aimed for, the events stage one applied, and whether every projection reached the head."""

    position: int
    head: int
    events: int
    complete: bool


class LearningProjections:
    """The learning projections of a Ledger's store, kept up from its log.

    Args:
        ledger: the ledger (its own recorders: the tables live in its database).
        versions: the code's version of each projection (tests pass others; default
            `VERSIONS`).
    """

    def __init__(self, ledger: Ledger, versions: Mapping[str, int] | None = None) -> None:
        recorder: Any = ledger.recorder
        if not isinstance(recorder, LedgerSQLiteRecorder | LedgerPostgresRecorder):
            raise TypeError("the learning projections need the ledger's own recorders")
        self.ledger = ledger
        self.recorder: LedgerSQLiteRecorder | LedgerPostgresRecorder = recorder
        self.tracking = Tracking(recorder, tables.TRACKING)
        self.versions = dict(VERSIONS if versions is None else versions)
        self.sql = self.tracking.sql
        self.postgres = self.tracking.postgres

    # -- where things stand -------------------------------------------------------------------

    def state(self) -> dict[str, tuple[int | None, int | None]]:
        """Return each projection's (position, built version); (None, None) before its first
        run."""
        found = self.tracking.states(PROJECTIONS)
        return {name: found.get(name, (None, None)) for name in PROJECTIONS}

    def head(self) -> int:
        """Return the log's newest position (0 for an empty log)."""
        return int(self.recorder.max_notification_id() or 0)

    def position(self) -> int:
        """Return the position every learning projection has reached (the lowest)."""
        return min(position or 0 for position, _ in self.state().values())

    # -- catching up ----------------------------------------------------------------------------

    def catch_up(
        self,
        budget: float | None = None,
        *,
        batch_size: int = BATCH,
        progress: ProgressOf | None = None,
        follow: bool = False,
    ) -> CatchUp:
        """Bring stage one, then every view, up to the log's head as it is when called.

        Args:
            budget: seconds to spend at most, waits for tracking rows included (None: until
                the head is reached). At least one batch is tried.
            batch_size: log positions per stage-one batch.
            progress: gives each projection's progress report (or None), by name.
            follow: on PostgreSQL, run stage one in a thread of its own, going on to the
                log's newer heads while the views work (a runner under sustained writes:
                the two stages overlap).
        """
        deadline = None if budget is None else time.monotonic() + budget
        head = self.head()
        report = progress(FACTS) if progress else None
        if follow and self.postgres:
            position, events, views_done = self._catch_up_overlapped(
                head, deadline, batch_size, report, progress
            )
        else:
            position, events = self._catch_up_facts(head, deadline, batch_size, report)
            views_done = self._catch_up_views(position, deadline, progress)
        lowest = min(position, *views_done.values()) if views_done else position
        return CatchUp(lowest, head, events, lowest >= head)

    def _catch_up_overlapped(
        self,
        head: int,
        deadline: float | None,
        batch_size: int,
        report: Progress | None,
        progress: ProgressOf | None,
    ) -> tuple[int, int, dict[str, int]]:
        """Catch up with stage one in a thread of its own, the views following its position.

        Stage one goes on past `head` (to the log's new heads) while the views work, so that
        the next catch-up finds its batches applied; it stops once the views have reached
        `head`. Returns stage one's position, the events it applied, the views' positions.
        """
        views_done = False
        wake = threading.Event()

        def stage_one() -> tuple[int, int]:
            position, events = self._catch_up_facts(head, deadline, batch_size, report)
            wake.set()
            while not views_done and (deadline is None or time.monotonic() < deadline):
                newest = self.head()
                if newest <= position:
                    time.sleep(FOLLOW_POLL)
                    continue
                before = position
                position, more = self._catch_up_facts(newest, deadline, batch_size, report)
                events += more
                wake.set()
                if position == before:  # another catch-up holds stage one
                    break
            return position, events

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="learning-stage-one") as pool:
            facts = pool.submit(stage_one)
            try:
                while True:
                    reached = self.tracking.states([FACTS]).get(FACTS, (0, 0))[0]
                    positions = self._catch_up_views(min(reached, head), deadline, progress)
                    lowest = min(positions.values())
                    if lowest >= head or facts.done():
                        break
                    if deadline is not None and time.monotonic() >= deadline:
                        break
                    if lowest >= reached:  # wait for stage one's next batch
                        wake.wait(FOLLOW_POLL)
                        wake.clear()
            finally:
                views_done = True
            position, events = facts.result()
        if min(positions.values()) < min(position, head) and (
            deadline is None or time.monotonic() < deadline
        ):
            positions = self._catch_up_views(min(position, head), deadline, progress)
        return position, events, positions

    def _left(self, deadline: float | None) -> float | None:
        return None if deadline is None else max(deadline - time.monotonic(), 0.01)

    def _catch_up_facts(
        self, head: int, deadline: float | None, batch_size: int, progress: Progress | None
    ) -> tuple[int, int]:
        """Apply the log up to `head` to stage one; return (its position, events applied).

        A pipeline on PostgreSQL: while one batch is applied (in a transaction of its own,
        holding the tracking row) the next is read and parsed, and the one after that read.
        A batch is parsed against the catalogue as the batches before it leave it; if an
        apply finds the position moved (another catch-up applied those events), everything
        parsed after it is dropped and the pipeline starts again from where that one got.
        On SQLite (no second connection to overlap with) the steps run one after another.
        """
        position = self.tracking.states([FACTS]).get(FACTS, (0, 0))[0]
        done = 0
        catalogue: CatalogueIndex | None = None
        parse_from = position  # the batches before it are applied or being applied
        reading: tuple[int, Future[list[Any]]] | None = None
        applying: tuple[Parsed, Future[int | None]] | None = None
        tried = False
        with _executor(self.postgres) as pool:
            while True:
                parsed = None
                in_time = deadline is None or not tried or time.monotonic() < deadline
                if parse_from < head and in_time:
                    tried = True
                    stop = min(parse_from + batch_size, head)
                    if reading is None or reading[0] != parse_from:
                        reading = (parse_from, pool.submit(self._read, parse_from, stop))
                    notifications = reading[1].result()
                    if len(notifications) == stop - parse_from:
                        stop = notifications[-1].id
                    reading = None
                    if stop < head:  # read the next batch while this one is parsed
                        following = min(stop + batch_size, head)
                        reading = (stop, pool.submit(self._read, stop, following))
                    if catalogue is None:
                        catalogue = self._catalogue(parse_from)
                    parsed = parse(self.ledger.mapper, notifications, parse_from, stop, catalogue)
                if applying is not None:
                    before, outcome = applying
                    applying = None
                    try:
                        now = outcome.result()
                    except TrackingBusyError:
                        break
                    if now is None:
                        position = before.stop
                        done += before.events
                    else:  # another catch-up moved the position: start again from there
                        position = parse_from = now
                        catalogue = None
                        reading = None
                        parsed = None
                    if progress is not None:
                        progress(position, head, done)
                    if now is not None:
                        continue
                if parsed is None:
                    break
                work = _ApplyFacts(self, parsed)
                wait = self._left(deadline)
                versions = {FACTS: self.versions[FACTS]}
                applying = (parsed, pool.submit(self.tracking.locked, wait, versions, work))
                parse_from = parsed.stop
        return position, done

    def _read(self, position: int, stop: int) -> list[Any]:
        """Return the events of stage one's topics in (position, stop], in log order."""
        return list(
            self.recorder.select_notifications(
                position, stop - position, stop=stop, topics=TOPICS, inclusive_of_start=False
            )
        )

    def _catalogue(self, position: int) -> CatalogueIndex:
        """Return the catalogue as of log position `position`, from the stored revisions."""
        rows = self.tracking.read(
            "SELECT tenant, kind, id, revision, document, retired FROM {s}learning_catalogue "
            "WHERE position <= %s ORDER BY position",
            [position],
        )
        return CatalogueIndex.of_rows(rows)

    def _write(
        self,
        curs: Any,
        table: str,
        columns: str,
        types: Sequence[str],
        rows: list[Any],
        *,
        new: bool = False,
    ) -> None:
        """Insert rows in bulk, keeping a row already there (PostgreSQL: INSERT … unnest;
        SQLite: executemany).

        Args:
            new: the rows are known not to be there (under the tracking lock): on PostgreSQL
                they are copied in (binary COPY), several times faster.
        """
        if not rows:
            return
        if self.postgres and new:
            with curs.copy(
                self.sql(f"COPY {{s}}{table} ({columns}) FROM STDIN (FORMAT BINARY)")
            ) as copy:
                copy.set_types(list(types))
                for row in rows:
                    copy.write_row(row)
            return
        if self.postgres:
            arrays = ", ".join(f"%b::{kind}[]" for kind in types)
            curs.execute(
                self.sql(
                    f"INSERT INTO {{s}}{table} ({columns}) SELECT * FROM unnest({arrays}) "
                    "ON CONFLICT DO NOTHING"
                ),
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            marks = ", ".join("?" * len(types))
            curs.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows
            )

    def _mark_voided(self, curs: Any, start: int, stop: int) -> None:
        """Set `voided_stored` on facts voided by voids in (start, stop], and on facts in
        (start, stop] voided earlier (a target recorded after its void)."""
        for where in (
            "(tenant, statement) IN (SELECT tenant, statement FROM {s}learning_voids "
            "WHERE position > %s AND position <= %s)",
            "position > %s AND position <= %s AND (tenant, statement) IN "
            "(SELECT tenant, statement FROM {s}learning_voids)",
        ):
            curs.execute(
                self.sql(
                    "UPDATE {s}learning_facts SET voided_stored = (SELECT v.stored FROM "
                    "{s}learning_voids v WHERE v.tenant = learning_facts.tenant AND "
                    "v.statement = learning_facts.statement) "
                    f"WHERE voided_stored IS NULL AND {where}"
                ),
                (start, stop),
            )

    # -- stage two ------------------------------------------------------------------------------

    def _catch_up_views(
        self, target: int, deadline: float | None, progress: ProgressOf | None
    ) -> dict[str, int]:
        """Bring every view up to `target` (stage one's position); return their positions."""
        while True:
            found = self.tracking.states(VIEWS)
            positions = {name: found.get(name, (0, 0))[0] for name in VIEWS}
            behind = sorted({p for p in positions.values() if p < target})
            if not behind:
                return positions
            if deadline is not None and time.monotonic() >= deadline:
                return positions
            start = behind[0]
            names = [name for name in VIEWS if positions[name] == start]
            reports = {name: progress(name) if progress else None for name in names}
            try:
                self._advance_views(names, start, target, deadline, reports)
            except TrackingBusyError:
                return positions

    def _advance_views(
        self,
        names: list[str],
        start: int,
        target: int,
        deadline: float | None,
        reports: Mapping[str, Progress | None],
    ) -> bool:
        """Evaluate the learners touched in (start, target] for the views `names`, at
        `start`; return whether the views reached `target` (False: another catch-up moved)."""
        touched = self._touched(start, target)
        catalogue = self._catalogue(target)
        versions = {name: self.versions[name] for name in names}
        size = RECORD_BATCH[self.postgres]
        chunks = [touched[i : i + size] for i in range(0, len(touched), size)]
        chunks = chunks or [[]]
        done = 0
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            if self.postgres and len(names) > 1:
                args = (names, start, target, chunk, catalogue, last, deadline)
                applied = self._apply_views_apart(*args)
            else:
                work = _ApplyViews(self, names, start, target, chunk, catalogue, last)
                applied = self.tracking.locked(self._left(deadline), versions, work)
            if not applied:
                return False
            done += len(chunk)
            for report in reports.values():
                if report is not None:
                    share = (index + 1) / len(chunks)
                    report(start + int((target - start) * share), target, done)
        return True

    def _apply_views_apart(
        self,
        names: list[str],
        start: int,
        target: int,
        touched: list[Key],
        catalogue: CatalogueIndex,
        last: bool,
        deadline: float | None,
    ) -> bool:
        """Evaluate a batch of touched records once, then write each view's rows in a
        transaction of its own (holding only its tracking row), `VIEW_WRITERS` at a time on
        separate connections, so the database writes the tables side by side (PostgreSQL).

        Returns whether every view did the batch (False: one had moved, or stage one was
        reset; a view that did it keeps it, and the views then follow apart).
        """
        again: set[Key] = set()
        rows: dict[str, list[tuple[Any, ...]]] = {}
        wanted = [table for name in names for table in tables.VIEWS[name]]
        if touched:
            datastore: Any = self.recorder.datastore
            with datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
                again, needed = self.scope(curs, touched, target)
                facts = self.load_facts(curs, needed, target)
            rows = self._view_rows(wanted, list(facts), facts, again, catalogue, start)
        keys = sorted(again)

        def write(name: str) -> bool:
            owned = tables.VIEWS[name]

            def work(curs: Any, held: Positions) -> bool:
                if held[name][0] != start or not self.facts_reached(curs, target):
                    return False
                for table in owned:
                    if table != tables.SCORES_ATTEMPTS:
                        self._delete_records(curs, table, keys)
                if rows:
                    self._insert_view_rows(curs, owned, rows)
                if last:
                    if name == tables.SCORES:
                        self.delete_voided_attempts(curs, start, target)
                    self.tracking.set_position(curs, name, target)
                return True

            return self.tracking.locked(self._left(deadline), {name: self.versions[name]}, work)

        with ThreadPoolExecutor(VIEW_WRITERS, thread_name_prefix="views-write") as pool:
            # heaviest first: the scores (and their attempts) take the longest
            order = sorted(names, key=lambda name: -len(tables.VIEWS[name]))
            return all(list(pool.map(write, order)))

    def facts_reached(self, curs: Any, target: int) -> bool:
        """Whether stage one still stands at or past `target` (inside a views transaction:
        a rebuild of `learning_facts` may have reset it since the batch was planned)."""
        curs.execute(
            self.sql("SELECT position FROM {s}learning_tracking WHERE name = %s"), (FACTS,)
        )
        row = curs.fetchone()
        return row is not None and int(row[0]) >= target

    def _touched(self, start: int, stop: int) -> list[Key]:
        """The (tenant, learner, course) with facts, or voids of their facts, in
        (start, stop], sorted."""
        rows = self.tracking.read(
            "SELECT DISTINCT tenant, learner, course FROM {s}learning_facts "
            "WHERE position > %s AND position <= %s "
            "UNION SELECT DISTINCT f.tenant, f.learner, f.course FROM {s}learning_voids v "
            "JOIN {s}learning_facts f ON f.tenant = v.tenant AND f.statement = v.statement "
            "WHERE v.position > %s AND v.position <= %s",
            (start, stop, start, stop),
        )
        return sorted((str(tenant), str(learner), str(course)) for tenant, learner, course in rows)

    def scope(self, curs: Any, touched: Sequence[Key], stop: int) -> tuple[set[Key], set[Key]]:
        """Return the records to evaluate again and the courses whose facts that needs.

        A course enrolled through a learning path with unlockNext waits for the course
        before it (`Fact.after`): when that one changes, so may the waiting one (evaluated
        again too), and evaluating the waiting one needs the facts of the one before it.
        """
        learners = sorted({(tenant, learner) for tenant, learner, _ in touched})
        edges: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for tenant, learner, course, after in self._select_by_learners(
            curs,
            "DISTINCT tenant, learner, course, after_course",
            learners,
            "after_course <> '' AND position <= %s AND voided_stored IS NULL",
            [stop],
        ):
            edges.setdefault((tenant, learner), set()).add((course, after))
        # the courses waiting on a course evaluated again, then the courses those wait on
        again = _closed(set(touched), edges, lambda course, after: (after, course))
        needed = _closed(set(again), edges, lambda course, after: (course, after))
        return again, needed

    def _select_by_learners(
        self,
        curs: Any,
        columns: str,
        learners: Sequence[tuple[str, str]],
        condition: str,
        params: Sequence[Any],
    ) -> list[tuple[Any, ...]]:
        """Select `columns` of the learners' facts meeting `condition` (with `params`)."""
        found: list[tuple[Any, ...]] = []
        if not learners:
            return found
        if self.postgres:
            curs.execute(
                self.sql(
                    f"SELECT {columns} FROM {{s}}learning_facts JOIN unnest(%b::text[], "
                    "%b::text[]) AS k(t, l) ON tenant = k.t AND learner = k.l "
                    f"WHERE {condition}"
                ),
                [[t for t, _ in learners], [learner for _, learner in learners], *params],
            )
            return [tuple(row) for row in curs.fetchall()]
        for i in range(0, len(learners), CHUNK // 2):
            part = learners[i : i + CHUNK // 2]
            pairs = ",".join(["(?, ?)"] * len(part))
            curs.execute(
                f"SELECT {columns} FROM learning_facts WHERE (tenant, learner) IN "
                f"(VALUES {pairs}) AND {condition.replace('%s', '?')}",
                [*(value for pair in part for value in pair), *params],
            )
            found.extend(tuple(row) for row in curs.fetchall())
        return found

    def load_facts(
        self, curs: Any, courses: Iterable[Key], stop: int
    ) -> dict[tuple[str, str], list[Fact]]:
        """Load the live facts (not voided) of learners in courses, up to position `stop`,
        by learner."""
        wanted = sorted(set(courses))
        found: dict[tuple[str, str], list[Fact]] = {}
        for tenant, learner, _ in wanted:
            found.setdefault((tenant, learner), [])
        if not wanted:
            return found
        live = "position <= %s AND voided_stored IS NULL"
        if self.postgres:
            # A lookup per record (the index on (tenant, learner, position)): `OFFSET 0` keeps
            # the planner from making it a join that sorts the whole table.
            curs.execute(
                self.sql(
                    "SELECT f.* FROM unnest(%b::text[], %b::text[], %b::text[]) AS k(t, l, c) "
                    f"CROSS JOIN LATERAL (SELECT {FACT_COLUMNS} FROM {{s}}learning_facts "
                    f"WHERE tenant = k.t AND learner = k.l AND course = k.c AND {live} "
                    "OFFSET 0) AS f"
                ),
                [[k[0] for k in wanted], [k[1] for k in wanted], [k[2] for k in wanted], stop],
            )
            rows = curs.fetchall()
        else:
            rows = []
            for i in range(0, len(wanted), CHUNK // 3):
                part = wanted[i : i + CHUNK // 3]
                keys = ",".join(["(?, ?, ?)"] * len(part))
                curs.execute(
                    f"SELECT {FACT_COLUMNS} FROM learning_facts WHERE (tenant, learner, course) "
                    f"IN (VALUES {keys}) AND {live.replace('%s', '?')}",
                    [*(value for key in part for value in key), stop],
                )
                rows.extend(curs.fetchall())
        for row in rows:
            fact = fact_of_row(tuple(row))
            found[(fact.tenant, fact.learner)].append(fact)
        return found

    def replace_rows(
        self,
        curs: Any,
        names: Sequence[str],
        facts: Mapping[tuple[str, str], list[Fact]],
        again: set[Key],
        catalogue: CatalogueIndex,
        start: int = 0,
    ) -> None:
        """Replace the rows of the records `again` in the views' tables by the rows of the
        records evaluated from the learners' facts.

        `scores_attempts` rows are a function of one fact each (they never change), so they
        are not replaced: the attempts of facts after `start` (the views' position) are
        added, keeping a row already there; the attempts of voided facts are deleted by
        `delete_voided_attempts`.

        On PostgreSQL the learners are evaluated a slice at a time while a second thread
        copies the previous slice's rows in (evaluating is Python, copying mostly waits on
        the database, so the two overlap).
        """
        wanted = [table for name in names for table in tables.VIEWS[name]]
        learners = list(facts)
        for table in wanted:
            if table != tables.SCORES_ATTEMPTS:
                self._delete_records(curs, table, sorted(again))
        step = EVALUATE_SLICE if self.postgres else len(learners)
        slices = [learners[i : i + step] for i in range(0, len(learners), step)]
        if len(slices) <= 1:
            for part in slices:
                self._insert_view_rows(
                    curs, wanted, self._view_rows(wanted, part, facts, again, catalogue, start)
                )
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="views-copy") as copier:
            pending: Future[None] | None = None
            for part in slices:
                rows = self._view_rows(wanted, part, facts, again, catalogue, start)
                if pending is not None:
                    pending.result()
                pending = copier.submit(self._insert_view_rows, curs, wanted, rows)
            if pending is not None:
                pending.result()

    @staticmethod
    def _view_rows(
        wanted: Sequence[str],
        learners: Sequence[tuple[str, str]],
        facts: Mapping[tuple[str, str], list[Fact]],
        again: set[Key],
        catalogue: CatalogueIndex,
        start: int,
    ) -> dict[str, list[tuple[Any, ...]]]:
        """Evaluate the learners and return the rows of each wanted table (of the records
        `again` only: the others' facts were loaded as prerequisites); `scores_attempts`:
        only the attempts of facts after `start`."""
        rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in wanted}
        attempts = rows.get(tables.SCORES_ATTEMPTS)
        makers = [
            (rows[table], VIEW_ROWS[table]) for table in wanted if table != tables.SCORES_ATTEMPTS
        ]
        for key in learners:
            learner_facts = facts[key]
            if not learner_facts:
                continue
            fresh = (
                {(f.course, f.module, f.statement) for f in learner_facts if f.position > start}
                if attempts is not None
                else set()
            )
            for record in evaluate(learner_facts, catalogue):
                if (record.tenant, record.learner, record.course) not in again:
                    continue
                for found, make in makers:
                    found.extend(make(record))
                if attempts is not None and fresh and record.attempts:
                    course = record.course
                    attempts.extend(
                        row for row in attempt_rows(record) if (course, row[3], row[4]) in fresh
                    )
        return rows

    def _delete_records(self, curs: Any, table: str, keys: Sequence[Key]) -> None:
        """Delete the rows of the given (tenant, learner, course) from a view's table."""
        if not keys:
            return
        if self.postgres:
            curs.execute(
                self.sql(
                    f"DELETE FROM {{s}}{table} t USING unnest(%b::text[], %b::text[], "
                    "%b::text[]) AS d(tenant, learner, course) WHERE t.tenant = d.tenant "
                    "AND t.learner = d.learner AND t.course = d.course"
                ),
                [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]],
            )
        else:
            curs.executemany(
                f"DELETE FROM {table} WHERE tenant = ? AND learner = ? AND course = ?", keys
            )

    def _insert_view_rows(
        self, curs: Any, wanted: Sequence[str], rows: Mapping[str, list[tuple[Any, ...]]]
    ) -> None:
        for table in wanted:
            columns, types = view_columns(table)
            new = table != tables.SCORES_ATTEMPTS  # attempts: kept if there (a batch redone)
            self._write(curs, table, columns, types, rows[table], new=new)

    def delete_voided_attempts(self, curs: Any, start: int, stop: int) -> None:
        """Delete the `scores_attempts` rows of facts voided by voids in (start, stop]."""
        curs.execute(
            self.sql(
                "DELETE FROM {s}scores_attempts WHERE (tenant, learner, course, module, "
                "statement) IN (SELECT f.tenant, f.learner, f.course, f.module, f.statement "
                "FROM {s}learning_voids v JOIN {s}learning_facts f ON f.tenant = v.tenant "
                "AND f.statement = v.statement WHERE v.position > %s AND v.position <= %s)"
            ),
            (start, stop),
        )

    # -- rebuilding -----------------------------------------------------------------------------

    def rebuild(
        self,
        names: Sequence[str] = PROJECTIONS,
        progress: ProgressOf | None = None,
        batch_size: int = REBUILD_BATCH,
    ) -> int:
        """Empty the named projections and derive them again from position 0.

        Rebuilding `learning_facts` rebuilds every view too (they are derived from it); the
        tables' planner statistics are refreshed at the end. Returns the events stage one
        applied. Safe while the ledger serves: other catch-ups meanwhile apply batches
        themselves (each exactly once).
        """
        unknown = sorted(set(names) - set(PROJECTIONS))
        if unknown:
            raise ValueError(f"no learning projection named {', '.join(unknown)}")
        chosen = list(PROJECTIONS) if FACTS in names else [n for n in VIEWS if n in names]

        def reset(curs: Any, _: Positions) -> None:
            for name in chosen:
                self.tracking.reset(curs, name, self.versions[name], _owned(name))

        self.tracking.locked(None, {name: self.versions[name] for name in chosen}, reset)
        done = self._finish(batch_size, progress)
        self.tracking.analyze([table for name in chosen for table in _owned(name)])
        return done

    def _finish(self, batch_size: int, progress: ProgressOf | None) -> int:
        done = 0
        while True:
            result = self.catch_up(batch_size=batch_size, progress=progress)
            done += result.events
            if result.complete:
                return done

    def ensure(self, progress: ProgressOf | None = None) -> list[str]:
        """Bring every projection up to date (`db migrate`, `serve`, `worker`); rebuild those
        whose built version differs from the code's. Returns the names rebuilt."""
        state = self.state()
        stale = [
            name
            for name, (_, version) in state.items()
            if version is not None and version != self.versions[name]
        ]
        if stale:
            self.rebuild(stale, progress)
        else:
            self._finish(REBUILD_BATCH, progress)
        return list(PROJECTIONS) if FACTS in stale else stale

    def wait_for(self, position: int, timeout: float) -> bool:
        """Wait at most `timeout` seconds until every learning projection reaches `position`.

        A runner woken by the write usually gets there first, so this watches for
        `RUNNER_GRACE` seconds; then it catches up itself (exactly-once tracking makes that
        safe alongside a runner). Returns whether the position was reached.
        """
        deadline = time.monotonic() + timeout
        grace = min(time.monotonic() + RUNNER_GRACE, deadline)
        while True:
            if self.position() >= position:
                return True
            now = time.monotonic()
            if now >= deadline:
                return False
            if now < grace:
                time.sleep(min(0.02, grace - now))
                continue
            result = self.catch_up(budget=deadline - now)
            if result.position >= position:
                return True
            if result.complete:  # a position beyond the head: wait for the log to get there
                time.sleep(min(0.05, max(deadline - time.monotonic(), 0)))

    # -- reading --------------------------------------------------------------------------------

    def select_facts(
        self, tenant: str, learner: str, *, stored_by: int | None = None
    ) -> list[Fact]:
        """Return a learner's facts in log order, voided ones included (`voided_stored`).

        Args:
            stored_by: only facts stored at or before this time (ms), if given.
        """
        sql = f"SELECT {FACT_COLUMNS} FROM {{s}}learning_facts WHERE tenant = %s AND learner = %s"
        params: list[Any] = [tenant, learner]
        if stored_by is not None:
            sql += " AND stored <= %s"
            params.append(stored_by)
        rows = self.tracking.read(sql + " ORDER BY position, course, module", params)
        return [fact_of_row(row) for row in rows]


def _owned(name: str) -> tuple[str, ...]:
    """The tables of a learning projection."""
    return tables.FACT_TABLES if name == FACTS else tables.VIEWS[name]


def _closed(
    keys: set[Key],
    edges: Mapping[tuple[str, str], set[tuple[str, str]]],
    step: Callable[[str, str], tuple[str, str]],
) -> set[Key]:
    """Grow `keys` along each learner's edges until nothing is added: for an edge
    (course, after), `step` gives (from, to) — a key at `from` brings in `to`."""
    for (tenant, learner), pairs in edges.items():
        grown = True
        while grown:
            grown = False
            for course, after in pairs:
                source, target = step(course, after)
                if (tenant, learner, source) in keys and (tenant, learner, target) not in keys:
                    keys.add((tenant, learner, target))
                    grown = True
    return keys


class _ApplyFacts:
    """The work of one stage-one batch, run holding the tracking row."""

    def __init__(self, owner: LearningProjections, parsed: Parsed) -> None:
        self.owner = owner
        self.parsed = parsed

    def __call__(self, curs: Any, held: Positions) -> int | None:
        """Apply the batch and return None, or return the position found if it moved."""
        position = held[FACTS][0]
        parsed, owner = self.parsed, self.owner
        if position != parsed.expected:
            return position
        owner._write(curs, tables.CATALOGUE, CATALOGUE_COLUMNS, CATALOGUE_TYPES, parsed.catalogue)
        owner._write(curs, tables.FACTS, FACT_COLUMNS, FACT_TYPES, parsed.facts, new=True)
        owner._write(curs, tables.VOIDS, VOID_COLUMNS, VOID_TYPES, parsed.voids)
        if parsed.voids or parsed.facts:
            owner._mark_voided(curs, parsed.expected, parsed.stop)
        owner.tracking.set_position(curs, FACTS, parsed.stop)
        return None


class _ApplyViews:
    """The work of one batch of touched records for views at one position, holding their
    tracking rows."""

    def __init__(
        self,
        owner: LearningProjections,
        names: list[str],
        start: int,
        target: int,
        touched: list[Key],
        catalogue: CatalogueIndex,
        last: bool,
    ) -> None:
        self.owner = owner
        self.names = names
        self.start = start
        self.target = target
        self.touched = touched
        self.catalogue = catalogue
        self.last = last

    def __call__(self, curs: Any, held: Positions) -> bool:
        """Replace the touched records' rows (and, for the last batch, move the positions)."""
        owner = self.owner
        if any(held[name][0] != self.start for name in self.names):
            return False
        if not owner.facts_reached(curs, self.target):
            return False
        if self.touched:
            again, needed = owner.scope(curs, self.touched, self.target)
            facts = owner.load_facts(curs, needed, self.target)
            owner.replace_rows(curs, self.names, facts, again, self.catalogue, self.start)
        if self.last:
            if tables.SCORES in self.names:
                owner.delete_voided_attempts(curs, self.start, self.target)
            for name in self.names:
                owner.tracking.set_position(curs, name, self.target)
        return True


class _Now:
    """An executor that runs what it is given at once, in the caller's thread."""

    def submit(self, work: Callable[..., _T], *args: Any) -> Future[_T]:
        """Run `work(*args)`; return its outcome as a completed future."""
        done: Future[_T] = Future()
        try:
            done.set_result(work(*args))
        except BaseException as ex:  # handed to whoever asks the future
            done.set_exception(ex)
        return done

    def __enter__(self) -> _Now:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _executor(threads: bool) -> ThreadPoolExecutor | _Now:
    """A pool of two threads (PostgreSQL: reads and applies overlap parsing), or `_Now`."""
    if threads:
        return ThreadPoolExecutor(max_workers=2, thread_name_prefix="learning-facts")
    return _Now()


__all__ = [
    "FACTS",
    "PROJECTIONS",
    "VERSIONS",
    "VIEWS",
    "CatchUp",
    "LearningProjections",
    "fact_of_row",
]
