"""GloVe 6B 50d vectors for the words of the course's corpora.

The full table has 400,000 rows (80 MB); the labs need only the words that
occur in their data, so the file keeps every word of the `sentiment`,
`sms_spam`, `shakespeare` and `ud_ewt` vocabularies (lower-cased, as GloVe 6B
is) that GloVe knows, in GloVe's own order (most frequent first).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from data_prep import DataPrepError
from data_prep.datasets import sentiment, shakespeare, sms_spam, ud_ewt
from data_prep.datasets.base import Built, DatasetSpec

# Words and single punctuation marks, roughly as GloVe's tokenizer splits them.
TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)*|[^\sa-z0-9]")
DIM = 50


def corpus_vocabulary(raw: dict[str, Path]) -> set[str]:
    texts = list(sentiment.read_polarity(raw["sentence_polarity"])[0])
    texts += sms_spam.read_sms(raw["sms_spam"])[0]
    texts.append(shakespeare.read_text(raw["tinyshakespeare"]))
    vocabulary: set[str] = set()
    for text in texts:
        lowered = text.lower()
        vocabulary.update(lowered.split())
        vocabulary.update(TOKEN.findall(lowered))
    for key in ud_ewt.RAW_SPLITS.values():
        for sentence in ud_ewt.read_treebank(raw[key]):
            vocabulary.update(word.lower() for word in sentence.words)
    return vocabulary


def build(raw: dict[str, Path]) -> Built:
    try:
        index = pq.read_table(raw["glove_index"]).column(0).to_pylist()
        vectors = np.load(raw["glove_vectors"], mmap_mode="r")
    except (OSError, ValueError) as err:
        raise DataPrepError(f"GloVe files unreadable: {err}") from None
    if vectors.shape != (len(index), DIM):
        raise DataPrepError(f"GloVe vectors have shape {vectors.shape}, expected ({len(index)}, {DIM})")
    wanted = corpus_vocabulary(raw)
    rows = np.array([i for i, word in enumerate(index) if word in wanted], dtype=np.int64)
    words = [index[i] for i in rows]
    attrs = {"split_sizes": {"words": len(words)}, "dim": DIM, "glove_vocabulary_size": len(index),
             "sources": ["sentiment", "sms_spam", "shakespeare", "ud_ewt"]}
    return Built({"": {"words": words, "vectors": np.asarray(vectors[rows], dtype=np.float32)}},
                 {}, attrs)


SPEC = DatasetSpec("glove", ("glove_vectors", "glove_index"), build,
                   also_reads=("sentence_polarity", "sms_spam", "tinyshakespeare",
                               *ud_ewt.RAW_SPLITS.values()))
