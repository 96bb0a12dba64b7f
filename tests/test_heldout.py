"""The graded-artifact contract and the held-out scorer process."""
import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

from autograder.catalog import LABS, HeldoutEvaluator, Thresholds
from autograder.heldout import evaluate
import labs
from labs import artifacts


@pytest.mark.parametrize("value, fraction", [(0.5, 0.0), (0.6, 0.0), (0.675, 0.5), (0.75, 1.0),
                                             (0.9, 1.0)])
def test_thresholds_are_linear_between_zero_and_full(value, fraction):
    assert Thresholds(zero_at=0.6, full_at=0.75).fraction(value) == pytest.approx(fraction)


def test_thresholds_for_lower_is_better():
    perplexity = Thresholds(zero_at=300, full_at=100)
    assert [perplexity.fraction(v) for v in (400, 200, 90)] == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("value, fraction", [(0.6, 0.0), (0.675, 0.4), (0.75, 0.8), (0.775, 0.9),
                                             (0.8, 1.0), (0.95, 1.0)])
def test_stretch_band_holds_back_the_last_points_for_results_above_the_line(value, fraction):
    thresholds = Thresholds(zero_at=0.6, full_at=0.75, stretch_at=0.8)
    assert thresholds.fraction(value) == pytest.approx(fraction)
    bits = Thresholds(zero_at=4.8, full_at=2.65, stretch_at=2.3)
    assert bits.fraction(2.3) == 1.0 and bits.fraction(2.65) == pytest.approx(0.8)


def score(evaluator, submission, heldout):
    return evaluate(evaluator, submission, heldout, heldout.parent / "data")


@pytest.fixture
def toy_heldout(tmp_path):
    """Held-out files: labels (`toy`), per-token tags (`tags`), running text (`play`)."""
    from data_prep.h5write import Ragged, write_h5
    folder = tmp_path / "heldout"
    write_h5(folder / "toy.h5", {"test": {"label": np.array([1, 1, 0, 0, 1])}},
             {"label_column": "label", "label_names": ["no", "yes"],
              "class_counts": {"test": [2, 3]}})
    write_h5(folder / "tags.h5", {"test": {"tags": Ragged([np.array([0, 2]), np.array([1])])}},
             {"label_column": "tags", "label_names": ["A", "B", "C"],
              "class_counts": {"test": [1, 1, 1]}})
    write_h5(folder / "play.h5", {"test": {"text": "To be, or not to be: that is the question.\n" * 3}},
             {})
    write_h5(tmp_path / "data" / "play.h5", {"train": {"text": "to be or not to be\n" * 20}}, {})
    return folder


def test_prediction_metrics(toy_heldout, tmp_path):
    submission = tmp_path / "alice"
    artifacts.save_predictions("toy", [1, 0, 0, 1, 1], 5, 2, submission)
    artifacts.save_predictions("tags", [0, 2, 2], 3, 3, submission)  # ragged tags, flat
    def value(metric, dataset):
        evaluator = HeldoutEvaluator("nb", "g", dataset, metric, Thresholds(0, 1))
        return score(evaluator, submission, toy_heldout)["value"]
    assert value("accuracy", "toy") == pytest.approx(0.6)
    assert value("f1", "toy") == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert value("accuracy", "tags") == pytest.approx(2 / 3)
    artifacts.save_predictions("toy", [0, 0, 0, 0, 0], 5, 2, submission)
    assert value("f1", "toy") == 0.0


def uniform_word_model(context, vocabulary_size):
    import keras
    inputs = keras.Input((context,), dtype="int32")
    x = keras.layers.Flatten()(keras.layers.Embedding(vocabulary_size, 4)(inputs))
    outputs = keras.layers.Dense(vocabulary_size, activation="softmax", kernel_initializer="zeros")(x)
    return keras.Model(inputs, outputs)


def uniform_char_model(vocabulary_size):
    import keras
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(vocabulary_size, 4)(inputs)
    return keras.Model(inputs, keras.layers.Dense(vocabulary_size, kernel_initializer="zeros")(x))


def test_a_language_models_vocabulary_must_cover_the_training_text():
    """One rule for the grader and `labs.check`: the most frequent training words, every
    character seen 10 times; anything else in the vocabulary is not counted."""
    train = "the cat sat . the dog sat .\n" * 5 + "rare"
    artifacts.require_coverage(["<unk>", "the", "cat", "sat", ".", "dog", "rare"], "words",
                               train)
    with pytest.raises(ValueError, match=r"lacks 2 of the 2,000 most frequent training words "
                                         r"\(e.g. 'dog', 'rare'\)"):
        artifacts.require_coverage(["<unk>", "the", "cat", "sat", ".", 7], "words", train)
    artifacts.require_coverage(["\0", *"the as."], "characters", train)  # c, d, g: 5 times
    with pytest.raises(ValueError, match=r"lacks 1 of the characters seen 10\+ times "
                                         r"in training \(e.g. 'h'\)"):
        artifacts.require_coverage(["\0", *"te as."], "characters", train)


@pytest.mark.slow
def test_language_model_metrics_of_uniform_models(toy_heldout, tmp_path):
    """A model that spreads probability evenly has perplexity V and log2(V) bits per symbol."""
    import math
    labs.seed_everything(0)  # quiet TensorFlow start-up
    submission = tmp_path / "alice"
    vocabulary = ["<unk>", "to", "be", ",", "or", "not"]
    artifacts.save_language_model("nnlm", uniform_word_model(2, 6), vocabulary, submission,
                                  context=2)
    chars = ["\u0000", *sorted(set("to be or not\n"))]
    artifacts.save_language_model("char_lm", uniform_char_model(len(chars)), chars, submission,
                                  seq_len=8)
    word = score(HeldoutEvaluator("nb", "g", "play", "word_perplexity", Thresholds(10, 5),
                                  artifact="nnlm"), submission, toy_heldout)
    char = score(HeldoutEvaluator("nb", "g", "play", "char_bits", Thresholds(4, 2),
                                  artifact="char_lm", seq_len=8), submission, toy_heldout)
    assert word["value"] == pytest.approx(6, rel=1e-4) and word["fraction"] == pytest.approx(0.8)
    assert char["value"] == pytest.approx(math.log2(len(chars)), rel=1e-4)


@pytest.mark.slow
def test_unsafe_or_malformed_models_score_zero_with_a_reason(toy_heldout, tmp_path):
    labs.seed_everything(0)
    import keras
    submission = tmp_path / "mallory"
    inputs = keras.Input((2,))
    lambda_model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    artifacts.save_language_model("nnlm", lambda_model, ["<unk>", "to"], submission, context=2)
    evaluator = HeldoutEvaluator("nb", "g", "play", "word_perplexity", Thresholds(10, 5),
                                 artifact="nnlm")
    result = score(evaluator, submission, toy_heldout)
    assert result["fraction"] == 0 and "could not be loaded safely" in result["message"]
    artifacts.save_language_model("nnlm", uniform_word_model(2, 3), ["to", "be", "or"],
                                  submission, context=2)
    assert "no '<unk>' entry" in score(evaluator, submission, toy_heldout)["message"]
    artifacts.save_language_model("nnlm", uniform_word_model(2, 3), ["<unk>", "to", "be"],
                                  submission, context=0)
    assert "positive integer 'context'" in score(evaluator, submission, toy_heldout)["message"]
    vocabulary = ["<unk>", "to", "be", "or", "not"]
    artifacts.save_language_model("nnlm", uniform_word_model(2, 6), vocabulary, submission, context=2)
    assert "output has shape" in score(evaluator, submission, toy_heldout)["message"]
    # Folding common words into <unk> would lower perplexity: such a vocabulary is refused.
    artifacts.save_language_model("nnlm", uniform_word_model(2, 2), ["<unk>", "to"], submission,
                                  context=2)
    message = score(evaluator, submission, toy_heldout)["message"]
    assert "lacks 3 of the 2,000 most frequent training words" in message


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
        f.attrs["label_column"] = "label"
        f.attrs["label_names"] = json.dumps(["no", "yes"])
        f.attrs["class_counts"] = json.dumps({"test": [2, 2]})
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
                          "--data-dir", str(built["out"]), "--notebook", "sentiment_nn"], cwd=submission, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    result, = json.loads(run.stdout)
    assert result["grade_id"] == LABS["lab1"].evaluators[0].grade_id
    assert result["value"] == pytest.approx(0.5) and result["fraction"] == 0.0


@pytest.mark.slow
def test_language_models_that_game_the_metric_score_zero(toy_heldout, tmp_path):
    """Outputs that are not probabilities, and a character model that reads the next input."""
    labs.seed_everything(0)
    import keras
    submission = tmp_path / "mallory"
    vocabulary = ["<unk>", "to", "be", ",", "or", "not"]
    inputs = keras.Input((2,), dtype="int32")
    x = keras.layers.Flatten()(keras.layers.Embedding(6, 4)(inputs))
    rows_sum_to_one = keras.layers.Dense(6, kernel_initializer="zeros", bias_initializer=(
        keras.initializers.Constant([-3.0, 1.0, 1.0, 1.0, 1.0, 0.0])))(x)  # "to", "be": p = 1
    artifacts.save_language_model("nnlm", keras.Model(inputs, rows_sum_to_one), vocabulary,
                                  submission, context=2)
    word = score(HeldoutEvaluator("nb", "g", "play", "word_perplexity", Thresholds(10, 5),
                                  artifact="nnlm"), submission, toy_heldout)
    assert word["fraction"] == 0 and "not probabilities" in word["message"]

    chars = ["\u0000", *sorted(set("To be, or not to be: that is the question.\n"))]
    size = len(chars)
    peek = keras.Sequential([  # logits at step t: the input at step t + 1, i.e. the target
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(size, size, embeddings_initializer="identity"),
        keras.layers.Conv1D(size, 3, padding="same", use_bias=False)])
    kernel = np.zeros((3, size, size), "float32")
    kernel[2] = 20 * np.eye(size)
    peek.layers[1].set_weights([kernel])
    artifacts.save_language_model("char_lm", peek, chars, submission, seq_len=8)
    evaluator = HeldoutEvaluator("nb", "g", "play", "char_bits", Thresholds(4, 2),
                                 artifact="char_lm", seq_len=8)
    char = score(evaluator, submission, toy_heldout)
    assert char["fraction"] == 0 and "changes when later characters change" in char["message"]
    causal = keras.Sequential([  # the same, looking one step back instead: allowed
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(size, size, embeddings_initializer="identity"),
        keras.layers.Conv1D(size, 2, padding="causal", use_bias=False)])
    causal.layers[1].set_weights([kernel[:2]])
    artifacts.save_language_model("char_lm", causal, chars, submission, seq_len=8)
    assert score(evaluator, submission, toy_heldout)["value"] is not None


@pytest.mark.slow
def test_a_date_translator_is_run_by_the_grader(tmp_path):
    """The scorer decodes the held-out sources with the saved model; a model of the wrong form
    or with another target vocabulary scores 0 with the reason."""
    from data_prep.h5write import write_h5
    from labs import seq2seq
    labs.seed_everything(0)
    import keras
    heldout = tmp_path / "heldout"
    write_h5(heldout / "dates.h5", {"test": {"source": ["2026-11-23", "1999-01-31", "23.11.2026"],
                                             "target": ["2026-11-23", "1999-01-31", "2026-11-23"]}},
             {})
    # A "copier": the output at step t is the source character at t (PAD -> </s>), so ISO
    # sources come out right and the dotted one does not: exact match 2/3.
    vocabulary = [seq2seq.PAD, seq2seq.UNK, *"0123456789-."]
    to_target = np.zeros((len(vocabulary), len(seq2seq.TARGET_VOCABULARY)), "float32")
    to_target[0, seq2seq.TARGET_VOCABULARY.index(seq2seq.EOS)] = 1
    for i, char in enumerate(vocabulary[2:], 2):
        if char in seq2seq.TARGET_VOCABULARY:
            to_target[i, seq2seq.TARGET_VOCABULARY.index(char)] = 1
    source = keras.Input((None,), dtype="int32")
    decoder = keras.Input((None,), dtype="int32")
    copied = keras.layers.Embedding(len(vocabulary), 14, embeddings_initializer=(
        keras.initializers.Constant(to_target)))(source)
    ignored = keras.layers.Embedding(14, 14, embeddings_initializer="zeros")(decoder)
    copier = keras.Model([source, decoder], keras.layers.Add()([copied, ignored]))
    submission = tmp_path / "alice"
    settings = dict(target_vocabulary=seq2seq.TARGET_VOCABULARY,
                    max_source_len=seq2seq.DECODER_STEPS)
    artifacts.save_language_model("dates_gru", copier, vocabulary, submission, **settings)
    evaluator = HeldoutEvaluator("nb", "g", "dates", "greedy_exact_match", Thresholds(0, 1),
                                 artifact="dates_gru")
    result = score(evaluator, submission, heldout)
    assert result["value"] == pytest.approx(2 / 3), result
    assert "character accuracy" in result["message"]

    artifacts.save_language_model("dates_gru", copier, vocabulary, submission,
                                  target_vocabulary=list("0123456789-"), max_source_len=11)
    wrong = score(evaluator, submission, heldout)
    assert wrong["fraction"] == 0 and "target_vocabulary" in wrong["message"]
    one_input = keras.Model(source, copied)
    artifacts.save_language_model("dates_gru", one_input, vocabulary, submission, **settings)
    broken = score(evaluator, submission, heldout)
    assert broken["fraction"] == 0 and "could not translate" in broken["message"], broken
