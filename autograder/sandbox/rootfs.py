"""A new root file system built from an allow-list, for one sandboxed process tree.

Runs in the sandbox's first process (PID 1 of its PID namespace, in its own user
and mount namespaces). The root is an empty tmpfs; into it go, read-only, the
system's `/usr` (and the `/bin`, `/lib`… links to it), the dynamic linker cache,
a minimal `/dev`, a `/proc` of the sandbox's own PID namespace, a few generated
`/etc` files and the policy's binds; writable are only a size-limited `/tmp`,
`/dev/shm`, the policy's `work` folder and its writable binds. Then
`pivot_root` makes it `/` and the old root is detached: no path leads back.
"""
from __future__ import annotations

import os
import socket

from autograder.sandbox import linux
from autograder.sandbox.policy import Bind, Policy

SYSTEM = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
DEVICES = ("null", "zero", "full", "random", "urandom")
ETC_FILES = ("ld.so.cache", "ld.so.conf", "localtime", "fonts")  # fonts: fontconfig warns without
SHM_BYTES = 64 * 1024**2
# A tmpfs file's extended attributes live in kernel memory that no size limit counts,
# up to about 1 KB per inode allowed: the number of files bounds them too.
FILES_PER_MOUNT, SHM_FILES = 16384, 1024
HOSTNAME = "sandbox"


def system_binds() -> list[Bind]:
    """What every sandboxed program needs from the host system, read-only."""
    binds = [Bind(f"/{name}", f"/{name}") for name in SYSTEM
             if os.path.isdir(f"/{name}") and not os.path.islink(f"/{name}")]
    binds += [Bind(f"/dev/{name}", f"/dev/{name}") for name in DEVICES]
    binds += [Bind(f"/etc/{name}", f"/etc/{name}") for name in ETC_FILES
              if os.path.exists(f"/etc/{name}")]
    return binds


def open_sources(binds: list[Bind]) -> dict[str, int]:
    """An O_PATH handle on each bind source, opened while the grader can still reach it."""
    handles = {}
    for bind in binds:
        if bind.host not in handles:
            handles[bind.host] = os.open(bind.host, os.O_PATH)
    return handles


def build(policy: Policy, binds: list[Bind], handles: dict[str, int], stage: str,
          uid: int, gid: int) -> None:
    """Mount the new root at `stage` and make it `/` (this process's mount namespace only)."""
    linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
    disk = f"size={policy.limits.disk_bytes},nr_inodes={FILES_PER_MOUNT}"
    linux.mount("sandbox", stage, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "mode=0755,size=8m")
    for name in SYSTEM:  # merged-/usr systems: /bin, /lib… are links into /usr
        if os.path.islink(f"/{name}"):
            os.symlink(os.readlink(f"/{name}"), f"{stage}/{name}")
    tmpfs = {"/tmp": f"mode=1777,{disk}", "/dev": "mode=0755,size=64k,nr_inodes=64",
             "/dev/shm": f"mode=1777,size={SHM_BYTES},nr_inodes={SHM_FILES}"}
    if policy.work:
        tmpfs[policy.work] = f"mode=0755,uid={uid},gid={gid},{disk}"
    mounts = [(path, ("tmpfs", options)) for path, options in tmpfs.items()]
    mounts += [(b.inside, ("bind", b)) for b in binds]
    bound: list[str] = []
    for inside, (kind, what) in sorted(mounts, key=lambda m: m[0].rstrip("/").split("/")):
        target = stage + inside
        if kind == "tmpfs":
            os.makedirs(target, exist_ok=True)
            linux.mount("sandbox", target, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, what)
            continue
        _mount_point(target, os.path.isdir(f"/proc/self/fd/{handles[what.host]}"),
                     inside_bind=any(_under(inside, b) for b in bound))
        linux.mount(f"/proc/self/fd/{handles[what.host]}", target, None,
                    linux.MS_BIND | linux.MS_REC)
        bound.append(inside)
    _write_etc(stage, uid, gid)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{stage}/dev/{name}")
    os.makedirs(f"{stage}/proc", exist_ok=True)
    linux.mount("proc", f"{stage}/proc", "proc", linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC,
                "hidepid=invisible")  # the processes of other users (a root init) are not there

    writable = {stage + p for p in ("/tmp", "/dev/shm", policy.work) if p}
    writable |= {stage + b.inside for b in binds if b.writable}
    for point in linux.mount_points():  # ours, what came with recursive binds, and the
        # grader's own mounts under the stage folder, hidden by it (and detached below)
        if (_under(point, stage) and point not in writable and not _under(point, f"{stage}/proc")
                and os.path.lexists(point)):
            linux.remount_read_only(point)
    os.chdir(stage)
    linux.pivot_root_here()
    linux.loopback_up()
    socket.sethostname(HOSTNAME)


def _mount_point(target: str, is_dir: bool, inside_bind: bool) -> None:
    if os.path.lexists(target):
        return
    if inside_bind:  # creating it would write into a host folder
        raise linux.SandboxError(0, f"{target}: no mount point for a bind inside another bind")
    if is_dir:
        os.makedirs(target)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))


def _write_etc(stage: str, uid: int, gid: int) -> None:
    files = {"passwd": f"root:x:0:0::/:/usr/sbin/nologin\n"
                       f"student:x:{uid}:{gid}::/tmp:/usr/sbin/nologin\n",
             "group": f"root:x:0:\nstudent:x:{gid}:\n",
             "hosts": "127.0.0.1 localhost\n::1 localhost\n", "hostname": f"{HOSTNAME}\n",
             "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n"}
    os.makedirs(f"{stage}/etc", exist_ok=True)
    for name, text in files.items():
        with open(f"{stage}/etc/{name}", "w") as f:
            f.write(text)


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")
