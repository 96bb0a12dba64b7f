"""The tasks of a grading batch and their durable states, in the gradebook's database.

A lab is graded as tasks: an answer key per notebook (cached as a file by
`autograder.keys`, so not stored here), then per student one `autograde` task
per notebook and one `score` task (judge and held-out step) after them. Each
student task has a row: its state, why it failed, notes for the score table,
and the inputs it was run on (the submitted file's identity, the answer key's
fingerprint), so that `grade` runs again only what is not done or whose inputs
changed. The table lives in the same database as nbgrader's gradebook (SQLite
or PostgreSQL), which every machine of a Dask cluster reaches by its URL.

Rows carry the `run` that owns them: a run takes over its lab's rows when it
starts (under the lab's lock), and a write from a task of an older run (a Dask
worker still busy after its grader died) changes nothing.
"""
from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from autograder.catalog import Lab
from autograder.course import Course

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
NOT_SUBMITTED = "not submitted"  # the reason of a notebook the student did not hand in
MAX_ATTEMPTS = 3  # a task the grader itself fails on this often is failed, not retried forever

_metadata = sa.MetaData()
TASKS = sa.Table(
    "dl4nlp_tasks", _metadata,
    sa.Column("lab", sa.String(128), primary_key=True),
    sa.Column("student", sa.String(128), primary_key=True),
    sa.Column("step", sa.String(160), primary_key=True),   # "autograde:NOTEBOOK" or "score"
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),            # failed: why the student got 0; pending: what broke
    sa.Column("notes", sa.Text),             # JSON list of lines for the score table
    sa.Column("inputs", sa.Text),            # what the result depends on (see `plan`)
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("run", sa.String(64)),
    sa.Column("host", sa.String(255)),
    sa.Column("started", sa.Float),
    sa.Column("seconds", sa.Float),
)


@dataclass(frozen=True)
class Task:
    kind: str            # "key", "autograde" or "score"
    student: str = ""    # "" for a key
    notebook: str = ""   # "" for a score task

    @property
    def step(self) -> str:
        return f"{self.kind}:{self.notebook}" if self.notebook else self.kind

    def __str__(self) -> str:
        return f"{self.student}/{self.step}" if self.student else self.step


@dataclass(frozen=True)
class Job:
    """What every task of one `grade` run shares (pickled to task processes and workers)."""
    course: Course
    lab: Lab
    sandboxed: bool
    run: str  # the run's id: its tasks write only rows it owns


@dataclass
class Row:
    state: str
    reason: str | None = None
    notes: tuple[str, ...] = ()
    inputs: str | None = None
    attempts: int = 0
    seconds: float | None = None


class TaskStore:
    """The task table of one gradebook database (created on first use)."""

    def __init__(self, db_url: str):
        # No pool: SQLite locks per connection, and a worker should not hold any between tasks.
        self.engine = sa.create_engine(db_url, poolclass=NullPool)
        _metadata.create_all(self.engine)

    def rows(self, lab: str, student: str | None = None) -> dict[tuple[str, str], Row]:
        """{(student, step): row} of a lab (of one student)."""
        query = sa.select(TASKS).where(TASKS.c.lab == lab)
        if student is not None:
            query = query.where(TASKS.c.student == student)
        with self.engine.connect() as db:
            return {(r.student, r.step): Row(r.state, r.reason, tuple(json.loads(r.notes or "[]")),
                                             r.inputs, r.attempts, r.seconds)
                    for r in db.execute(query)}

    def take_over(self, lab: str, run: str) -> int:
        """Make `run` the owner of the lab's rows; tasks left running by a run that ended
        (killed, say) become pending. Returns how many were."""
        with self.engine.begin() as db:
            stale = db.execute(sa.update(TASKS).where(TASKS.c.lab == lab,
                                                      TASKS.c.state == RUNNING)
                               .values(state=PENDING, reason="interrupted")).rowcount
            db.execute(sa.update(TASKS).where(TASKS.c.lab == lab).values(run=run))
        return stale

    def schedule(self, lab: str, run: str, task: Task, inputs: str, fresh: bool) -> None:
        """Record that `run` will run `task` on `inputs`; `fresh`: new inputs or a regrade,
        so earlier attempts no longer count."""
        values = dict(state=PENDING, inputs=inputs, run=run, **({"attempts": 0} if fresh else {}))
        with self.engine.begin() as db:
            if not db.execute(sa.update(TASKS).where(*self._key(lab, task)).values(**values)
                              ).rowcount:
                db.execute(sa.insert(TASKS).values(lab=lab, student=task.student,
                                                   step=task.step, **{"attempts": 0, **values}))

    def start(self, lab: str, run: str, task: Task) -> int | None:
        """Mark the task running; returns how many times it has been started, or None
        if `run` no longer owns it."""
        with self.engine.begin() as db:
            started = db.execute(sa.update(TASKS).where(*self._key(lab, task), TASKS.c.run == run)
                                 .values(state=RUNNING, host=socket.gethostname(),
                                         started=time.time(),
                                         attempts=TASKS.c.attempts + 1)).rowcount == 1
            return db.execute(sa.select(TASKS.c.attempts).where(*self._key(lab, task))
                              ).scalar() if started else None

    def finish(self, lab: str, run: str, task: Task, state: str, reason: str | None = None,
               notes: list[str] | tuple[str, ...] = ()) -> bool:
        """Record a task's outcome; False (nothing written) if `run` no longer owns it."""
        values = dict(state=state, reason=reason, notes=json.dumps(list(notes)))
        if state != PENDING:
            values["seconds"] = time.time() - TASKS.c.started
        with self.engine.begin() as db:
            return db.execute(sa.update(TASKS).where(*self._key(lab, task), TASKS.c.run == run,
                                                     TASKS.c.state == RUNNING)
                              .values(**values)).rowcount == 1

    def owns(self, lab: str, run: str, task: Task) -> bool:
        """Whether the task is still running for `run` (a newer run may have taken over)."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(TASKS.c.run, TASKS.c.state)
                             .where(*self._key(lab, task))).first()
        return row is not None and row.run == run and row.state == RUNNING

    def release(self, lab: str, run: str) -> int:
        """The run is ending: its running tasks go back to pending (their processes are
        being stopped), and no task of it may write any more."""
        with self.engine.begin() as db:
            stopped = db.execute(sa.update(TASKS).where(TASKS.c.lab == lab, TASKS.c.run == run,
                                                        TASKS.c.state == RUNNING)
                                 .values(state=PENDING, reason="interrupted")).rowcount
            db.execute(sa.update(TASKS).where(TASKS.c.lab == lab, TASKS.c.run == run)
                       .values(run=None))
        return stopped

    def typical_seconds(self, lab: str) -> dict[str, float]:
        """{step: median run time} of the lab's finished tasks: longest tasks start first."""
        with self.engine.connect() as db:
            found: dict[str, list[float]] = {}
            for step, seconds in db.execute(sa.select(TASKS.c.step, TASKS.c.seconds).where(
                    TASKS.c.lab == lab, TASKS.c.seconds.is_not(None))):
                found.setdefault(step, []).append(seconds)
        return {step: sorted(values)[len(values) // 2] for step, values in found.items()}

    @staticmethod
    def _key(lab: str, task: Task):
        return TASKS.c.lab == lab, TASKS.c.student == task.student, TASKS.c.step == task.step
