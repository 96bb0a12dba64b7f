"""What a dataset module declares, and what its build function returns."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from data_prep.splits import stratified_split
from labs import storage


@dataclass
class Built:
    """A built dataset: the students' file, the grader-only file, and attributes.

    `student` and `heldout` map a group ("train", "val", "test"; "" for the
    root) to its columns; `heldout` is empty when nothing is held out.
    """
    student: dict[str, dict]
    heldout: dict[str, dict] = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    raw: tuple[str, ...]                       # keys of registry.RAW_FILES stored in the file
    build: Callable[..., Built]                # raw key -> verified local path
    also_reads: tuple[str, ...] = ()           # raw files read but not stored (a word list)
    # A generated dataset (no raw files) names its own license and generator version.
    license: str = ""
    version: str = ""
    # The test split is drawn with a per-course secret seed (`build(raw, test_seed=...)`)
    # kept in the grader-only folder, so students cannot regenerate it.
    secret_test_seed: bool = False

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.raw + self.also_reads


def labelled_text_splits(texts: list[str], labels: np.ndarray, label_names: list[str],
                         fractions: dict[str, float]) -> Built:
    """Stratified splits of a labelled text corpus; test labels are held out."""
    splits = stratified_split(labels, fractions)
    student, heldout = {}, {}
    for name, index in splits.items():
        columns = {"text": [texts[i] for i in index], "label": labels[index].astype(np.uint8)}
        if name == "test":
            heldout[name] = {"label": columns.pop("label")}
        student[name] = columns
    attrs = {
        storage.LABEL_COLUMN: "label",
        storage.LABEL_NAMES: label_names,
        storage.CLASS_COUNTS: {name: np.bincount(labels[index], minlength=len(label_names))
                               .tolist() for name, index in splits.items()},
        "split_sizes": {name: len(index) for name, index in splits.items()},
        "split_fractions": fractions,
    }
    return Built(student, heldout, attrs)
