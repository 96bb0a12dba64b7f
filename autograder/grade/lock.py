"""One `grade` at a time per lab and course: a lock file that names its holder.

`flock` is released by the kernel when its holder dies, however it dies, so a
killed grader never leaves a stale lock behind.
"""
from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
import time
from contextlib import contextmanager

from autograder.course import Course, GradingError


@contextmanager
def lab_lock(course: Course, lab: str):
    path = course.locks / f"{lab}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GradingError(f"{lab} is being graded by {_holder(fd)}; wait for that run "
                               f"to finish or stop it (lock: {path})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"user": getpass.getuser(), "host": socket.gethostname(),
                                  "pid": os.getpid(), "since": time.time()}).encode(), 0)
        yield
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing releases the lock


def _holder(fd: int) -> str:
    try:
        who = json.loads(os.pread(fd, 4096, 0) or b"{}")
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(who["since"]))
        return f"{who['user']} on {who['host']} (pid {who['pid']}, since {since})"
    except (ValueError, KeyError, TypeError):
        return "another grader"
