"""Load the course datasets that `python -m data_prep` writes.

    >>> from labs import data
    >>> train = data.load("sentiment", "train")
    >>> train["text"][:2], train["label"][:2]

Files are looked up in `$DL4NLP_DATA_DIR` if set, otherwise in a `data/`
folder in the working directory or one of its parents, so the same call works
from the repository root, from `source/lab1/` and from a released lab folder.
"""
from __future__ import annotations

import os
from pathlib import Path

import h5py

from labs import storage

DATA_DIR_ENV = "DL4NLP_DATA_DIR"
DATA_DIR = "data"  # beside the notebooks of a released lab, and in the course


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is missing; the message says how to create it."""


def dataset_path(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Where the file of dataset `name` is, or a `DatasetNotFoundError`."""
    filename = f"{name}.h5"
    candidates = _candidate_dirs(data_dir)
    for folder in candidates:
        if (folder / filename).is_file():
            return folder / filename
    looked = ", ".join(str(folder / filename) for folder in candidates)
    raise DatasetNotFoundError(
        f"dataset file {filename!r} not found (looked for {looked}). "
        f"Create it with `make data` or `python -m data_prep --only {name}` "
        f"in the course repository, or point {DATA_DIR_ENV} at the folder that holds it.")


def _candidate_dirs(data_dir) -> list[Path]:
    if data_dir is not None:
        return [Path(data_dir)]
    if os.environ.get(DATA_DIR_ENV):
        return [Path(os.environ[DATA_DIR_ENV])]
    cwd = Path.cwd().resolve()
    return [folder / DATA_DIR for folder in (cwd, *cwd.parents)]


def load(name: str, split: str | None = None, data_dir=None) -> dict:
    """Return one split of a dataset as a dict of plain NumPy arrays and lists.

    `split` is "train", "val" or "test"; leave it out for a dataset without
    splits (`glove`). Sequences (tokens, tags) come back as lists of lists.
    """
    path = dataset_path(name, data_dir)
    with h5py.File(path, "r") as f:
        if split is None:
            if any(s in f for s in storage.SPLITS):
                raise ValueError(f"dataset {name!r} has splits {_splits(f)}: pass one of them")
            return storage.read_group(f)
        if split not in f:
            raise KeyError(f"dataset {name!r} has no split {split!r}; it has {_splits(f)}")
        return storage.read_group(f[split])


def info(name: str, data_dir=None) -> dict:
    """The dataset's attributes: sizes, label names, source, license, citation."""
    with h5py.File(dataset_path(name, data_dir), "r") as f:
        return storage.read_attrs(f.attrs)


def labels(name: str, data_dir=None) -> storage.Labels:
    """The dataset's label column, class names and class counts per split."""
    return storage.labels(info(name, data_dir))


def _splits(f: h5py.File) -> list[str]:
    return [s for s in storage.SPLITS if s in f]
