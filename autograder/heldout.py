"""Held-out scoring, run as its own process: `python -I -m autograder.heldout ...`.

No student code runs here. The process reads the notebook's saved artifact
(predictions as a plain .npy array, never unpickled) and the grader-only
held-out labels, and prints one JSON result per evaluator. It is started with
`-I` and in an empty working directory, so files a student leaves next to their
notebook (a `numpy.py`, say) cannot shadow the modules imported here.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import h5py
import numpy as np

from autograder.catalog import LABS, HeldoutEvaluator
from labs import artifacts, storage


def accuracy(predictions: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(predictions == labels)) if len(labels) else 0.0


def f1(predictions: np.ndarray, labels: np.ndarray) -> float:
    """F1 of the positive class (1)."""
    tp = int(np.sum((predictions == 1) & (labels == 1)))
    fp = int(np.sum((predictions == 1) & (labels == 0)))
    fn = int(np.sum((predictions == 0) & (labels == 1)))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


METRICS = {"accuracy": accuracy, "f1": f1}


def heldout_labels(heldout_dir: Path, dataset: str) -> tuple[np.ndarray, int]:
    """The held-out test labels of `dataset` and its number of classes."""
    path = heldout_dir / f"{dataset}.h5"
    if not path.is_file():
        raise FileNotFoundError(f"held-out file {path} is missing: run `make data` "
                                f"(python -m data_prep --only {dataset})")
    with h5py.File(path, "r") as f:
        labels = f["test/label"][()]
        attrs = storage.read_attrs(f.attrs)
    return labels, len(attrs["label_names"])


def evaluate(evaluator: HeldoutEvaluator, submission: Path, heldout_dir: Path) -> dict:
    """Score one evaluator's artifact; never raises for a bad artifact, it scores 0."""
    labels, n_classes = heldout_labels(heldout_dir, evaluator.dataset)
    result = {"notebook": evaluator.notebook, "grade_id": evaluator.grade_id,
              "metric": evaluator.metric, "value": None, "fraction": 0.0}
    path = artifacts.predictions_path(evaluator.dataset, submission)
    try:
        predictions = artifacts.load_predictions(path, len(labels), n_classes)
    except (FileNotFoundError, ValueError) as err:
        result["message"] = str(err).replace(str(submission) + "/", "")
        return result
    value = METRICS[evaluator.metric](predictions, labels)
    fraction = evaluator.thresholds.fraction(value) if math.isfinite(value) else 0.0
    result.update(value=value, fraction=fraction, message=(
        f"held-out {evaluator.metric} {value:.4f} on {len(labels)} test items "
        f"(none at {evaluator.thresholds.zero_at}, full at {evaluator.thresholds.full_at}): "
        f"{100 * fraction:.0f}% of the points"))
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -I -m autograder.heldout")
    parser.add_argument("--lab", required=True)
    parser.add_argument("--submission", type=Path, required=True,
                        help="the autograded folder of one student's lab")
    parser.add_argument("--heldout-dir", type=Path, required=True)
    parser.add_argument("--notebook", action="append", help="only these notebooks' evaluators")
    args = parser.parse_args(argv)
    evaluators = [e for e in LABS[args.lab].evaluators
                  if not args.notebook or e.notebook in args.notebook]
    results = [evaluate(e, args.submission, args.heldout_dir) for e in evaluators]
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
