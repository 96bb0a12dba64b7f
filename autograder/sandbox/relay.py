"""The sandboxed command's stdout and stderr, copied by the launcher up to a cap."""
from __future__ import annotations

import os
import select
import time


class Relay:
    """The command's stdout and stderr: pipes the launcher copies to its own, up to a cap.

    No descriptor of the grader's (nbgrader's log file, say) reaches the sandbox.
    """

    def __init__(self, cap: int):
        self.left = cap
        self.targets, self.write_ends = {}, []
        for target in (1, 2):
            read_end, write_end = os.pipe()
            self.targets[read_end] = target
            self.write_ends.append(write_end)

    def attach(self) -> None:
        """In the command: stdin from /dev/null, stdout and stderr into the pipes."""
        os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
        for target, write_end in zip((1, 2), self.write_ends, strict=True):
            os.dup2(write_end, target)

    def close_write_ends(self) -> None:
        for fd in self.write_ends:
            os.close(fd)
        for fd in self.targets:
            os.set_blocking(fd, False)

    def pump(self, timeout: float) -> None:
        """Copy what is ready within `timeout` seconds (or just wait, once both pipes closed)."""
        if not self.targets:
            time.sleep(timeout)
            return
        for fd in select.select(list(self.targets), [], [], timeout)[0]:
            self._copy(fd)

    def drain(self) -> None:
        for fd in list(self.targets):
            while fd in self.targets and self._copy(fd):
                pass
            if fd in self.targets:
                os.close(fd)
                del self.targets[fd]

    def _copy(self, fd: int) -> bool:
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            return False
        if not data:
            os.close(fd)
            del self.targets[fd]
            return False
        kept, self.left = data[:max(self.left, 0)], self.left - len(data)
        if kept:
            try:
                os.write(self.targets[fd], kept)
            except OSError:
                pass
        return True
