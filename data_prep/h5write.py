"""Write a dataset file by the conventions of `labs.storage`, atomically."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from labs import storage

COMPRESS_ABOVE_BYTES = 64 * 1024


@dataclass
class Ragged:
    """A column of variable-length sequences (stored flat + offsets)."""
    sequences: list


def smallest_int_dtype(values: np.ndarray) -> np.dtype:
    """The narrowest integer dtype (unsigned where possible) that holds `values`."""
    if values.size == 0:
        return np.dtype(np.uint8)
    low, high = int(values.min()), int(values.max())
    kinds = (np.uint8, np.uint16, np.uint32, np.uint64) if low >= 0 else (
        np.int8, np.int16, np.int32, np.int64)
    for kind in kinds:
        info = np.iinfo(kind)
        if info.min <= low and high <= info.max:
            return np.dtype(kind)
    raise ValueError(f"integers out of range: {low}..{high}")


def write_h5(path: Path, groups: dict[str, dict], attrs: dict) -> None:
    """Write `groups` ({group: {column: values}}; group "" is the root) to `path`.

    The file appears under its name only once it is complete: it is written to
    a temporary file in the same folder and renamed into place.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with h5py.File(tmp, "w", track_order=True) as f:
            for key, value in attrs.items():
                f.attrs[key] = json.dumps(value) if key in storage.JSON_ATTRS else value
            for name, columns in groups.items():
                _write_group(f.require_group(name) if name else f, columns)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_group(group: h5py.Group, columns: dict) -> None:
    ragged = {k: v.sequences for k, v in columns.items() if isinstance(v, Ragged)}
    if ragged:
        offsets = None
        for key, sequences in ragged.items():
            flat, these = storage.flatten(sequences)
            if offsets is not None and not np.array_equal(offsets, these):
                raise ValueError(f"ragged columns of {group.name} differ in their lengths")
            offsets = these
            columns = {**columns, key: flat}
        _write_array(group, storage.OFFSETS, offsets)
        group.attrs[storage.RAGGED_ATTR] = sorted(ragged)
    for key, values in columns.items():
        _write_array(group, key, values)


def _write_array(group: h5py.Group, key: str, values) -> None:
    if isinstance(values, str):
        group.create_dataset(key, data=values, dtype=storage.STRING, track_times=False)
        return
    if isinstance(values, list) and (not values or isinstance(values[0], str)):
        data, dtype = np.array(values, dtype=object), storage.STRING
        nbytes = sum(len(v) for v in values)
    else:
        data = np.asarray(values)
        if np.issubdtype(data.dtype, np.integer):
            data = data.astype(smallest_int_dtype(data))
        dtype, nbytes = data.dtype, data.nbytes
    options = dict(compression="gzip", compression_opts=4, shuffle=dtype != storage.STRING,
                   chunks=True) if nbytes > COMPRESS_ABOVE_BYTES and data.ndim else {}
    group.create_dataset(key, data=data, dtype=dtype, track_times=False, **options)
