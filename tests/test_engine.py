"""The grading engine on the tiny course: a grader killed at any point and resumed, the lab
lock, a crashed task, faults of the machine, Dask and PostgreSQL. (Odd files and manual
scores are in test_grade.py's shared batch.)"""
import errno
import subprocess
import sys
import time

import psutil
import pytest
import sqlalchemy.exc
from conftest import copy_tiny_course
from postgres import postgres  # noqa: F401

from autograder import gradebook
from autograder.collect import collect
from autograder.course import Course, GradingError
from autograder.grade import grade
from autograder.grade.runner import classify
from autograder.grade.tasks import RUNNING, TaskStore
from autograder.release import release

GOOD = "def add(a, b):\n    return a + b"
SLOW = GOOD + "\nimport time\ntime.sleep(6)"
ORDINARY = {"good": GOOD, "partial": "def add(a, b):\n    return int(a + b)",
            "wrong": "def add(a, b):\n    return a - b"}
EXPECTED = {"good": 2, "partial": 0.67, "wrong": 0}


def scores(results):
    return {r.student: r.total for r in results}


def submit_all(tiny, inbox, submissions):
    for name, code in submissions.items():
        tiny.submit(inbox, name, code)
    collect(tiny.course, "ps0", inbox)


def _grade_command(root, *extra):
    return subprocess.Popen([sys.executable, "-m", "autograder", "--course", str(root), "grade",
                             "ps0", *(extra or ("--jobs", "2"))], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(store, condition, process, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition(store.rows("ps0")):
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
    pytest.fail("the grader never got there")


def _kill_grader(process):
    """SIGKILL the grader, as the OOM killer or a lost terminal would; nothing it started
    may survive it."""
    started = psutil.Process(process.pid).children(recursive=True)
    process.kill()
    process.communicate()
    gone, alive = psutil.wait_procs(started, timeout=15)
    assert not alive, [p.cmdline() for p in alive]
    return len(started)


@pytest.mark.slow  # a real grader killed, crashed or run on Dask: tens of seconds
def test_a_killed_grader_resumes_to_the_same_scores_and_the_lock_names_the_holder(tiny_course,
                                                                                  tmp_path):
    submit_all(tiny_course, tmp_path / "inbox", {**ORDINARY, "slow": SLOW})
    store = TaskStore(tiny_course.course.gradebook_url)
    running = lambda kind: lambda rows: any(  # noqa: E731
        r.state == RUNNING and step.startswith(kind) for (_, step), r in rows.items())

    # 1. During a kernel; meanwhile a second grader is refused, naming the holder.
    first = _grade_command(tiny_course.root)
    _wait_for(store, running("autograde"), first)
    second = subprocess.run([sys.executable, "-m", "autograder", "--course",
                             str(tiny_course.root), "grade", "ps0"], capture_output=True,
                            text=True, timeout=120)
    assert second.returncode == 1
    assert "ps0 is being graded by " in second.stderr, second.stderr
    assert f"(pid {first.pid}, since" in second.stderr, second.stderr
    assert _kill_grader(first) >= 1
    # 2. During a score step (the judge), after some notebooks were graded.
    resumed = _grade_command(tiny_course.root)
    _wait_for(store, running("score"), resumed)
    _kill_grader(resumed)
    # 3. Between students: one scored, others not.
    resumed = _grade_command(tiny_course.root)
    _wait_for(store, lambda rows: any(r.state == "done" for (_, s), r in rows.items()
                                      if s == "score") and running("autograde")(rows), resumed)
    _kill_grader(resumed)

    finished = _grade_command(tiny_course.root)
    out, err = finished.communicate(timeout=300)
    assert finished.returncode == 0, err
    assert "resuming:" in err or "resuming:" in out
    assert gradebook.lab_scores(tiny_course.course, "ps0") == {**EXPECTED, "slow": 2}
    again = _grade_command(tiny_course.root)  # nothing left to do: nothing runs
    out, _ = again.communicate(timeout=120)
    assert "8 task(s) already done" in out


@pytest.mark.slow  # a real grader killed, crashed or run on Dask: tens of seconds
def test_a_crashed_task_stays_pending_and_is_never_a_zero(tiny_course, tmp_path):
    submit_all(tiny_course, tmp_path / "inbox", {"good": GOOD, "slow": SLOW})
    grader = _grade_command(tiny_course.root, "--jobs", "1")
    store = TaskStore(tiny_course.course.gradebook_url)
    _wait_for(store, lambda rows: rows.get(("slow", "autograde:tasks")) is not None
              and rows[("slow", "autograde:tasks")].state == RUNNING, grader)
    time.sleep(1)
    [zygote] = [p for p in psutil.Process(grader.pid).children()
                if any("autograder.grade.zygote" in part for part in p.cmdline())]
    tasks = zygote.children()
    assert len(tasks) == 1
    tasks[0].kill()  # as the OOM killer would
    out, err = grader.communicate(timeout=300)
    assert grader.returncode == 1, (out, err)
    assert "slow: tasks: the grader's task process died" in out, out
    rows = store.rows("ps0")
    assert rows[("slow", "autograde:tasks")].state == "pending"
    assert rows[("good", "score")].state == "done"
    row = next(line for line in out.splitlines() if line.startswith("slow ")).split()
    assert "pending" in row, out
    rerun = _grade_command(tiny_course.root)
    rerun.communicate(timeout=300)
    assert rerun.returncode == 0
    assert gradebook.lab_scores(tiny_course.course, "ps0") == {"good": 2, "slow": 2}


@pytest.mark.slow  # a real grader killed, crashed or run on Dask: tens of seconds
def test_dask_cluster_and_postgresql_give_the_same_scores(tiny_course_template, tmp_path,
                                                          postgres):  # noqa: F811
    from distributed import LocalCluster
    tiny = copy_tiny_course(tiny_course_template, tmp_path / "course")
    course = Course.at(tiny.root, db_url=postgres.new_database())
    assert course.gradebook_url.startswith("postgresql+psycopg2://")
    tiny.course = course
    submit_all(tiny, tmp_path / "inbox", {**ORDINARY, "untouched": None})
    with pytest.raises(GradingError, match=r"ps0 is not in the gradebook \(postgresql"):
        grade(course, "ps0", log=str)
    release(course, "ps0")
    sqlite = (tiny.root / "gradebook.db").read_bytes()  # the copy's own, from its release
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        results = grade(course, "ps0", scheduler=cluster.scheduler_address, log=str)
    assert scores(results) == {**EXPECTED, "untouched": 0}, results
    assert gradebook.lab_scores(course, "ps0") == {**EXPECTED, "untouched": 0}
    assert (tiny.root / "gradebook.db").read_bytes() == sqlite  # all went to PostgreSQL


@pytest.mark.parametrize("error, machine", [
    (OSError(errno.ENOSPC, "No space left on device"), True),
    (sqlalchemy.exc.OperationalError("UPDATE", {}, Exception("database is locked")), True),
    (MemoryError(), True),
    (ValueError("a bug of the grader's"), False),
])
def test_a_fault_of_the_grader_or_its_machine_is_never_a_zero(error, machine):
    found = classify(error)
    assert found["state"] == "pending" and found["infrastructure"] == machine
    assert found["reason"].startswith("infrastructure: " if machine else "the grader failed: ")
