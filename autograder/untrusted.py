"""Reading what students made: their files and the text their code chose.

A file is opened without following links and without blocking (a FIFO would
hang the grader), and read only if it is a regular file within a size limit.
Text (file names, exception messages) is made printable: undecodable bytes
(lone surrogates) would make a UTF-8 terminal or file write fail, and control
characters would reach the instructor's terminal as escape sequences; both are
shown as backslash escapes instead.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class UntrustedFile(Exception):
    """A student's file that is not a regular file of a sensible size; the message says why."""


def read_regular(path: Path, max_bytes: int) -> bytes:
    """The bytes of `path`; FileNotFoundError if it does not exist, UntrustedFile if it is
    a link, a directory, a FIFO or other special file, unreadable or over `max_bytes`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise
    except OSError as err:
        raise UntrustedFile("a symbolic link, not a file" if err.errno == errno.ELOOP
                            else f"cannot be read: {err.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise UntrustedFile(f"a {file_kind(mode)}, not a file")
    with os.fdopen(fd, "rb") as f:
        raw = f.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise UntrustedFile(f"larger than {max_bytes} bytes")
    return raw


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is, from its `st_mode`."""
    for test, name in ((stat.S_ISDIR, "folder"), (stat.S_ISFIFO, "FIFO"),
                       (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "device"),
                       (stat.S_ISBLK, "device"), (stat.S_ISLNK, "symbolic link")):
        if test(mode):
            return name
    return "special file"


def printable(text: str) -> str:
    text = str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)
