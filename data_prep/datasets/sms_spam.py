"""SMS Spam Collection v.1: 5,574 messages, 13.4 % spam, `label<TAB>text` lines."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from data_prep import DataPrepError
from data_prep.datasets.base import Built, DatasetSpec, labelled_text_splits

LABEL_NAMES = ["ham", "spam"]
# More of the data goes to val/test than for `sentiment`, so that the rare class
# still has over a hundred messages in each of them.
FRACTIONS = {"train": 0.7, "val": 0.15, "test": 0.15}


@lru_cache(maxsize=4)
def read_sms(path: Path) -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise DataPrepError(f"{path}: not UTF-8 text ({err})") from None
    for lineno, line in enumerate(lines, 1):
        if not line:
            continue
        label, sep, text = line.partition("\t")
        if not sep or label not in LABEL_NAMES:
            raise DataPrepError(
                f"{path}:{lineno}: expected 'ham<TAB>text' or 'spam<TAB>text', got {line[:60]!r}")
        texts.append(text)
        labels.append(LABEL_NAMES.index(label))
    return texts, np.array(labels, dtype=np.uint8)


def build(raw: dict[str, Path]) -> Built:
    texts, labels = read_sms(raw["sms_spam"])
    return labelled_text_splits(texts, labels, LABEL_NAMES, FRACTIONS)


SPEC = DatasetSpec("sms_spam", ("sms_spam",), build)
