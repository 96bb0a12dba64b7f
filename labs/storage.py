"""The HDF5 conventions every dataset file follows, for writers and readers alike.

One file per dataset; one group per split (`train`, `val`, `test`) or, for a
dataset without splits, datasets at the root. Variable-length sequences are
stored flat, with one `offsets` array per group (int64, length n + 1): item i is
`flat[offsets[i]:offsets[i + 1]]`. The group attribute `ragged` lists the
datasets stored that way. Strings are UTF-8 (`h5py.string_dtype`). File
attributes that hold structured values (mappings, lists) are JSON strings.
A labelled dataset names its column of class ids (`label_column`; held out in
the test split), the class names (`label_names`) and how many labels of each
class every split has (`class_counts`): read them with `labels`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import h5py
import numpy as np

SCHEMA_VERSION = 1
SPLITS = ("train", "val", "test")
OFFSETS = "offsets"
RAGGED_ATTR = "ragged"
JSON_ATTRS = ("raw_sha256", "source_urls", "split_sizes", "split_fractions", "label_names",
              "class_counts", "token_counts", "char_ranges", "sources",
              "formats", "format_counts")
STRING = h5py.string_dtype("utf-8")
LABEL_COLUMN, LABEL_NAMES, CLASS_COUNTS = "label_column", "label_names", "class_counts"


@dataclass(frozen=True)
class Labels:
    """What a labelled dataset's attributes say of its labels."""
    column: str                       # the column of class ids (per item, or per token)
    names: list[str]                  # class id -> name
    counts: dict[str, list[int]]      # split -> labels of each class

    def size(self, split: str) -> int:
        """How many labels `split` has: one per item, or per token of a tagged corpus."""
        return sum(self.counts[split])


def labels(attrs: dict) -> Labels:
    """The labels of a dataset from its file attributes (`read_attrs`)."""
    if LABEL_COLUMN not in attrs:
        raise ValueError(f"dataset {attrs.get('dataset', '?')!r} has no labels")
    return Labels(attrs[LABEL_COLUMN], attrs[LABEL_NAMES], attrs[CLASS_COUNTS])


def flatten(sequences) -> tuple[list, np.ndarray]:
    """Concatenate sequences and return (flat items, offsets of length n + 1)."""
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = [item for seq in sequences for item in seq]
    return flat, offsets


def unflatten(flat, offsets: np.ndarray) -> list:
    """Inverse of `flatten`: split `flat` back into its sequences."""
    return [flat[start:stop] for start, stop in zip(offsets[:-1], offsets[1:])]


def read_group(group: h5py.Group) -> dict:
    """Read every dataset of a group into plain Python/NumPy values.

    Strings come back as `str` (a list, or a single str for a scalar), numbers as
    NumPy arrays, ragged datasets as lists of per-item sequences.
    """
    ragged = set(group.attrs.get(RAGGED_ATTR, []))
    offsets = group[OFFSETS][()] if OFFSETS in group else None
    fields = {}
    for key, dset in group.items():
        if not isinstance(dset, h5py.Dataset) or key == OFFSETS:
            continue
        value = _read_dataset(dset)
        fields[key] = unflatten(value, offsets) if key in ragged else value
    return fields


def _read_dataset(dset: h5py.Dataset):
    if h5py.check_string_dtype(dset.dtype) is not None:
        if dset.shape == ():
            return dset.asstr()[()]
        return dset.asstr()[...].tolist()
    return dset[()]


def read_attrs(attrs: h5py.AttributeManager) -> dict:
    """File attributes as Python values, JSON-encoded ones decoded."""
    out = {}
    for key, value in attrs.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        if key in JSON_ATTRS:
            value = json.loads(value)
        elif isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return out
