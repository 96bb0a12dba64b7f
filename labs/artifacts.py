"""The graded-artifact contract between a notebook and the autograder.

After the notebook has run, the autograder loads its artifacts in a separate
process (no student code runs there) and scores them on held-out data:
- predictions for a dataset's unlabelled test inputs (`save_predictions`): a
  plain `.npy` array of class ids (never pickled), one per test item (for
  sequence data, one per token, sentences concatenated), in the order of
  `labs.data.load(dataset, "test")`;
- a trained language model (`save_language_model`): a `.keras` file, loaded
  with `safe_mode=True` (built-in layers only, no Lambda code), plus a JSON
  file with its vocabulary and settings.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from labs.text import words

PREDICTIONS_DIR = "predictions"
MODELS_DIR = "models"
# What a language model's vocabulary must hold, from the training text: folding common
# words into <unk> would make perplexity look low.
REQUIRED_WORDS = 2000        # a word model: the most frequent training words
REQUIRED_CHAR_COUNT = 10     # a character model: every character seen this often


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
        raise FileNotFoundError(f"no predictions file at {path} "
                                "(did the cell calling save_predictions run?)") from None
    except (ValueError, OSError) as err:
        raise ValueError(f"{path} is not a readable .npy array ({err})") from None
    return check_predictions(array, n_items, n_classes)


def model_paths(name: str, folder: str | Path = ".") -> tuple[Path, Path]:
    """(the .keras file, the JSON settings file) of language model `name`."""
    base = Path(folder) / MODELS_DIR
    return base / f"{name}.keras", base / f"{name}.json"


def save_language_model(name: str, model, vocabulary: list[str], folder: str | Path = ".",
                        **settings) -> Path:
    """Save a Keras model with its vocabulary (position = id) and settings (JSON values)."""
    if len(set(vocabulary)) != len(vocabulary):
        raise ValueError("the vocabulary has duplicate entries")
    model_path, settings_path = model_paths(name, folder)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model.save(model_path)
    settings_path.write_text(json.dumps({"vocabulary": list(vocabulary), **settings}))
    return model_path


def load_language_model(name: str, folder: str | Path = "."):
    """(model, settings) saved by `save_language_model`; only built-in layers load."""
    import keras

    model_path, settings_path = model_paths(name, folder)
    for path in (model_path, settings_path):
        if not path.is_file():
            raise FileNotFoundError(f"no file at {path} (did the cell calling "
                                    "save_language_model run?)")
    try:
        settings = json.loads(settings_path.read_text())
        vocabulary = settings["vocabulary"]
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{settings_path} is not a settings file with a vocabulary ({err})") from None
    try:
        model = keras.saving.load_model(model_path, safe_mode=True, compile=False)
    except Exception as err:  # Keras raises many kinds for a bad or unsafe file
        raise ValueError(f"{model_path} could not be loaded safely: {type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else ''}") from None
    if (not isinstance(vocabulary, list) or not vocabulary
            or not all(isinstance(token, str) for token in vocabulary)):
        raise ValueError(f"{settings_path}: the vocabulary must be a non-empty list of strings")
    return model, settings


def model_outputs(model, inputs, shape: tuple, batch_size: int = 256) -> np.ndarray:
    """A saved model's outputs on `inputs`, refused unless they have `shape` and are finite."""
    outputs = np.asarray(model.predict(inputs, batch_size=batch_size, verbose=0))
    if outputs.shape != shape:
        raise ValueError(f"the model's output has shape {outputs.shape}, expected {shape}")
    if not np.all(np.isfinite(outputs)):
        raise ValueError("the model's output has NaN or infinite values")
    return outputs


def require_coverage(vocabulary: list[str], kind: str, train_text: str) -> None:
    """Raise ValueError if a language model's vocabulary lacks what it must hold: for
    `kind` "words", the REQUIRED_WORDS most frequent words of `train_text`
    (`labs.text.words`); for "characters", every character seen REQUIRED_CHAR_COUNT
    times or more."""
    if kind == "words":
        required = [w for w, _ in Counter(words(train_text)).most_common(REQUIRED_WORDS)]
        what = f"of the {REQUIRED_WORDS:,} most frequent training words"
    elif kind == "characters":
        required = [c for c, n in Counter(train_text).items() if n >= REQUIRED_CHAR_COUNT]
        what = f"of the characters seen {REQUIRED_CHAR_COUNT}+ times in training"
    else:
        raise ValueError(f"no vocabulary rule for {kind!r}")
    held = {token for token in vocabulary if isinstance(token, str)}
    missing = [token for token in required if token not in held]
    if missing:
        raise ValueError(f"the vocabulary lacks {len(missing)} {what} (e.g. "
                         f"{', '.join(map(repr, missing[:3]))}): keep the course's vocabulary")
