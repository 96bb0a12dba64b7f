"""UD English Web Treebank v2.16: words + UPOS tags, official train/dev/test.

The official `dev` split is called `val` here, like in every other dataset.
Students get the test words without tags; the tags are held out.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from data_prep import conllu
from data_prep.datasets.base import Built, DatasetSpec
from data_prep.h5write import Ragged
from labs import storage

RAW_SPLITS = {"train": "ud_ewt_train", "val": "ud_ewt_dev", "test": "ud_ewt_test"}
TAG_ID = {tag: i for i, tag in enumerate(conllu.UPOS_TAGS)}


@lru_cache(maxsize=8)
def read_treebank(path: Path) -> list[conllu.Sentence]:
    with open(path, encoding="utf-8") as f:
        return conllu.parse(f, path.name)


def build(raw: dict[str, Path]) -> Built:
    student, heldout, sizes, tokens, tag_counts = {}, {}, {}, {}, {}
    for split, key in RAW_SPLITS.items():
        sentences = read_treebank(raw[key])
        tags = [np.array([TAG_ID[t] for t in s.upos], dtype=np.uint8) for s in sentences]
        columns = {"sent_id": [s.sent_id for s in sentences],
                   "words": Ragged([s.words for s in sentences]),
                   "upos": Ragged(tags)}
        if split == "test":
            heldout[split] = {"sent_id": columns["sent_id"], "upos": columns.pop("upos")}
        student[split] = columns
        sizes[split] = len(sentences)
        tokens[split] = sum(len(s.words) for s in sentences)
        tag_counts[split] = np.bincount(np.concatenate(tags), minlength=len(TAG_ID)).tolist()
    attrs = {storage.LABEL_COLUMN: "upos", storage.LABEL_NAMES: list(conllu.UPOS_TAGS),
             storage.CLASS_COUNTS: tag_counts, "split_sizes": sizes, "token_counts": tokens}
    return Built(student, heldout, attrs)


SPEC = DatasetSpec("ud_ewt", tuple(RAW_SPLITS.values()), build)
