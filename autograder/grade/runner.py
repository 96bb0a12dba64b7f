"""What one task does, and whose fault a failure is.

`main([TASK, RESULT])` runs a notebook task (an answer key, or nbgrader
autograde of one student's notebook) in a task process of its own, forked by
the `zygote`; the executor (`executors.run_task`) kills it, with everything it
started, at the lab's time limit. It reads the pickled `(Job, Task)` from TASK
and writes its outcome to RESULT as JSON:
`state` (done; failed, with the reason the student gets 0; pending, when the
grader or its machine failed, which is never the student's zero), `reason`,
`notes` (lines for the score table) and `infrastructure` (the fault was the
machine's: database, disk, memory). Score tasks run `run` in the executor's
process.
"""
from __future__ import annotations

import errno
import json
import os
import pickle
from pathlib import Path

from autograder.grade.tasks import DONE, FAILED, PENDING, Job, Task, TaskStore

# The machine's faults: the task is left pending for the next run.
MACHINE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.ENOMEM,
                  errno.EMFILE, errno.ENFILE}
# Lines of nbgrader's log that say the same of a notebook nbgrader could not grade.
MACHINE_MESSAGES = ("database is locked", "No space left on device", "Disk quota exceeded",
                    "could not connect to server", "Connection refused", "OperationalError",
                    "IntegrityError")  # two graders racing on one row: ours, not theirs


class MachineFault(Exception):
    """Not the student's fault: the task stays pending."""


def run(job: Job, task: Task) -> dict:
    from autograder import keys
    course, lab = job.course, job.lab
    if task.kind == "key":
        key = keys.ensure_key(course, lab, task.notebook, job.sandboxed)
        return outcome(DONE, notes=keys.reference_lines(key))
    if task.kind == "autograde":
        return _autograde(job, task)
    return _score(job, task)


def _autograde(job: Job, task: Task) -> dict:
    from autograder.grade import steps
    course, lab = job.course, job.lab
    submitted = course.submitted / task.student / lab.name / f"{task.notebook}.ipynb"
    problem = steps.check_notebook(submitted)
    if problem is not None:
        return outcome(FAILED, problem)
    autograded = course.autograded / task.student / lab.name
    steps.remove_artifacts(course, lab, task.notebook, autograded)
    problem, notes = steps.autograde_notebook(course, lab, task.notebook, task.student,
                                              job.sandboxed)
    if problem is not None:
        if any(message in problem for message in MACHINE_MESSAGES):
            raise MachineFault(problem)
        return outcome(FAILED, problem, notes)
    errors = steps.cell_errors(autograded / f"{task.notebook}.ipynb")
    if errors:
        more = f" (+{len(errors) - 1} more cells)" if len(errors) > 1 else ""
        notes.append(f"{errors[0]}{more}")
    return outcome(DONE, notes=notes)


def _score(job: Job, task: Task) -> dict:
    """The judge and the held-out step, after the student's notebooks were autograded."""
    from autograder import gradebook
    from autograder.grade import steps
    course, lab = job.course, job.lab
    rows = TaskStore(course.gradebook_url).rows(lab.name, task.student)
    ungraded = {nb: row.reason for nb in lab.notebooks
                if (row := rows.get((task.student, Task("autograde", task.student, nb).step)))
                and row.state == FAILED and row.reason != steps.NOT_SUBMITTED}
    gradebook.ensure_submission(course, lab.name, task.student)
    for notebook in ungraded:  # nbgrader itself zeroes the notebooks that are missing
        gradebook.zero_notebook(course, lab.name, notebook, task.student)
    notebook_keys = steps.answer_keys(course, lab, job.sandboxed, log=lambda _: None)
    problems = steps.score(course, lab, task.student, notebook_keys, skip=ungraded,
                           sandboxed=job.sandboxed)
    return outcome(DONE, notes=problems)


def outcome(state: str, reason: str | None = None, notes=(), infrastructure=False) -> dict:
    return {"state": state, "reason": reason, "notes": list(notes),
            "infrastructure": infrastructure}


def classify(err: BaseException) -> dict:
    """The outcome of a task whose grading code raised `err`: never the student's zero."""
    import sqlalchemy.exc
    text = f"{type(err).__name__}: {err}".strip().splitlines()[0][:300]
    machine = (isinstance(err, (MachineFault, MemoryError, sqlalchemy.exc.OperationalError,
                                sqlalchemy.exc.InterfaceError))
               or (isinstance(err, OSError) and err.errno in MACHINE_ERRNOS))
    if machine:
        return outcome(PENDING, f"infrastructure: {text}", infrastructure=True)
    return outcome(PENDING, f"the grader failed: {text}")


def main(argv: list[str]) -> int:
    spec, result = argv
    job, task = pickle.loads(Path(spec).read_bytes())
    os.chdir(job.course.root)
    try:
        found = run(job, task)
    except Exception as err:  # noqa: BLE001 -- whatever broke, the executor hears it
        found = classify(err)
    Path(result).write_text(json.dumps(found))
    return 0
