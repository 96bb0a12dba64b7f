"""The course's labs in one place: notebooks, data, held-out evaluators, weights.

A lab plugs into the autograder by adding a `Lab` here. An assignment that is
not listed (say nbgrader's quickstart `ps1`) is graded as a plain nbgrader
assignment: its notebooks are the ones in `source/NAME/`, with no held-out part.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    """Partial credit: none at `zero_at`, full at `full_at`, linear in between.

    Works both ways: for a metric where lower is better (perplexity),
    `zero_at` is above `full_at`. With a stretch band (`stretch_at`, beyond
    the reference's own baseline), `full_at` earns all but `STRETCH_SHARE` of
    the points and the rest come linearly between `full_at` and `stretch_at`:
    only a better model or better tuning than the lab's baseline earns them.
    """
    zero_at: float
    full_at: float
    stretch_at: float | None = None

    STRETCH_SHARE = 0.2

    def fraction(self, value: float) -> float:
        line = _share(value, self.zero_at, self.full_at)
        if self.stretch_at is None:
            return line
        stretch = _share(value, self.full_at, self.stretch_at)
        return (1 - self.STRETCH_SHARE) * line + self.STRETCH_SHARE * stretch

    def describe(self) -> str:
        text = f"none at {self.zero_at:g}, full at {self.full_at:g}"
        if self.stretch_at is None:
            return text
        return (f"{text} for {100 * (1 - self.STRETCH_SHARE):g} % of the points, "
                f"the rest by {self.stretch_at:g}")


def _share(value: float, zero_at: float, full_at: float) -> float:
    return float(min(1.0, max(0.0, (value - zero_at) / (full_at - zero_at))))


MB, GB = 1000**2, 1000**3
# Metrics measured on a saved model (labs.artifacts.save_language_model), not on predictions,
# with the settings the model must be saved with.
MODEL_METRICS = {"word_perplexity": ("context",), "char_bits": (),
                 "greedy_exact_match": ("target_vocabulary", "max_source_len")}
SHARE_METRICS = {"accuracy", "f1", "greedy_exact_match"}  # values between 0 and 1
# The language models whose vocabulary must cover the training text (labs.artifacts.
# require_coverage): their tokens.
COVERAGE = {"word_perplexity": "words", "char_bits": "characters"}


@dataclass(frozen=True)
class Limits:
    """What one run of a notebook (or of the held-out scorer) may use in the sandbox."""
    memory_bytes: int = 4 * GB      # all its processes together
    processes: int = 256            # processes and threads
    disk_bytes: int = 1 * GB        # its folder, and /tmp, each
    output_bytes: int = 10 * MB     # of notebook output; more is cut before it is saved

    def reason(self, limit: str) -> str:
        """The one-line reason shown when a run hits `limit` (a field name)."""
        what = {"memory_bytes": f"used more than {human_size(self.memory_bytes)} of memory",
                "processes": f"ran more than {self.processes} processes or threads",
                "disk_bytes": f"wrote more than {human_size(self.disk_bytes)} of files",
                "output_bytes": f"printed more than {human_size(self.output_bytes)} of output",
                }[limit]
        return f"stopped: {what}" if limit != "output_bytes" else f"output cut: {what}"


def human_size(n: int) -> str:
    return f"{n / GB:g} GB" if n >= GB else f"{n / MB:g} MB"


@dataclass(frozen=True)
class HeldoutEvaluator:
    """Scores a notebook's saved artifact on a dataset's held-out test split."""
    notebook: str           # notebook name, without .ipynb
    grade_id: str           # the notebook's grade cell whose score this sets
    dataset: str            # data_prep dataset whose held-out test split is used
    metric: str             # a key of autograder.heldout.METRICS
    thresholds: Thresholds
    artifact: str = ""      # the artifact's name (labs.artifacts) if not the dataset's
    seq_len: int = 0        # char_bits: the window length, fixed by the lab, not by the student

    def __post_init__(self):
        if self.metric == "char_bits" and self.seq_len < 1:
            raise ValueError(f"{self.grade_id}: a char_bits evaluator needs the lab's seq_len")

    @property
    def artifact_name(self) -> str:
        return self.artifact or self.dataset

    def unscored(self, message: str) -> dict:
        """Its result when there is no value to score: 0 points, and why."""
        return {"notebook": self.notebook, "grade_id": self.grade_id, "metric": self.metric,
                "value": None, "fraction": 0.0, "message": message}

    @property
    def artifact_files(self) -> tuple[str, ...]:
        """The files (relative to the notebook's folder) that its notebook must save."""
        from labs import artifacts
        if self.metric in MODEL_METRICS:
            return tuple(str(p) for p in artifacts.model_paths(self.artifact_name, ""))
        return (str(artifacts.predictions_path(self.artifact_name, "")),)


@dataclass(frozen=True)
class Lab:
    name: str
    notebooks: tuple[str, ...]
    datasets: tuple[str, ...] = ()          # copied into the students' release
    evaluators: tuple[HeldoutEvaluator, ...] = ()
    weight: float = 1.0                     # share of the course grade
    time_limit_s: int = 900                 # per notebook, the whole run
    limits: Limits = Limits()               # per notebook run, in the sandbox
    # The demo's sample submissions (autograder.samples.KINDS): which ones, the
    # solution cells (grade ids) that "partial" leaves unsolved, and those in
    # which the "buggy" student's code raises.
    samples: tuple[str, ...] = ("reference", "untouched", "partial", "buggy", "corrupt")
    sample_unsolved: tuple[str, ...] = ()
    sample_buggy: tuple[str, ...] = ()

    def contract(self) -> dict:
        """What `labs.check` needs to check a student's run: the time limit and, per
        notebook, the artifacts the grader scores (written beside the release as lab.json)."""
        artifacts: dict[str, list] = {}
        for e in self.evaluators:
            item = ({"kind": "model", "name": e.artifact_name, "dataset": e.dataset,
                     "settings": list(MODEL_METRICS[e.metric]),
                     "covers": COVERAGE.get(e.metric)} if e.metric in MODEL_METRICS
                    else {"kind": "predictions", "name": e.artifact_name, "dataset": e.dataset})
            artifacts.setdefault(e.notebook, []).append(item)
        return {"lab": self.name, "time_limit_s": self.time_limit_s, "artifacts": artifacts}

    def artifact_files(self, notebook: str) -> tuple[str, ...]:
        """What the grader takes from a run of `notebook` besides the notebook itself."""
        return tuple(f for e in self.evaluators if e.notebook == notebook for f in e.artifact_files)


# What `make demo` grades by default: the lab with every kind of sample submission.
DEMO_LAB = "lab1"

LABS: dict[str, Lab] = {
    lab.name: lab for lab in (
        Lab("lab0", ("regression_by_hand", "backprop_by_hand"), ("sms_spam",),
            (HeldoutEvaluator("backprop_by_hand", "heldout_sms_spam_numpy", "sms_spam", "f1",
                              Thresholds(zero_at=0.50, full_at=0.90),
                              artifact="sms_spam_numpy"),),
            weight=0.0,
            samples=("reference", "untouched", "partial"),
            sample_unsolved=("regression_metrics", "numerical_gradient")),
        Lab("lab1", ("sentiment_nn", "imbalanced_classes"), ("sentiment", "sms_spam"),
            (HeldoutEvaluator("sentiment_nn", "heldout_sentiment", "sentiment", "accuracy",
                              Thresholds(zero_at=0.60, full_at=0.75, stretch_at=0.77)),
             HeldoutEvaluator("imbalanced_classes", "heldout_sms_spam", "sms_spam", "f1",
                              Thresholds(zero_at=0.50, full_at=0.90))),
            weight=1.0,
            sample_unsolved=("build_logistic_regression", "build_ffn"),
            sample_buggy=("majority_baseline", "most_confidently_wrong")),
        Lab("lab2", ("nn_language_model", "rnn_language_model"), ("shakespeare", "glove"),
            (HeldoutEvaluator("nn_language_model", "heldout_nnlm", "shakespeare",
                              "word_perplexity",
                              Thresholds(zero_at=250, full_at=110, stretch_at=104),
                              artifact="nnlm"),
             HeldoutEvaluator("rnn_language_model", "heldout_char_lm", "shakespeare",
                              "char_bits", Thresholds(zero_at=4.8, full_at=2.65, stretch_at=2.53),
                              artifact="char_lm", seq_len=100)),
            samples=("reference", "untouched", "partial"),
            sample_unsolved=("ngram_probabilities", "gradient_norms_per_step")),
        Lab("lab3", ("per_timestep_tagging", "pretrained_embeddings"), ("ud_ewt", "glove"),
            (HeldoutEvaluator("per_timestep_tagging", "heldout_ud_ewt", "ud_ewt", "accuracy",
                              Thresholds(zero_at=0.80, full_at=0.92, stretch_at=0.944)),
             HeldoutEvaluator("pretrained_embeddings", "heldout_ud_ewt_glove", "ud_ewt",
                              "accuracy", Thresholds(zero_at=0.70, full_at=0.85, stretch_at=0.877),
                              artifact="ud_ewt_glove")),
            samples=("reference", "untouched", "partial"),
            sample_unsolved=("most_frequent_tag_baseline", "analogy")),
        Lab("lab4", ("encoder_decoder", "attention"), ("seq2seq_dates",),
            (HeldoutEvaluator("encoder_decoder", "heldout_dates_gru", "seq2seq_dates",
                              "greedy_exact_match", Thresholds(zero_at=0.10, full_at=0.70),
                              artifact="dates_gru"),
             HeldoutEvaluator("attention", "heldout_dates_attention", "seq2seq_dates",
                              "greedy_exact_match", Thresholds(zero_at=0.50, full_at=0.95),
                              artifact="dates_attention")),
            weight=0.0,
            samples=("reference", "untouched", "partial"),
            sample_unsolved=("greedy_decode", "positional_encoding")),
    )
}
