"""Tokens shared by the notebooks and the grader: the words, the special tokens, the ids.

Both sides turn text into ids with these rules, so both see the same words: a
token a vocabulary lacks gets the id of that vocabulary's unknown entry (`UNK`
for the word models and the date translators; for the character models, which
have no `<unk>`, the entry at id 0).
"""
from __future__ import annotations

import re

import numpy as np

PAD, UNK = "<pad>", "<unk>"   # padding (id 0 where sequences are padded), the unknown token

WORD = re.compile(r"[a-z]+(?:'[a-z]+)*|[0-9]+|[.,;:!?]")


def words(text: str) -> list[str]:
    """Lower-cased words and punctuation marks (. , ; : ! ?); everything else is dropped.

    >>> words("KING RICHARD III:\\nNow is the winter of our discontent.")
    ['king', 'richard', 'iii', ':', 'now', 'is', 'the', 'winter', 'of', 'our', 'discontent', '.']
    """
    return WORD.findall(text.lower())


def ids(tokens, vocabulary: list[str], unknown: str = UNK) -> np.ndarray:
    """int64 ids of `tokens` in `vocabulary` (position = id); a token the vocabulary lacks
    gets the id of `unknown`, which it must hold."""
    index = {token: i for i, token in enumerate(vocabulary)}
    if unknown not in index:
        raise ValueError(f"the vocabulary has no {unknown!r} entry for unknown tokens")
    fallback = index[unknown]
    return np.fromiter((index.get(token, fallback) for token in tokens), dtype=np.int64)
