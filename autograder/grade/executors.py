"""Where tasks run: on this machine (`--jobs N`) or on a Dask cluster (`--scheduler URL`).

Either way a task is `run_task`: it marks the task running, has the zygote
fork a task process (`zygote`, `runner`), waits for it under the task's time
limit, and records the outcome. The task process dies with whoever started it
(PR_SET_PDEATHSIG), and so does everything it starts; a timeout or a newer run
taking the task over kills it and what it started. On this machine the waiting is done by threads, the work by the task
processes: a crash in one cannot take the others down. On Dask, each worker
(`dask worker --nthreads 1`) runs `run_task` itself, so it needs the course's
files at the same path, this venv, and the gradebook's database URL.
"""
from __future__ import annotations

import json
import os
import pickle
import select
import tempfile
import threading
import time
from concurrent import futures
from pathlib import Path

from autograder.course import kill_tree
from autograder.grade.runner import classify, outcome, run
from autograder.grade.zygote import Zygote
from autograder.grade.tasks import FAILED, MAX_ATTEMPTS, PENDING, Job, Task, TaskStore

KEY_STARTUP_S = 120      # a key's time beyond the notebook's limit: the reference's checks
OWNER_CHECK_S = 2.0      # how often a waiting task checks that its run still owns it
_started: set[int] = set()   # task processes of this process, killed on exit
_started_lock = threading.Lock()
_zygote = Zygote()


def time_limit(job: Job, task: Task) -> float:
    """Seconds a task process may take before it is killed: for a notebook, the lab's time
    limit, from nbgrader's start to its notebook saved."""
    return job.lab.time_limit_s + (KEY_STARTUP_S if task.kind == "key" else 0)


def run_task(job: Job, task: Task) -> dict:
    """Run one task and record its outcome; returns the outcome. Notebooks run in a task
    process; a score task runs here, as its judge and held-out step are processes already
    (each with its time limit) and the gradebook code it needs is imported here once."""
    store = TaskStore(job.course.gradebook_url)
    lab = job.lab.name
    attempts = store.start(lab, job.run, task)
    if attempts is None:
        return outcome(PENDING, "another run took this task over")
    try:
        found = run(job, task) if task.kind == "score" else _in_process(job, task, store)
    except Exception as err:  # noqa: BLE001 -- e.g. no space for the task's scratch folder
        found = classify(err)
    if found["state"] == PENDING and not found["infrastructure"] and attempts >= MAX_ATTEMPTS:
        found = outcome(FAILED, f"{found['reason']} (the grader failed {attempts} times "
                                "on this task: an instructor should look at it)")
    store.finish(lab, job.run, task, found["state"], found["reason"], found["notes"])
    return found


def _in_process(job: Job, task: Task, store: TaskStore) -> dict:
    limit = time_limit(job, task)
    with tempfile.TemporaryDirectory(prefix="dl4nlp-task-") as scratch:
        spec, result = Path(scratch) / "task.pickle", Path(scratch) / "result.json"
        spec.write_bytes(pickle.dumps((job, task)))
        pid = _zygote.fork(str(spec), str(result))
        with _started_lock:
            _started.add(pid)
        try:
            stopped = _wait(pid, limit, lambda: store.owns(job.lab.name, job.run, task))
        finally:
            with _started_lock:
                _started.discard(pid)
        if stopped:
            return stopped
        try:
            return json.loads(result.read_text())
        except (FileNotFoundError, ValueError):
            log = Path(f"{result}.log")
            lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
            why = lines[-1][:300] if lines else "it was killed"
            return outcome(PENDING, f"the grader's task process died: {why}")


def _wait(pid: int, limit: float, still_ours) -> dict | None:
    """None when the process ends by itself (what it started dies with it); else it is
    killed, with everything it started, and the reason returned."""
    try:
        ended = os.pidfd_open(pid)
    except ProcessLookupError:
        return None  # done already
    try:
        deadline, next_check = time.monotonic() + limit, time.monotonic() + OWNER_CHECK_S
        while True:
            timeout = min(1.0, max(0.0, deadline - time.monotonic()))
            if select.select([ended], [], [], timeout)[0]:
                return None
            now = time.monotonic()
            stop = None
            if now >= deadline:
                stop = outcome(FAILED, f"stopped after the time limit of {limit:g} s")
            elif now >= next_check:
                next_check = now + OWNER_CHECK_S
                if not still_ours():
                    stop = outcome(PENDING, "stopped: this run no longer owns the task")
            if stop is not None:
                kill_tree(pid)  # still ours to kill: it has not ended (`ended` not readable)
                return stop
    finally:
        os.close(ended)


def stop_all() -> None:
    """Kill the task processes this process started (the grader is stopping)."""
    with _started_lock:
        for pid in list(_started):
            kill_tree(pid)
    _zygote.close()


class LocalExecutor:
    """`jobs` task processes at a time on this machine."""

    def __init__(self, jobs: int):
        self.capacity = max(1, jobs)
        self._pool = futures.ThreadPoolExecutor(self.capacity)

    def submit(self, job: Job, task: Task, priority: int):
        return self._pool.submit(run_task, job, task)

    @staticmethod
    def wait_any(pending):
        return futures.wait(pending, return_when=futures.FIRST_COMPLETED).done

    def close(self) -> None:
        stop_all()
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Tasks on an existing Dask cluster: the scheduler decides where and when."""

    def __init__(self, scheduler: str):
        from distributed import Client
        self.client = Client(scheduler, timeout=30)

    @property
    def capacity(self) -> int:
        """One task per worker thread: a task submitted earlier would be queued behind a
        long notebook on a worker while another worker sits idle (seen: 137 s -> 110 s)."""
        return max(1, sum(self.client.nthreads().values()))

    def submit(self, job: Job, task: Task, priority: int):
        return self.client.submit(run_task, job, task, key=f"{task}-{job.run}", pure=False,
                                  priority=priority, retries=0)

    @staticmethod
    def wait_any(pending):
        from distributed import wait
        return wait(list(pending), return_when="FIRST_COMPLETED").done

    def close(self) -> None:
        self.client.close()
