"""Take the expected files out of a sandbox's folder, trusting nothing in it.

Each expected path is opened component by component beneath the folder's
descriptor without following links (O_NOFOLLOW), and without blocking (a FIFO
opens at once); only a regular file within the size limit is copied, into a
folder the sandbox never had. Links, FIFOs, sockets, folders where a file is
expected and oversized files are dropped with a note; so is everything not
expected.
"""
from __future__ import annotations

import errno
import os
import stat

from autograder.untrusted import file_kind, printable

CHUNK = 1 << 20
LISTED = 5  # unexpected names quoted in the note


def harvest(work_fd: int, keep: list[str], out_fd: int, max_bytes: int) -> list[str]:
    """Copy the `keep` files from `work_fd` into `out_fd`; returns notes on what was dropped."""
    notes = []
    for relative in keep:
        try:
            source = _open_beneath(work_fd, relative)
        except FileNotFoundError:
            continue  # a missing artifact is the scorer's to report
        except OSError as err:
            notes.append(f"{relative}: dropped ({_why(err)})")
            continue
        try:
            info = os.fstat(source)
            if not stat.S_ISREG(info.st_mode):
                notes.append(f"{relative}: dropped (a {file_kind(info.st_mode)}, not a file)")
            elif info.st_size > max_bytes:
                notes.append(f"{relative}: dropped (larger than {max_bytes} bytes)")
            elif not _copy(source, out_fd, relative, max_bytes):
                notes.append(f"{relative}: dropped (it grew while being copied)")
        finally:
            os.close(source)
    unexpected = _unexpected(work_fd, keep)
    if unexpected:
        shown = ", ".join(unexpected[:LISTED]) + (" …" if len(unexpected) > LISTED else "")
        notes.append(f"{len(unexpected)} other file(s) left in the folder were not kept: {shown}")
    return notes


def _open_beneath(dir_fd: int, relative: str) -> int:
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"not a plain relative path: {relative!r}")
    fd = os.dup(dir_fd)
    try:
        for part in parts[:-1]:
            child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = child
        return os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY,
                       dir_fd=fd)
    finally:
        os.close(fd)


def _copy(source: int, out_fd: int, relative: str, max_bytes: int) -> bool:
    *folders, name = relative.split("/")
    parent = os.dup(out_fd)
    try:
        for folder in folders:
            try:
                os.mkdir(folder, 0o755, dir_fd=parent)
            except FileExistsError:
                pass
            child = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent)
            os.close(parent)
            parent = child
        try:
            os.unlink(name, dir_fd=parent)
        except FileNotFoundError:
            pass
        target = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644,
                         dir_fd=parent)
        copied = 0
        try:
            while chunk := os.read(source, CHUNK):
                copied += len(chunk)
                if copied > max_bytes:
                    break
                os.write(target, chunk)
        finally:
            os.close(target)
        if copied > max_bytes:
            os.unlink(name, dir_fd=parent)
            return False
        return True
    finally:
        os.close(parent)


def _unexpected(work_fd: int, keep: list[str]) -> list[str]:
    expected = set(keep) | {os.path.dirname(k) for k in keep}
    found = []
    for top, dirs, files, _ in os.fwalk(".", dir_fd=work_fd, follow_symlinks=False):
        for name in [*files, *dirs]:
            path = os.path.normpath(os.path.join(top, name))
            if path not in expected:
                found.append(printable(path))
        dirs[:] = [d for d in dirs if os.path.normpath(os.path.join(top, d)) in expected]
        if len(found) > 1000:
            break
    return sorted(found)


def _why(err: OSError) -> str:
    if err.errno == errno.ELOOP:
        return "a symbolic link"
    if err.errno == errno.ENOTDIR:
        return "a folder on its path is a link or a file"
    return os.strerror(err.errno) if err.errno else str(err)
