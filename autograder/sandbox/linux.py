"""The few Linux system calls the sandbox needs, through libc (Python 3.11 has no os.unshare)."""
from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 1 << 14, 1 << 18
MNT_DETACH = 2
# statvfs f_flag bit -> mount flag a bind remount in a user namespace must keep (else EPERM)
_KEPT_FLAGS = {1: MS_RDONLY, 2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC, 1024: 1024, 2048: 2048,
               4096: 1 << 21}
PR_SET_PDEATHSIG, PR_SET_SECCOMP, PR_SET_NO_NEW_PRIVS = 1, 22, 38
SYS_PIVOT_ROOT = 155  # x86_64
# A root grader runs each sandbox's command as a user of its own, above this base (plus
# the launcher's PID, unique while it runs): Linux exempts a process whose real user is
# root from RLIMIT_NPROC, and a user of its own keeps one sandbox's process count (and
# signals) apart from another's. These users need no entry in /etc/passwd.
SANDBOX_UID_BASE = 2_000_000

_libc = ctypes.CDLL(None, use_errno=True)


class SandboxError(OSError):
    pass


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise SandboxError(errno, f"{what}: {os.strerror(errno)}")


def _bytes(value):
    return value.encode() if isinstance(value, str) else value


def mount(source, target: str, fstype=None, flags: int = 0, data=None) -> None:
    _check(_libc.mount(_bytes(source), _bytes(target), _bytes(fstype), ctypes.c_ulong(flags),
                       _bytes(data)), f"mount {target}")


def remount_read_only(target: str) -> None:
    """Make one mount point read-only, keeping the flags a user namespace may not drop."""
    kept = sum(flag for bit, flag in _KEPT_FLAGS.items() if os.statvfs(target).f_flag & bit)
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def pivot_root_here() -> None:
    """Make the working directory the root, and detach the old root beneath it."""
    _check(_libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", ctypes.c_int(MNT_DETACH)), "umount old root")
    os.chdir("/")


def prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl {option}")


def enter_namespaces() -> None:
    """New mount, PID, network, IPC and UTS namespaces for this process's children.

    Root needs no user namespace for that (and the command is later run as
    `UNPRIVILEGED_UID`); anyone else gets one that maps their user to itself,
    so the command, not root inside, loses every capability when it is executed.
    """
    if os.getuid() == 0:
        unshare(NAMESPACES & ~CLONE_NEWUSER)
        return
    uid, gid = os.getuid(), os.getgid()
    unshare(NAMESPACES)
    for path, text in (("/proc/self/setgroups", "deny"), ("/proc/self/uid_map", f"{uid} {uid} 1"),
                       ("/proc/self/gid_map", f"{gid} {gid} 1")):
        with open(path, "w") as f:
            f.write(text)


def sandbox_user() -> tuple[int, int]:
    """The user and group the launcher's sandboxed command runs as (call it in the launcher)."""
    if os.getuid() == 0:
        return SANDBOX_UID_BASE + os.getpid(), SANDBOX_UID_BASE + os.getpid()
    return os.getuid(), os.getgid()


def drop_root(uid: int, gid: int) -> None:
    """A root sandbox's command becomes `uid`: no capabilities left, RLIMIT_NPROC holds."""
    if os.getuid() == 0:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)


def loopback_up() -> None:
    """Bring up `lo` in a new network namespace: 127.0.0.1 inside, nothing outside."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s, siocgifflags, request))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sH22x", b"lo", flags | iff_up))


def mount_points() -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4].encode().decode("unicode_escape") for line in f]


# --- seccomp: what no limit would count ------------------------------------------------------
# Refused to the sandboxed command (and everything it starts):
# - a user namespace of its own (unshare/clone with CLONE_NEWUSER): there, code without
#   capabilities gets them all back and could mount a tmpfs of any size; clone3's flags
#   cannot be read by the filter, so it is refused and glibc falls back to clone;
# - memory that no process's resident memory shows: memfd_create, memfd_secret, System V
#   shared memory, message queues (POSIX ones too) and semaphores; and the kernel keyring,
#   which outlives the sandbox and would let one submission leave data for another;
# - every system call not made through the x86-64 ABI (int 0x80, x32): other numbers.
_AUDIT_ARCH_X86_64, _X32_BIT = 0xC000003E, 0x40000000
_SYS_CLONE, _SYS_UNSHARE = 56, 272
_REFUSED = {"shmget": 29, "semget": 64, "msgget": 68, "mq_open": 240, "add_key": 248,
            "request_key": 249, "keyctl": 250, "memfd_create": 319, "clone3": 435,
            "memfd_secret": 447}
_LD, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _EPERM, _ENOSYS = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38


def _filter(user_namespaces: bool) -> list[tuple[int, int, int, int]]:
    """(code, jump if true, jump if false, k); offsets into struct seccomp_data."""
    ops = [(_LD, 0, 0, 4), (_JEQ, 1, 0, _AUDIT_ARCH_X86_64), (_RET, 0, 0, _ENOSYS),
           (_LD, 0, 0, 0), (_JGE, 0, 1, _X32_BIT), (_RET, 0, 0, _ENOSYS)]
    for name, number in _REFUSED.items():
        if not (user_namespaces and name == "clone3"):
            ops += [(_JEQ, 0, 1, number), (_RET, 0, 0, _ENOSYS)]
    if user_namespaces:
        return ops + [(_RET, 0, 0, _ALLOW)]
    return ops + [(_JEQ, 2, 0, _SYS_UNSHARE), (_JEQ, 1, 0, _SYS_CLONE), (_RET, 0, 0, _ALLOW),
                  (_LD, 0, 0, 16), (_JSET, 0, 1, CLONE_NEWUSER),  # flags: args[0], low half
                  (_RET, 0, 0, _EPERM), (_RET, 0, 0, _ALLOW)]


def restrict_system_calls(user_namespaces: bool = False) -> None:
    """Install the filter above for this process and everything it starts (needs no_new_privs)."""
    ops = _filter(user_namespaces)
    filters = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *op) for op in ops))
    program = ctypes.create_string_buffer(
        struct.pack("HxxxxxxQ", len(ops), ctypes.addressof(filters)))
    _check(_libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(2), program, 0, 0), "seccomp")
