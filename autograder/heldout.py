"""Held-out scoring, run as its own process: `python -I -m autograder.heldout ...`.

No student code runs here. The process reads a notebook's saved artifact —
predictions as a plain .npy array (never unpickled), or a language model
loaded with Keras `safe_mode=True` (built-in layers only) — and the
grader-only held-out data, and prints one JSON result per evaluator. It is
started with `-I` in an empty working directory, so files a student leaves next
to their notebook (a `numpy.py`, say) cannot shadow the modules imported here.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import h5py
import numpy as np

from autograder.catalog import COVERAGE, LABS, HeldoutEvaluator
from labs import artifacts, data, seq2seq, storage
from labs import text as tokens


def heldout_test(heldout_dir: Path, dataset: str) -> tuple[dict, dict]:
    """The held-out test group of `dataset` (flat arrays, as stored) and the file's attributes."""
    path = heldout_dir / f"{dataset}.h5"
    if not path.is_file():
        raise FileNotFoundError(f"held-out file {path} is missing: run `make data` "
                                f"(python -m data_prep --only {dataset})")
    with h5py.File(path, "r") as f:
        group = f["test"]
        columns = {key: (group[key].asstr()[()] if h5py.check_string_dtype(group[key].dtype)
                         else group[key][()]) for key in group}
        return columns, storage.read_attrs(f.attrs)


# --- metrics on predicted class ids --------------------------------------------------

def _predictions_and_labels(evaluator, submission, heldout_dir):
    test, attrs = heldout_test(heldout_dir, evaluator.dataset)
    spec = storage.labels(attrs)
    labels = test[spec.column]  # flat: one per item, or per token
    path = artifacts.predictions_path(evaluator.artifact_name, submission)
    return artifacts.load_predictions(path, len(labels), len(spec.names)), labels


def accuracy(evaluator, submission, heldout_dir, data_dir) -> tuple[float, str]:
    predictions, labels = _predictions_and_labels(evaluator, submission, heldout_dir)
    return float(np.mean(predictions == labels)), f"{len(labels)} test items"


def f1(evaluator, submission, heldout_dir, data_dir) -> tuple[float, str]:
    """F1 of the positive class (1)."""
    predictions, labels = _predictions_and_labels(evaluator, submission, heldout_dir)
    tp = int(np.sum((predictions == 1) & (labels == 1)))
    fp = int(np.sum((predictions == 1) & (labels == 0)))
    fn = int(np.sum((predictions == 0) & (labels == 1)))
    return (2 * tp / (2 * tp + fp + fn) if tp else 0.0), f"{len(labels)} test items"


# --- metrics on language models --------------------------------------------------------

def word_perplexity(evaluator, submission, heldout_dir, data_dir) -> tuple[float, str]:
    """Perplexity of every word t >= context of the held-out text, from the `context` before it."""
    model, settings = artifacts.load_language_model(evaluator.artifact_name, submission)
    vocabulary, context = settings["vocabulary"], _positive_int(settings, "context")
    text = heldout_test(heldout_dir, evaluator.dataset)[0]["text"]
    ids = tokens.ids(tokens.words(text), vocabulary)  # the vocabulary must hold <unk>
    train = data.load(evaluator.dataset, "train", data_dir)["text"]
    artifacts.require_coverage(vocabulary, COVERAGE[evaluator.metric], train)
    windows = np.lib.stride_tricks.sliding_window_view(ids, context + 1)
    probabilities = artifacts.model_outputs(model, windows[:, :context],
                                            (len(windows), len(vocabulary)))
    # Rows that sum to 1 with values above 1 and below 0 would make a low "perplexity".
    if (not np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-3)
            or probabilities.min() < -1e-6 or probabilities.max() > 1 + 1e-6):
        raise ValueError("the model's outputs are not probabilities: every value must be in "
                         "[0, 1] and every row sum to 1 (end the model with a softmax)")
    chosen = probabilities[np.arange(len(windows)), windows[:, context]]
    nll = -np.log(np.clip(chosen, 1e-12, None))
    return float(np.exp(nll.mean())), f"{len(windows)} held-out words"


def char_bits(evaluator, submission, heldout_dir, data_dir) -> tuple[float, str]:
    """Bits per character: consecutive windows of seq_len + 1 characters, inputs then targets.

    The window length is the lab's; the model must be causal (`_require_causal`), since
    each window's inputs hold the targets one step later.
    """
    model, settings = artifacts.load_language_model(evaluator.artifact_name, submission)
    vocabulary, seq_len = settings["vocabulary"], evaluator.seq_len
    train = data.load(evaluator.dataset, "train", data_dir)["text"]
    artifacts.require_coverage(vocabulary, COVERAGE[evaluator.metric], train)
    text = heldout_test(heldout_dir, evaluator.dataset)[0]["text"]
    ids = tokens.ids(text, vocabulary, unknown=vocabulary[0])  # no <unk>: id 0
    n = len(ids) // (seq_len + 1)
    windows = ids[: n * (seq_len + 1)].reshape(n, seq_len + 1)
    logits = artifacts.model_outputs(model, windows[:, :-1],
                                     (n, seq_len, len(vocabulary))).astype(np.float64)
    _require_causal(model, windows[:, :-1], logits)
    log_probabilities = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    targets = windows[:, 1:]
    nll = -np.take_along_axis(log_probabilities, targets[..., None], axis=-1)
    return float(nll.mean() / math.log(2)), f"{targets.size} held-out characters"


def greedy_exact_match(evaluator, submission, heldout_dir, data_dir) -> tuple[float, str]:
    """Share of held-out dates the saved translator gets exactly right, decoded here, greedily.

    The grader feeds the held-out sources to the model and decodes with
    `labs.seq2seq.greedy_decode`: only what the trained network computes counts.
    """
    model, settings = artifacts.load_language_model(evaluator.artifact_name, submission)
    vocabulary = settings["vocabulary"]
    if settings.get("target_vocabulary") != seq2seq.TARGET_VOCABULARY:
        raise ValueError(f"the model's target_vocabulary must be labs.seq2seq.TARGET_VOCABULARY "
                         f"{seq2seq.TARGET_VOCABULARY}")
    if vocabulary[0] != tokens.PAD or tokens.UNK not in vocabulary:
        raise ValueError(f"the source vocabulary must start with {tokens.PAD!r} (id 0) and hold "
                         f"{tokens.UNK!r}")
    max_len = _positive_int(settings, "max_source_len")
    test = heldout_test(heldout_dir, evaluator.dataset)[0]
    source_ids = seq2seq.encode_sources(test["source"], vocabulary, min(max_len, 1000))
    try:
        predicted = seq2seq.greedy_decode(model, source_ids)
    except Exception as err:  # Keras raises many kinds for a model of the wrong form
        raise ValueError(f"the model could not translate [source ids, decoder ids]: "
                         f"{str(err).splitlines()[0] if str(err) else type(err).__name__}"
                         ) from None
    exact, chars = seq2seq.exact_and_char_accuracy(predicted, test["target"])
    return exact, f"{len(predicted)} held-out dates (character accuracy {chars:.4f})"


def _require_causal(model, inputs: np.ndarray, outputs: np.ndarray) -> None:
    """Refuse a model whose output at a step changes when a later input changes.

    Each window's tail, from a split point that varies between windows (so that
    every step is tested), is replaced by another window's tail: ordinary text,
    nothing a model could recognise as a probe. The outputs before the split must
    stay as they were.
    """
    n, length = inputs.shape
    if n < 2 or length < 2:
        return
    splits = 1 + (np.arange(n) * 37) % (length - 1)
    later = np.arange(length)[None, :] >= splits[:, None]
    probe = np.where(later, np.roll(inputs, 1, axis=0), inputs)
    changed = artifacts.model_outputs(model, probe, outputs.shape).astype(np.float64)
    if not np.allclose(changed[~later], outputs[~later], rtol=1e-4, atol=1e-4):
        raise ValueError("the model's prediction for a character changes when later characters "
                         "change: a language model may read only the characters before it")


def _positive_int(settings: dict, key: str) -> int:
    value = settings.get(key)
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"the model's settings need a positive integer {key!r}, got {value!r}")
    return value


METRICS = {"accuracy": accuracy, "f1": f1, "word_perplexity": word_perplexity,
           "char_bits": char_bits, "greedy_exact_match": greedy_exact_match}


def evaluate(evaluator: HeldoutEvaluator, submission: Path, heldout_dir: Path,
             data_dir: Path | None = None) -> dict:
    """Score one evaluator's artifact; a missing or bad artifact scores 0 with the reason."""
    try:
        value, what = METRICS[evaluator.metric](evaluator, submission, heldout_dir, data_dir)
    except (FileNotFoundError, ValueError) as err:
        return evaluator.unscored(str(err).replace(f"{submission}/", ""))
    fraction = evaluator.thresholds.fraction(value) if math.isfinite(value) else 0.0
    return {**evaluator.unscored(""), "value": value, "fraction": fraction,
            "message": f"held-out {evaluator.metric} {value:.4f} on {what} "
                       f"({evaluator.thresholds.describe()}): {100 * fraction:.0f}% of the points"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -I -m autograder.heldout")
    parser.add_argument("--lab", required=True)
    parser.add_argument("--submission", type=Path, required=True,
                        help="the autograded folder of one student's lab")
    parser.add_argument("--heldout-dir", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True, help="the students' dataset files")
    parser.add_argument("--notebook", action="append", help="only these notebooks' evaluators")
    args = parser.parse_args(argv)
    evaluators = [e for e in LABS[args.lab].evaluators
                  if not args.notebook or e.notebook in args.notebook]
    results = [evaluate(e, args.submission, args.heldout_dir, args.data_dir) for e in evaluators]
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
