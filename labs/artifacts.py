"""The graded-artifact contract between a notebook and the autograder.

A notebook saves its predictions for a dataset's unlabelled test inputs with
`save_predictions`; after the notebook has run, the autograder loads them in
a separate process (no student code runs there) with `load_predictions` and
scores them against the held-out labels. Predictions are a plain `.npy`
array (never pickled), one row per test item, in the order of
`labs.data.load(dataset, "test")`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

PREDICTIONS_DIR = "predictions"


def predictions_path(name: str, folder: str | Path = ".") -> Path:
    return Path(folder) / PREDICTIONS_DIR / f"{name}.npy"


def check_predictions(predictions, n_items: int, n_classes: int) -> np.ndarray:
    """Validate predicted class ids: shape (n_items,), integers in [0, n_classes)."""
    array = np.asarray(predictions)
    if array.ndim != 1 or len(array) != n_items:
        raise ValueError(f"predictions must have shape ({n_items},), got {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.all(np.isin(array, np.arange(n_classes))):
            raise ValueError(f"predictions must be class ids (integers), got dtype {array.dtype}")
    array = array.astype(np.int64)
    if array.size and (array.min() < 0 or array.max() >= n_classes):
        raise ValueError(f"predictions must be class ids in [0, {n_classes}), "
                         f"got values from {array.min()} to {array.max()}")
    return array


def save_predictions(name: str, predictions, n_items: int, n_classes: int,
                     folder: str | Path = ".") -> Path:
    """Check and save predicted class ids for the test split of dataset `name`."""
    array = check_predictions(predictions, n_items, n_classes).astype(np.uint8)
    path = predictions_path(name, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, array, allow_pickle=False)
    return path


def load_predictions(path: str | Path, n_items: int, n_classes: int) -> np.ndarray:
    """Load a predictions file written by `save_predictions`, without unpickling anything."""
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"no predictions file at {path}: the notebook did not save them "
                                "(did the cell calling save_predictions run?)") from None
    except (ValueError, OSError) as err:
        raise ValueError(f"{path} is not a readable .npy array ({err})") from None
    return check_predictions(array, n_items, n_classes)
