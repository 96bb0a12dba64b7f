"""A grading batch: plan the tasks that are not done, run them, report every student.

Under the lab's lock, the run takes over the lab's task rows (`tasks`), plans
what to run (everything with `regrade`, else what is not done or whose inputs
changed: the submitted file, the answer key's sources, the sandbox setting),
and hands ready tasks to the executor, answer keys first, then the longest
notebooks, each student's score task once their notebooks are graded. Killed
at any point, the next `grade` runs what was left and gives the same scores.
"""
from __future__ import annotations

import dataclasses
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field

from tqdm import tqdm

from autograder import gradebook, keys
from autograder.catalog import Lab
from autograder.course import Course, GradingError
from autograder.grade.executors import DaskExecutor, LocalExecutor
from autograder.grade.lock import lab_lock
from autograder.grade.steps import require_sandbox
from autograder.grade.tasks import DONE, FAILED, NOT_SUBMITTED, PENDING, Job, Task, TaskStore

PRIORITY = {"key": 2, "score": 1, "autograde": 0}  # among ready tasks, higher runs first


@dataclass
class StudentResult:
    student: str
    scores: dict[str, tuple[float, float]] = field(default_factory=dict)  # notebook -> (score, max)
    problems: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)    # tasks not graded yet, and why
    by_hand: list[str] = field(default_factory=list)    # cells a person scored in formgrader
    awaiting: list[str] = field(default_factory=list)   # cells a person has yet to score

    @property
    def total(self) -> float:
        return sum(score for score, _ in self.scores.values())


def grade(course: Course, lab_name: str, students: list[str] | None = None,
          jobs: int = 1, sandboxed: bool = True, time_limit_s: int | None = None,
          regrade: bool = False, scheduler: str | None = None, progress: bool = False,
          log=print) -> list[StudentResult]:
    lab = course.lab(lab_name)
    if time_limit_s:
        lab = dataclasses.replace(lab, time_limit_s=time_limit_s)
    available = course.students(lab.name)
    if students:
        missing = sorted(set(students) - set(available))
        if missing:
            raise GradingError(f"no collected submission of {lab.name} for: {', '.join(missing)}")
        available = [s for s in available if s in students]
    if not available:
        raise GradingError(f"nothing to grade: no submissions in {course.submitted}/*/{lab.name}")
    if not (course.release / lab.name).is_dir():
        raise GradingError(f"{lab.name} has not been released: run `autograder release {lab.name}`")
    if not gradebook.has_assignment(course, lab.name):
        raise GradingError(f"{lab.name} is not in the gradebook ({_shown(course.gradebook_url)}): "
                           f"run `autograder release {lab.name}` with the same --db-url")
    require_sandbox(sandboxed, log)

    with lab_lock(course, lab.name), _stopped_by_sigterm():
        store = TaskStore(course.gradebook_url)
        job = Job(course, lab, sandboxed, uuid.uuid4().hex)
        if interrupted := store.take_over(lab.name, job.run):
            log(f"resuming: {interrupted} task(s) of an interrupted run will run again")
        todo = plan(job, available, store, regrade)
        if len(todo) < _all_tasks(lab, available):
            log(f"{_all_tasks(lab, available) - len(todo)} task(s) already done "
                "(--regrade runs them again)")
        executor = DaskExecutor(scheduler) if scheduler else LocalExecutor(jobs)
        try:
            _run(executor, job, todo, store, progress, log)
        finally:
            executor.close()
            store.release(lab.name, job.run)
        results = [student_result(course, lab, student, store) for student in available]
    stuck = [f"{r.student}: {p}" for r in results for p in r.pending]
    if stuck:
        log(f"{len(stuck)} task(s) could not be graded and stay pending (run grade again):")
        for line in stuck:
            log(f"  {line}")
    return results


def _shown(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def _all_tasks(lab: Lab, students: list[str]) -> int:
    return len(students) * (len(lab.notebooks) + 1)


def plan(job: Job, students: list[str], store: TaskStore, regrade: bool) -> list[Task]:
    """The tasks to run, each recorded as pending with its inputs."""
    course, lab = job.course, job.lab
    rows = store.rows(lab.name)
    sources = {nb: keys.fingerprint(course, lab, nb) for nb in lab.notebooks}
    todo = [Task("key", notebook=nb) for nb in lab.notebooks
            if not keys.is_current(course, lab, nb, sources[nb])]
    for task in todo:
        store.schedule(lab.name, job.run, task, sources[task.notebook], fresh=True)
    for student in students:
        graded_inputs = []
        for notebook in lab.notebooks:
            task = Task("autograde", student, notebook)
            inputs = (f"{_identity(course.submitted / student / lab.name / f'{notebook}.ipynb')}"
                      f"|{sources[notebook]}|sandbox={job.sandboxed}")
            graded_inputs.append(inputs)
            if _to_run(rows.get((student, task.step)), inputs, regrade, store, job, task):
                todo.append(task)
        task = Task("score", student)
        inputs = "+".join(graded_inputs)
        if any(t.student == student for t in todo):  # a notebook runs: scoring runs again
            # before its notebooks run at once: two nbgraders would both create it
            gradebook.ensure_submission(course, lab.name, student)
            store.schedule(lab.name, job.run, task, inputs, fresh=True)
            todo.append(task)
        elif _to_run(rows.get((student, task.step)), inputs, regrade, store, job, task):
            todo.append(task)
    return todo


def _to_run(row, inputs: str, regrade: bool, store: TaskStore, job: Job, task: Task) -> bool:
    fresh = regrade or row is None or row.inputs != inputs
    if fresh or row.state not in (DONE, FAILED):
        store.schedule(job.lab.name, job.run, task, inputs, fresh)
        return True
    return False


def _identity(path) -> str:
    """What changes when a file is replaced (collected again): read without opening it."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return "missing"
    return f"{info.st_mode:o}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"


def _run(executor, job: Job, todo: list[Task], store: TaskStore, progress: bool, log) -> None:
    """Run `todo` on `executor`, each task once its dependencies have finished."""
    typical = store.typical_seconds(job.lab.name)
    waiting = sorted(todo, key=lambda t: (-PRIORITY[t.kind], -typical.get(t.step, 0)))
    graded_notebooks = {s: {t for t in todo if t.student == s and t.kind == "autograde"}
                        for s in {t.student for t in todo}}
    keys_left = {t for t in todo if t.kind == "key"}
    finished: dict[Task, str] = {}
    running: dict = {}  # future -> task
    bar = tqdm(total=len(todo), unit="task", desc=f"grading {job.lab.name}", disable=not progress,
               dynamic_ncols=True)
    counts = {DONE: 0, FAILED: 0, PENDING: 0}
    started = time.monotonic()

    def ready(task: Task) -> bool | None:
        """True: can run; False: must wait; None: never (a task it needs stays pending)."""
        if task.kind != "score":
            return True
        needs = graded_notebooks[task.student] | keys_left
        if any(finished.get(t) == PENDING for t in needs):
            return None
        return all(t in finished for t in needs)

    try:
        while waiting or running:
            for task in list(waiting):
                state = ready(task)
                if state is None:
                    waiting.remove(task)
                    counts[PENDING] += 1
                    bar.update()
                elif state and len(running) < executor.capacity:
                    waiting.remove(task)
                    running[executor.submit(job, task, PRIORITY[task.kind])] = task
            if not running:
                continue
            for future in executor.wait_any(running):
                task = running.pop(future)
                try:
                    outcome = future.result()
                except Exception as err:  # noqa: BLE001 -- a worker lost, say: not the student's
                    outcome = {"state": PENDING, "reason": f"infrastructure: {err!r}"[:300]}
                finished[task] = outcome["state"]
                counts[outcome["state"]] += 1
                bar.update()
                bar.set_postfix(done=counts[DONE], failed=counts[FAILED],
                                pending=counts[PENDING], refresh=False)
                if task.kind == "key":
                    if outcome["state"] != DONE:
                        raise GradingError(f"the answer key of {job.lab.name}/{task.notebook} "
                                           f"could not be recorded: {outcome['reason']}")
                    _log(bar, log, f"answer key of {task.notebook} recorded "
                                   f"({time.monotonic() - started:.0f} s into the batch)")
                    for line in outcome["notes"]:
                        _log(bar, log, f"  {line}")
                if task.kind == "score":
                    total = sum(s for s, _ in gradebook.notebook_scores(
                        job.course, job.lab.name, task.student).values())
                    _log(bar, log, f"graded {task.student}: {total:g} points "
                                   f"({time.monotonic() - started:.0f} s into the batch)")
    finally:
        bar.close()


def _log(bar, log, line: str) -> None:
    if bar.disable:
        log(line)
    else:
        bar.write(line)


def student_result(course: Course, lab: Lab, student: str, store: TaskStore) -> StudentResult:
    """A student's scores and problems as the task table and the gradebook hold them."""
    rows = store.rows(lab.name, student)
    result = StudentResult(student)
    for notebook in lab.notebooks:
        row = rows.get((student, Task("autograde", student, notebook).step))
        if row is None:
            result.pending.append(f"{notebook}: not graded yet")
            continue
        result.problems += [f"{notebook}: {note}" for note in row.notes]
        if row.state == FAILED:
            result.problems.append(f"{notebook}: {row.reason}")
        elif row.state != DONE:
            result.pending.append(f"{notebook}: {row.reason or 'not graded yet'}")
    row = rows.get((student, "score"))
    if row is not None and row.state == DONE:
        result.problems += list(row.notes)
    elif not result.pending:
        result.pending.append(f"scoring: {row.reason if row and row.reason else 'not done yet'}")
    grades = gradebook.submission_grades(course, lab.name, student)
    result.scores, result.by_hand, result.awaiting = grades.scores, grades.by_hand, grades.awaiting
    return result


def ungraded(course: Course, lab: str, student: str) -> dict[str, str]:
    """{notebook: why nbgrader could not grade it} (for feedback pages)."""
    return {step.split(":", 1)[1]: row.reason
            for (_, step), row in TaskStore(course.gradebook_url).rows(lab, student).items()
            if step.startswith("autograde:") and row.state == FAILED
            and row.reason != NOT_SUBMITTED}


class _Stop(KeyboardInterrupt):
    """SIGTERM: stop like Ctrl-C, killing the task processes and releasing the tasks."""


class _stopped_by_sigterm:
    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, self._raise)

    @staticmethod
    def _raise(*_):
        raise _Stop()

    def __exit__(self, *_):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
