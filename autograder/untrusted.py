"""Text that student code chose (file names, exception messages), made safe to print and store.

Undecodable bytes (lone surrogates) would make a UTF-8 terminal or file write
fail, and control characters would reach the instructor's terminal as escape
sequences: both are shown as backslash escapes instead.
"""
from __future__ import annotations


def printable(text: str) -> str:
    text = str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)
