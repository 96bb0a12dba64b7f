"""Run one command in a sandbox: four processes, each with one job.

- the launcher (the grader's user; what nbgrader starts as the "kernel"):
  forwards signals, watches the limits, and when the command has ended copies
  the expected files out of its folder and writes the verdict;
- the namespace holder: creates new mount, PID, network, IPC and UTS
  namespaces (and, unless the grader is root, a user namespace mapping the
  grader's user to itself), opens the bind sources, and starts...
- the init (PID 1 inside): builds the new root (`rootfs`), hands the launcher
  descriptors of the writable folders, starts the command, seals Jupyter's IPC
  folder once the kernel has bound its sockets, reaps orphans, and when the
  command ends, kills whatever it left;
- the command, with the policy's environment and resource limits, no
  capabilities (its user is not root inside; under a root grader, a user of
  its own, `linux.sandbox_user`), `no_new_privs`, and a seccomp
  filter (`linux.restrict_system_calls`); its stdin is /dev/null, its stdout
  and stderr pipes that the launcher copies, up to the output limit.
"""
from __future__ import annotations

import json
import os
import resource
import signal
import socket
import stat
import sys
import time
from pathlib import Path

from autograder.sandbox import linux, rootfs
from autograder.sandbox.harvest import harvest
from autograder.sandbox.limits import disk_full, over_limit
from autograder.sandbox.policy import Policy
from autograder.sandbox.relay import Relay

WATCH_INTERVAL_S = 0.1
SETUP_TIMEOUT_S = 60
STAGE = "/tmp"               # where the new root is assembled, in the sandbox's mount namespace
HELPERS = 2                  # the namespace holder and the init: they count as processes too
OPEN_FILES = 1024
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def launch(policy: Policy, command: list[str]) -> int:
    """Run `command` under `policy`; returns its exit status (126: the sandbox failed)."""
    # Whoever started us (nbgrader) may be killed outright: the sandbox goes with it.
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    binds = rootfs.system_binds() + policy.binds
    uid, gid = linux.sandbox_user()
    if os.getuid() == 0:
        _hand_over_writable(policy, uid, gid)
    out_fd = os.open(policy.out_dir, os.O_RDONLY | os.O_DIRECTORY) if policy.out_dir else None
    ours, theirs = socket.socketpair()
    relay = Relay(policy.limits.output_bytes)
    holder = os.fork()
    if holder == 0:
        ours.close()
        _child_exit(lambda: _hold_namespaces(policy, command, binds, uid, gid, theirs, relay))
    theirs.close()
    relay.close_write_ends()
    for sig in FORWARDED:
        signal.signal(sig, lambda s, _: _signal(holder, s))

    verdict: dict = {"stopped": None, "reason": None, "notes": []}
    watched = _receive_folders(ours, verdict)
    status = (_watch(holder, watched, policy, verdict, relay) if watched is not None
              else _reap(holder))
    relay.drain()
    if watched and policy.work and out_fd is not None and verdict["stopped"] is None:
        verdict["notes"] = harvest(watched[0], policy.keep, out_fd, policy.limits.disk_bytes)
    for fd in (watched or []) + ([out_fd] if out_fd is not None else []):
        os.close(fd)
    verdict["exit_status"] = status
    if policy.status_file:
        Path(policy.status_file).write_text(json.dumps(verdict))
    if verdict["reason"] and not verdict["stopped"]:
        print(f"sandbox: {verdict['reason']}", file=sys.stderr)
    return 126 if watched is None else status


def _hand_over_writable(policy: Policy, uid: int, gid: int) -> None:
    """A root grader's writable binds (Jupyter's runtime folder) go to the sandbox's user."""
    for bind in policy.binds:
        if bind.writable:
            os.chown(bind.host, uid, gid, follow_symlinks=False)
            for entry in os.scandir(bind.host):
                os.chown(entry.path, uid, gid, follow_symlinks=False)


def _child_exit(body) -> None:
    """Run `body` in a forked child and never return into the launcher's code."""
    code = 126
    try:
        code = body()
    except BaseException as err:  # noqa: BLE001 -- reported to the launcher, then exit
        print(f"sandbox: {err}", file=sys.stderr)
    os._exit(code)


def _hold_namespaces(policy, command, binds, uid, gid, channel, relay) -> int:
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    try:
        linux.enter_namespaces()
        # Opened in the new mount namespace (a bind's source must be in it), while the
        # grader's user can still reach them.
        handles = rootfs.open_sources(binds)
    except OSError as err:
        channel.send(f"error: cannot create namespaces: {err}".encode())
        return 126
    init = os.fork()
    if init == 0:
        _child_exit(lambda: _init(policy, command, binds, handles, uid, gid, channel, relay))
    channel.close()
    for sig in FORWARDED:
        signal.signal(sig, lambda s, _: _signal(init, s))
    return _reap(init)


def _init(policy: Policy, command, binds, handles, uid, gid, channel, relay) -> int:
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    try:
        rootfs.build(policy, binds, handles, STAGE, uid, gid)
        folders = [os.open(p, os.O_RDONLY | os.O_DIRECTORY)
                   for p in (policy.work, "/tmp", "/dev/shm") if p]
    except OSError as err:
        channel.send(f"error: cannot build the sandbox: {err}".encode())
        return 126
    for handle in handles.values():
        os.close(handle)
    socket.send_fds(channel, [b"ok"], folders)
    channel.close()
    for fd in folders:
        os.close(fd)
    command_pid = os.fork()
    if command_pid == 0:
        _child_exit(lambda: _exec(policy, command, uid, gid, relay))
    for sig in FORWARDED:
        signal.signal(sig, lambda s, _: _signal(command_pid, s))
    status = _seal_when_bound(policy, command_pid) if policy.ipc_dir else None
    while status is None:  # PID 1 reaps every orphan until the command itself ends
        pid, reaped = os.wait()
        if pid == command_pid:
            status = reaped
    try:
        os.kill(-1, signal.SIGKILL)  # whatever the command left behind in the sandbox
    except ProcessLookupError:
        pass
    return _exit_code(status)


def _exec(policy: Policy, command: list[str], uid: int, gid: int, relay: Relay) -> int:
    limits = policy.limits
    # Memory: the launcher stops the whole sandbox at limits.memory_bytes of resident memory;
    # this per-process cap on data (twice that) refuses absurd allocations at once.
    resource.setrlimit(resource.RLIMIT_DATA, (2 * limits.memory_bytes,) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes + HELPERS,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES,) * 2)  # each socket may buffer
    relay.attach()
    for sig in FORWARDED:
        signal.signal(sig, signal.SIG_DFL)
    linux.drop_root(uid, gid)
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)  # a change of user clears it
    os.chdir(policy.cwd)
    linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    linux.restrict_system_calls(user_namespaces=policy.may_sandbox)
    os.execve(command[0], command, policy.env)


def _seal_when_bound(policy: Policy, command_pid: int) -> int | None:
    """Once the kernel's sockets exist, stack a read-only view of their folder on top.

    Returns the command's wait status if it ended first.

    No student code runs before the kernel has bound them (it runs only on an
    execute request, which comes after), so from then on the folder's
    entries cannot be replaced by links that would redirect the grader.
    """
    deadline = time.monotonic() + SETUP_TIMEOUT_S
    while time.monotonic() < deadline:
        sockets = [n for n in os.listdir(policy.ipc_dir)
                   if _is_socket(os.path.join(policy.ipc_dir, n))]
        if len(sockets) >= policy.ipc_sockets:
            _seal(policy.ipc_dir)
            return None
        pid, status = os.waitpid(command_pid, os.WNOHANG)
        if pid:
            return status  # ended before binding them
        time.sleep(0.002)
    _seal(policy.ipc_dir)  # a kernel that never binds them all gets no writable folder either
    return None


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False


def _seal(folder: str) -> None:
    linux.mount(folder, folder, None, linux.MS_BIND)
    linux.remount_read_only(folder)


def _receive_folders(channel: socket.socket, verdict: dict) -> list[int] | None:
    channel.settimeout(SETUP_TIMEOUT_S)
    try:
        message, fds, _, _ = socket.recv_fds(channel, 4096, 3)
    except (OSError, socket.timeout) as err:
        message, fds = f"error: no answer from the sandbox ({err})".encode(), []
    channel.close()
    if message != b"ok":
        verdict["reason"] = (message.decode(errors="replace").removeprefix("error: ")
                             or "the sandbox could not be set up")
        return None
    return fds


def _watch(holder: int, folders: list[int], policy: Policy, verdict: dict, relay: Relay) -> int:
    """Wait for the sandbox to end; stop it when it goes over a limit."""
    limits = policy.limits
    while True:
        pid, status = os.waitpid(holder, os.WNOHANG)
        if pid:  # a write that failed for want of space may have ended the command
            if disk_full(folders):
                verdict.update(stopped="disk_bytes", reason=limits.reason("disk_bytes"))
            return _exit_code(status)
        over = over_limit(holder, folders, limits)
        if over:
            verdict.update(stopped=over, reason=limits.reason(over))
            _signal(holder, signal.SIGKILL)
            return _reap(holder)
        relay.pump(WATCH_INTERVAL_S)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _reap(pid: int) -> int:
    try:
        return _exit_code(os.waitpid(pid, 0)[1])
    except ChildProcessError:
        return 126


def _exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code  # killed by signal N -> 128 + N, as a shell says


def main(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3 or args[1] != "--":
        print("usage: python -I -m autograder.sandbox POLICY.json -- COMMAND...", file=sys.stderr)
        return 2
    os.chdir("/")  # never work in a folder a student may have written
    return launch(Policy.load(args[0]), args[2:])
