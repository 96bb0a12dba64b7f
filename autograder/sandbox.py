"""Run a student's kernel where it can see only what it needs (Linux namespaces).

    python -m autograder.sandbox --hide DIR... --read-only PATH... --writable PATH... -- CMD...

An unprivileged user namespace with its own mount and PID namespaces:
- each `--hide` folder (the course, the repository) is covered by an empty
  tmpfs, so held-out labels, source notebooks with solutions and hidden tests,
  the gradebook and other students' work cannot be read;
- `--read-only` paths (the interpreter's environment, the `labs` package, the
  students' data) and `--writable` paths (the submission's own folder) are
  bound back in;
- every other mount becomes read-only, so the kernel cannot change the code that
  grades later submissions; /tmp is a fresh tmpfs;
- a fresh /proc shows only the sandbox's processes (no /proc/PID/root of the
  grader), and the mounts are locked by a second user namespace, so they
  cannot be undone from inside.
Plain nbgrader runs submissions with the grader's full access.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME = 1 << 14, 1 << 18, 1 << 21
# statvfs f_flag bit -> mount flag that must be kept when remounting in a user namespace
KEPT_FLAGS = {1: MS_RDONLY, 2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC, 1024: MS_NOATIME,
              2048: MS_NODIRATIME, 4096: MS_RELATIME}
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
KERNEL_FILESYSTEMS = ("/proc", "/sys", "/dev")

_libc = ctypes.CDLL(None, use_errno=True)


class SandboxError(OSError):
    pass


def _call(name: str, *args) -> None:
    if getattr(_libc, name)(*args) != 0:
        errno = ctypes.get_errno()
        raise SandboxError(errno, f"{name}{args[1:2] or ''}: {os.strerror(errno)}")


def _mount(source, target, fstype, flags, data=None) -> None:
    encode = lambda v: v.encode() if isinstance(v, str) else v  # noqa: E731
    _call("mount", encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags),
          encode(data))


def _enter_user_namespace(extra_flags: int) -> None:
    uid, gid = os.getuid(), os.getgid()
    _call("unshare", CLONE_NEWUSER | CLONE_NEWNS | extra_flags)
    for path, text in (("/proc/self/setgroups", "deny"), ("/proc/self/uid_map", f"{uid} {uid} 1"),
                       ("/proc/self/gid_map", f"{gid} {gid} 1")):
        with open(path, "w") as f:
            f.write(text)


def _kept_flags(path: str) -> int:
    flags = os.statvfs(path).f_flag
    return sum(mount_flag for bit, mount_flag in KEPT_FLAGS.items() if flags & bit)


def _mount_points() -> list[str]:
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4].encode().decode("unicode_escape") for line in f]
    return sorted(set(points))


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def build(hide: list[str], read_only: list[str], writable: list[str]) -> None:
    """Set up the namespaces and mounts in this process (before it forks the kernel)."""
    covers = {os.path.realpath(h): "mode=0755,size=1m" for h in hide}
    covers["/tmp"] = "mode=1777,size=4g"  # a fresh, private /tmp
    covers = {c: o for c, o in covers.items()
              if not any(_under(c, other) and c != other for other in covers)}
    shown = [(os.path.realpath(p), False) for p in read_only] + \
            [(os.path.realpath(p), True) for p in writable]
    shown = sorted((p, rw) for p, rw in shown if os.path.exists(p))

    _enter_user_namespace(CLONE_NEWPID)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    handles = {p: os.open(p, os.O_PATH) for p, _ in shown}  # still reachable once covered
    for folder, options in sorted(covers.items()):
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, options)
    for path, _ in shown:
        if any(_under(path, c) for c in covers):
            if os.path.isdir(f"/proc/self/fd/{handles[path]}"):
                os.makedirs(path, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, "a").close()
        _mount(f"/proc/self/fd/{handles[path]}", path, None, MS_BIND | MS_REC)
        os.close(handles[path])
    stay_writable = ["/tmp", *(p for p, rw in shown if rw)]
    for point in _mount_points():
        if any(_under(point, k) for k in KERNEL_FILESYSTEMS) or point in stay_writable:
            continue
        _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _kept_flags(point))


def run(command: list[str]) -> int:
    """Fork the sandbox's first process, lock the mounts, exec `command`; wait for it."""
    cwd = os.getcwd()
    child = os.fork()
    if child == 0:
        try:
            _call("prctl", PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            # The old working directory still points into the uncovered tree: enter it anew.
            os.chdir(cwd if os.path.isdir(cwd) else "/tmp")
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            _enter_user_namespace(0)  # mounts inherited from a more privileged namespace are locked
            _call("prctl", PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
            os.environ.update(HOME="/tmp", MPLCONFIGDIR="/tmp/matplotlib", TMPDIR="/tmp")
            os.execvp(command[0], command)
        except BaseException as err:  # never return into the parent's code
            print(f"sandbox: {err}", file=sys.stderr)
        os._exit(127)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, _: os.kill(child, signal.SIGKILL if s != signal.SIGINT else s))
    while True:
        try:
            _, status = os.waitpid(child, 0)
            return os.waitstatus_to_exitcode(status)
        except InterruptedError:
            continue


def available() -> str | None:
    """None if a sandbox can be made on this machine, else the reason it cannot."""
    pid = os.fork()
    if pid == 0:
        try:
            _enter_user_namespace(CLONE_NEWPID)
            _mount(None, "/", None, MS_REC | MS_PRIVATE)
            os._exit(0)
        except OSError:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 0:
        return None
    return ("this machine does not allow unprivileged user namespaces "
            "(see `sysctl kernel.unprivileged_userns_clone` and AppArmor's userns restriction)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.sandbox")
    parser.add_argument("--hide", action="append", default=[])
    parser.add_argument("--read-only", action="append", default=[])
    parser.add_argument("--writable", action="append", default=[])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given after --")
    try:
        build(args.hide, args.read_only, args.writable)
    except OSError as err:
        print(f"sandbox: cannot set up: {err}", file=sys.stderr)
        return 126
    return run(command)


if __name__ == "__main__":
    sys.exit(main())
