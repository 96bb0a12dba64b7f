"""Deterministic splits: stratified for labelled items, contiguous for running text."""
from __future__ import annotations

import numpy as np

SPLIT_SEED = 20261122


def stratified_split(labels: np.ndarray, fractions: dict[str, float],
                     seed: int = SPLIT_SEED) -> dict[str, np.ndarray]:
    """Split item indices so that every split keeps the class proportions.

    Each class is shuffled with `seed` and cut by `fractions` (the last split
    takes the rest); each split's indices are then shuffled once more, so no
    split is ordered by class. Returns {split: indices}.
    """
    if abs(sum(fractions.values()) - 1.0) > 1e-9:
        raise ValueError(f"split fractions must add up to 1: {fractions}")
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in fractions}
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        start = 0
        for i, (name, fraction) in enumerate(fractions.items()):
            stop = len(members) if i == len(fractions) - 1 else start + round(fraction * len(members))
            parts[name].append(members[start:stop])
            start = stop
    return {name: rng.permutation(np.concatenate(chunks)) for name, chunks in parts.items()}


def contiguous_split(text: str, fractions: dict[str, float]) -> dict[str, tuple[int, int]]:
    """Cut running text into consecutive [start, stop) character ranges.

    Each cut is moved forward to the next blank line (a paragraph or speech
    boundary in Tiny Shakespeare), so no split starts mid-word or mid-speech.
    """
    ranges, start, cumulative = {}, 0, 0.0
    names = list(fractions)
    for name in names[:-1]:
        cumulative += fractions[name]
        cut = text.find("\n\n", round(cumulative * len(text)))
        stop = len(text) if cut < 0 else cut + 2
        ranges[name] = (start, stop)
        start = stop
    ranges[names[-1]] = (start, len(text))
    return ranges
