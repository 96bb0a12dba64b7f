"""Tiny Shakespeare (1,115,394 characters) cut into contiguous train/val/test text.

The test text is held out: for a language model the text is its own label.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from data_prep import DataPrepError
from data_prep.datasets.base import Built, DatasetSpec
from data_prep.splits import contiguous_split

FRACTIONS = {"train": 0.9, "val": 0.05, "test": 0.05}


@lru_cache(maxsize=4)
def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DataPrepError(f"{path}: not UTF-8 text ({err})") from None


def build(raw: dict[str, Path]) -> Built:
    text = read_text(raw["tinyshakespeare"])
    ranges = contiguous_split(text, FRACTIONS)
    parts = {name: {"text": text[start:stop]} for name, (start, stop) in ranges.items()}
    heldout = {"test": parts.pop("test")}
    attrs = {
        "char_ranges": {name: list(r) for name, r in ranges.items()},
        "split_sizes": {name: stop - start for name, (start, stop) in ranges.items()},
    }
    return Built(parts, heldout, attrs)


SPEC = DatasetSpec("shakespeare", ("tinyshakespeare",), build)
