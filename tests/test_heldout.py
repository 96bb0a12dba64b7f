"""The graded-artifact contract and the held-out scorer process."""
import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

from autograder.catalog import LABS, HeldoutEvaluator, Thresholds
from autograder.heldout import accuracy, evaluate, f1
from labs import artifacts


@pytest.mark.parametrize("value, fraction", [(0.5, 0.0), (0.6, 0.0), (0.675, 0.5), (0.75, 1.0),
                                             (0.9, 1.0)])
def test_thresholds_are_linear_between_zero_and_full(value, fraction):
    assert Thresholds(zero_at=0.6, full_at=0.75).fraction(value) == pytest.approx(fraction)


def test_thresholds_for_lower_is_better():
    perplexity = Thresholds(zero_at=300, full_at=100)
    assert [perplexity.fraction(v) for v in (400, 200, 90)] == [0.0, 0.5, 1.0]


def test_metrics():
    labels = np.array([1, 1, 0, 0, 1])
    predictions = np.array([1, 0, 0, 1, 1])
    assert accuracy(predictions, labels) == pytest.approx(0.6)
    assert f1(predictions, labels) == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert f1(np.zeros(5, int), labels) == 0.0


def test_save_and_load_predictions(tmp_path):
    path = artifacts.save_predictions("sentiment", [0, 1, 1], n_items=3, n_classes=2,
                                      folder=tmp_path)
    assert path == tmp_path / "predictions" / "sentiment.npy"
    assert artifacts.load_predictions(path, 3, 2).tolist() == [0, 1, 1]
    assert artifacts.save_predictions("x", np.array([0.0, 1.0]), 2, 2, tmp_path).is_file()


@pytest.mark.parametrize("predictions, message", [
    ([0, 1], r"shape \(3,\)"), ([[0, 1, 1]], r"shape \(3,\)"), ([0, 1, 2], r"in \[0, 2\)"),
    ([0.2, 0.9, 0.5], "class ids"), ([-1, 0, 1], r"in \[0, 2\)"),
])
def test_bad_predictions_are_refused_with_a_reason(tmp_path, predictions, message):
    with pytest.raises(ValueError, match=message):
        artifacts.save_predictions("sentiment", predictions, 3, 2, tmp_path)


def test_pickled_or_missing_artifacts_score_zero_with_a_reason(tmp_path):
    heldout = tmp_path / "heldout"
    heldout.mkdir()
    with h5py.File(heldout / "toy.h5", "w") as f:
        f["test/label"] = np.array([0, 1, 1, 0], dtype=np.uint8)
        f.attrs["label_names"] = json.dumps(["no", "yes"])
    evaluator = HeldoutEvaluator("nb", "heldout_toy", "toy", "accuracy", Thresholds(0.5, 1.0))
    submission = tmp_path / "submission"
    result = evaluate(evaluator, submission, heldout)
    assert result["fraction"] == 0 and "no predictions file at predictions/toy.npy (did the cell" in result["message"]
    (submission / "predictions").mkdir(parents=True)
    np.save(submission / "predictions" / "toy.npy", np.array([object()]), allow_pickle=True)
    result = evaluate(evaluator, submission, heldout)
    assert result["fraction"] == 0 and "not a readable .npy array" in result["message"]
    artifacts.save_predictions("toy", [0, 1, 0, 0], 4, 2, submission)
    result = evaluate(evaluator, submission, heldout)
    assert result["value"] == 0.75 and result["fraction"] == 0.5


def test_scorer_runs_isolated_from_the_submission_folder(built, tmp_path):
    """A `numpy.py` beside the notebook must not be imported by the scorer."""
    submission = tmp_path / "alice"
    (submission / "predictions").mkdir(parents=True)
    (submission / "numpy.py").write_text("raise SystemExit('student code ran in the scorer')")
    n = len(h5py.File(built["heldout"] / "sentiment.h5")["test/label"])
    artifacts.save_predictions("sentiment", np.zeros(n, int), n, 2, submission)
    run = subprocess.run([sys.executable, "-I", "-m", "autograder.heldout", "--lab", "lab1",
                          "--submission", str(submission), "--heldout-dir", str(built["heldout"]),
                          "--notebook", "sentiment_nn"], cwd=submission, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    result, = json.loads(run.stdout)
    assert result["grade_id"] == LABS["lab1"].evaluators[0].grade_id
    assert result["value"] == pytest.approx(0.5) and result["fraction"] == 0.0
