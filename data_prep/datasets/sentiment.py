"""Pang & Lee sentence polarity v1.0: 5,331 positive + 5,331 negative sentences.

The original Cornell files are latin-1 (really Windows-1252); the NLTK copy
converted them to UTF-8 but kept Windows-1252 dashes and quotes as C1 control
characters. `decode_snippets` reads either and repairs those characters.
"""
from __future__ import annotations

import re
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from data_prep import DataPrepError
from data_prep.datasets.base import Built, DatasetSpec, labelled_text_splits

LABEL_NAMES = ["negative", "positive"]
MEMBERS = {0: "sentence_polarity/rt-polarity.neg", 1: "sentence_polarity/rt-polarity.pos"}
FRACTIONS = {"train": 0.8, "val": 0.1, "test": 0.1}
C1_CONTROL = re.compile("[\u0080-\u009f]")


@lru_cache(maxsize=4)
def read_polarity(zip_path: Path) -> tuple[list[str], np.ndarray]:
    """Sentences (latin-1 in the archive) and labels, negatives first."""
    texts, labels = [], []
    try:
        with zipfile.ZipFile(zip_path) as zf:
            for label, member in MEMBERS.items():
                try:
                    raw = zf.read(member)
                except KeyError:
                    raise DataPrepError(f"{zip_path}: the archive has no member {member!r}") from None
                lines = [line.strip() for line in decode_snippets(raw).splitlines()]
                sentences = [line for line in lines if line]
                texts += sentences
                labels += [label] * len(sentences)
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise DataPrepError(f"{zip_path}: not a readable zip archive ({err})") from None
    return texts, np.array(labels, dtype=np.uint8)


def decode_snippets(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return C1_CONTROL.sub(_windows_1252, text)


def _windows_1252(match: re.Match) -> str:
    try:
        return match.group().encode("latin-1").decode("cp1252")
    except UnicodeDecodeError:
        return " "  # a byte Windows-1252 leaves undefined


def build(raw: dict[str, Path]) -> Built:
    texts, labels = read_polarity(raw["sentence_polarity"])
    return labelled_text_splits(texts, labels, LABEL_NAMES, FRACTIONS)


SPEC = DatasetSpec("sentiment", ("sentence_polarity",), build)
