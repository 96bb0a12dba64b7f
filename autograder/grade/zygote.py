"""Task processes forked from one that has imported nbgrader already.

Starting Python and importing nbgrader takes ~3 s of CPU, more than the rest of
the grader's work on a notebook. An executor process (the grader, or a Dask
worker) starts one zygote (`python -I -c "...serve()"`: with `-m`, runpy would warn
that the package had imported this module already), which
imports what a task needs and then, for each line `TASK RESULT` on its stdin,
forks a task process and answers with its pid. The task process runs in a
session of its own, dies with the zygote, and the zygote dies with the thread
that started it (PR_SET_PDEATHSIG); its output goes to RESULT.log.
"""
from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import threading

from autograder.course import die_with_parent

PRELOAD = ("autograder.grade.runner", "autograder.grade.steps", "nbgrader.apps.nbgraderapp",
           "nbgrader.apps.autogradeapp", "nbgrader.converters.autograde", "nbclient")


def serve() -> None:
    die_with_parent()
    for module in PRELOAD:
        importlib.import_module(module)
    from autograder.grade import runner
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the task processes
    for line in sys.stdin:
        spec, result = line.split()
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # tasks wait for their children
                os.setsid()
                die_with_parent()
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # not the zygote's requests
                log = os.open(f"{result}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(log, 1)
                os.dup2(log, 2)
                status = runner.main([spec, result])
            finally:
                os._exit(status)
        print(pid, flush=True)


class Zygote:
    """The executor's side: `fork(task, result)` -> the task process's pid."""

    def __init__(self):
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None

    def fork(self, spec: str, result: str) -> int:
        with self._lock:
            for _ in range(2):  # a zygote that died (killed, say) is started again, once
                if self._process is None or self._process.poll() is not None:
                    self._process = subprocess.Popen(
                        [sys.executable, "-I", "-c",
                         "from autograder.grade.zygote import serve; serve()"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                        start_new_session=True)
                try:
                    self._process.stdin.write(f"{spec} {result}\n")
                    self._process.stdin.flush()
                    answer = self._process.stdout.readline()
                    if answer.strip():
                        return int(answer)
                except BrokenPipeError:
                    pass
                self._process.kill()
                self._process.wait()
            raise OSError("the task process factory (zygote) does not start")

    def close(self) -> None:
        with self._lock:
            if self._process is not None:
                self._process.kill()
                self._process.wait()
                self._process = None

