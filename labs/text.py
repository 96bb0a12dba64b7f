"""Tokenisation shared by the notebooks and the grader, so both see the same words."""
from __future__ import annotations

import re

WORD = re.compile(r"[a-z]+(?:'[a-z]+)*|[0-9]+|[.,;:!?]")


def words(text: str) -> list[str]:
    """Lower-cased words and punctuation marks (. , ; : ! ?); everything else is dropped.

    >>> words("KING RICHARD III:\\nNow is the winter of our discontent.")
    ['king', 'richard', 'iii', ':', 'now', 'is', 'the', 'winter', 'of', 'our', 'discontent', '.']
    """
    return WORD.findall(text.lower())
