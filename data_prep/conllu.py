"""A strict CoNLL-U reader for what the labs need: word forms and UPOS tags.

Comment lines (`# ...`) give the sentence id; multiword-token ranges (`3-4`)
and empty nodes (`8.1`) are skipped, so a sentence is its sequence of
syntactic words, as the UPOS annotation is. A malformed line raises a
`DataPrepError` naming the file and line number.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from data_prep import DataPrepError

UPOS_TAGS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART",
             "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X")
N_COLUMNS = 10
WORD_ID = re.compile(r"[1-9][0-9]*")
RANGE_ID = re.compile(r"([1-9][0-9]*)-([1-9][0-9]*)")
EMPTY_ID = re.compile(r"(0|[1-9][0-9]*)\.[1-9][0-9]*")


@dataclass
class Sentence:
    sent_id: str
    words: list[str]
    upos: list[str]


def parse(lines: Iterable[str], source: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    current = Sentence("", [], [])
    start_line = 1

    def fail(lineno: int, message: str):
        raise DataPrepError(f"{source}:{lineno}: {message}")

    def finish(lineno: int):
        nonlocal current
        if current.words:
            sentences.append(current)
        elif current.sent_id:
            fail(lineno, f"sentence {current.sent_id!r} has no words")
        current = Sentence("", [], [])

    lineno = 0
    for lineno, raw_line in enumerate(lines, 1):
        line = raw_line.rstrip("\n").rstrip("\r")
        if not line.strip():
            finish(lineno)
            start_line = lineno + 1
            continue
        if line.startswith("#"):
            if current.words:
                fail(lineno, "comment line inside a sentence (missing blank line?)")
            key, sep, value = line[1:].partition("=")
            if sep and key.strip() == "sent_id":
                current.sent_id = value.strip()
            continue
        columns = line.split("\t")
        if len(columns) != N_COLUMNS:
            fail(lineno, f"expected {N_COLUMNS} tab-separated columns, found {len(columns)}")
        token_id, form, upos = columns[0], columns[1], columns[3]
        if RANGE_ID.fullmatch(token_id) or EMPTY_ID.fullmatch(token_id):
            continue
        if not WORD_ID.fullmatch(token_id):
            fail(lineno, f"invalid word ID {token_id!r}")
        if int(token_id) != len(current.words) + 1:
            fail(lineno, f"word ID {token_id} out of sequence (expected {len(current.words) + 1})")
        if upos not in UPOS_TAGS:
            fail(lineno, f"unknown UPOS tag {upos!r}")
        if not current.sent_id:
            current.sent_id = f"{source}:{start_line}"
        current.words.append(form)
        current.upos.append(upos)
    finish(lineno + 1)
    return sentences
