"""Run student code where it can reach only what it needs (Linux namespaces, no root).

    python -I -m autograder.sandbox POLICY.json -- COMMAND...

`policy.Policy` says what the command sees (an allow-list of read-only binds,
one writable folder, a private /tmp), which limits it has and which files are
taken from its folder afterwards; `launcher` runs it (`limits` watches it,
`relay` copies its output); `rootfs` builds its file system; `harvest` copies
the expected files out; `grading` holds the grader's two policies.
`docs/grading.md` ("Threat model") lists what this promises and how.
"""
from __future__ import annotations

import os
import signal

from autograder.sandbox import linux
from autograder.sandbox.linux import SandboxError
from autograder.sandbox.policy import Bind, Policy, base_env, python_binds

__all__ = ["Bind", "Policy", "SandboxError", "available", "base_env", "python_binds"]


def available() -> str | None:
    """None if a sandbox can be made on this machine, else the reason it cannot."""
    pid = os.fork()
    if pid == 0:
        try:
            signal.alarm(10)
            linux.enter_namespaces()
            linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
            linux.mount("sandbox", "/tmp", "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "size=1m")
            os._exit(0)
        except BaseException:  # noqa: BLE001 -- any failure means: not available
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 0:
        return None
    return ("this machine does not allow unprivileged user, mount, PID and network namespaces "
            "(see `sysctl kernel.unprivileged_userns_clone`, `user.max_user_namespaces` and "
            "AppArmor's restrict_unprivileged_userns)")
