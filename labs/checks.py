"""Probes: what a test cell records about the student's code, for the autograder's judge.

A probe calls the student's code on fixed inputs and records the result as
data: numbers, strings, None, lists, tuples, dicts, sets and NumPy arrays,
written as JSON (never pickle) to `probes/GRADE_ID.jsonl` beside the notebook.
After the kernel has ended, the judge (`autograder.judge`, a process of its
own) compares each result with the same probe's result from the reference
solution, which the student's kernel never holds, and the test cell scores
the share of its probes that match.

    probe = Probes("test_confusion_counts")
    probe("plain lists", confusion_counts, [0, 1, 1, 0], [0, 1, 0, 1])
    probe("Python ints", confusion_counts, t, p, compare=same_types())
    model = probe.model("build_ffn(100, 3, 0.25)", build_ffn, 100, 3, 0.25)

The name is the message the student sees in the feedback; `compare` says how
the judge compares and `weight` what the probe counts (the reference run's
choices count, not the student's). A case whose answer the released notebook
shows (the visible example) gets `weight=0`: a hard-coded answer would pass it.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

PROBES_DIR = "probes"
MAX_LEAVES = 200_000        # numbers or strings in one probe's value
MAX_RECORD_BYTES = 4_000_000


def probe_path(grade_id: str, folder: str | Path = ".") -> Path:
    return Path(folder) / PROBES_DIR / f"{grade_id}.jsonl"


# --- comparisons: data the judge interprets ------------------------------------------------

def exact() -> dict:
    """Equal values (numbers by value: 3 == 3.0; lists, tuples and arrays by their items)."""
    return {"kind": "exact"}


def close(rtol: float = 1e-5, atol: float = 1e-8) -> dict:
    """Equal structure, numbers within `atol + rtol * |expected|`."""
    return {"kind": "close", "rtol": rtol, "atol": atol}


def as_set() -> dict:
    """The same items in any order."""
    return {"kind": "as_set"}


def same_types(rtol: float = 1e-7, atol: float = 1e-12) -> dict:
    """The expected value (within `rtol`, `atol`) with the same types all the way down:
    Python int vs float vs NumPy scalars, tuple vs list, array dtypes."""
    return {"kind": "same_types", "rtol": rtol, "atol": atol}


# Property checks: they test the student's value alone, so a constant can meet them; the
# judge counts them only once one of the cell's answer checks (above) has passed.

def shape_and_dtype() -> dict:
    """An array of the expected shape and dtype; values ignored."""
    return {"kind": "shape_and_dtype"}


def subset() -> dict:
    """Every item is one of the expected items (e.g. ids a sampler may draw)."""
    return {"kind": "subset"}


def all_equal() -> dict:
    """A sequence whose items equal each other (e.g. two runs with the same seed)."""
    return {"kind": "all_equal"}


def all_close(rtol: float = 1e-5, atol: float = 1e-6) -> dict:
    """A sequence whose items are close to each other (e.g. outputs with and without padding)."""
    return {"kind": "all_close", "rtol": rtol, "atol": atol}


def not_all_equal() -> dict:
    """A sequence whose items are not all equal (e.g. two different seeds)."""
    return {"kind": "not_all_equal"}


def within(low: float, high: float) -> dict:
    """Numbers, every one strictly between `low` and `high`."""
    return {"kind": "within", "low": low, "high": high}


def probabilities(atol: float = 1e-5) -> dict:
    """Values in [0, 1] whose last axis sums to 1."""
    return {"kind": "probabilities", "atol": atol}


# --- recording -------------------------------------------------------------------------------

class Probes:
    """The probes of one test cell; creating it starts the cell's file afresh."""

    def __init__(self, grade_id: str, folder: str | Path = "."):
        self.path = probe_path(grade_id, folder)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("")

    def __call__(self, name: str, function, *args, compare: dict | None = None,
                 weight: float = 1.0, **kwargs):
        """Record `function(*args, **kwargs)`, or the exception it raised; returns the value."""
        value = None
        try:
            value = function(*args, **kwargs)
            outcome = {"value": encode(value)}
        except Exception as err:  # the student's code may raise anything: that is the result
            outcome = {"error": _describe_error(err)}
        self._write(name, compare or exact(), weight, outcome)
        return value

    def model(self, name: str, build, *args, **kwargs):
        """Probes of a Keras model `build(*args, **kwargs)` returns: its layers, parameter
        counts, input and output shapes, and how it is compiled (`model_facts`)."""
        try:
            model = build(*args, **kwargs)
        except Exception as err:
            for aspect in FACTS:
                self._write(f"{name}: {aspect}", exact(), 1.0, {"error": _describe_error(err)})
            return None
        for aspect, facts in FACTS.items():
            self(f"{name}: {aspect}", facts, model)
        return model

    def _write(self, name: str, compare: dict, weight: float, outcome: dict) -> None:
        line = json.dumps({"name": str(name), "compare": compare, "weight": float(weight),
                           **outcome})
        if len(line) > MAX_RECORD_BYTES:
            line = json.dumps({"name": str(name), "compare": compare, "weight": float(weight),
                               "error": f"the value is larger than {MAX_RECORD_BYTES} bytes"})
        with self.path.open("a") as f:
            f.write(line + "\n")


def _describe_error(err: BaseException) -> str:
    message = str(err).strip().splitlines()
    return f"{type(err).__name__}: {message[0]}"[:300] if message else type(err).__name__


# --- values as data ---------------------------------------------------------------------------

ARRAY_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                "uint64", "float16", "float32", "float64")


def encode(value, _budget: list | None = None) -> dict:
    """`value` as a JSON tree with exact types; anything else becomes {"t": "object"}.

    Only exact built-in types count (a subclass of int with its own `__eq__` is an
    "object"), so nothing the student defines is ever compared by its own methods.
    """
    budget = _budget if _budget is not None else [MAX_LEAVES]
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError(f"the value has more than {MAX_LEAVES} items")
    kind = type(value)
    if value is None:
        return {"t": "none"}
    if kind in (bool, int, str):
        return {"t": kind.__name__, "v": value}
    if kind is float:
        return {"t": "float", "v": value}
    if kind in (list, tuple):
        return {"t": kind.__name__, "v": [encode(item, budget) for item in value]}
    if kind in (set, frozenset):
        items = [encode(item, budget) for item in value]
        return {"t": "set", "v": sorted(items, key=lambda node: json.dumps(node, sort_keys=True))}
    if kind is dict:
        return {"t": "dict", "v": [[encode(k, budget), encode(v, budget)] for k, v in value.items()]}
    if kind is np.ndarray and value.dtype.name in ARRAY_DTYPES:
        budget[0] -= value.size
        if budget[0] < 0:
            raise ValueError(f"the array has more than {MAX_LEAVES} items")
        return {"t": "ndarray", "dtype": value.dtype.name, "shape": list(value.shape),
                "v": value.reshape(-1).tolist()}
    if isinstance(value, np.generic) and type(value).__module__ == "numpy" \
            and value.dtype.name in ARRAY_DTYPES:
        return {"t": "npscalar", "dtype": value.dtype.name, "v": value.item()}
    return {"t": "object", "type": f"{kind.__module__}.{kind.__qualname__}"[:120]}


# --- facts about a Keras model --------------------------------------------------------------

LAYER_FIELDS = ("units", "activation", "rate", "mask_zero", "input_dim", "output_dim",
                "return_sequences", "use_bias", "filters", "kernel_size", "pool_size",
                "trainable", "merge_mode")


def layer_facts(layer) -> dict:
    config = layer.get_config()
    facts = {"type": type(layer).__name__}
    facts.update({field: _plain(config[field]) for field in LAYER_FIELDS if field in config})
    inner = getattr(layer, "forward_layer", None) or getattr(layer, "layer", None)
    if inner is not None:
        facts["layer"] = layer_facts(inner)
    return facts


def _plain(value):
    """A config value as plain data (Keras lists shapes as lists or tuples)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value if type(value) in (bool, int, float, str) or value is None else repr(value)


def _layers(model) -> list:
    import keras
    return [layer_facts(layer) for layer in model.layers
            if not isinstance(layer, keras.layers.InputLayer)]


def _parameters(model) -> dict:
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return {"total": int(model.count_params()), "trainable": trainable}


def _shapes(model) -> dict:
    return {"input": _plain(model.input_shape), "output": _plain(model.output_shape),
            "input_dtype": str(model.inputs[0].dtype)}


def _training(model) -> dict:
    loss = model.loss
    loss_name = loss if isinstance(loss, str) else getattr(
        loss, "name", getattr(loss, "__name__", type(loss).__name__))
    optimizer = model.optimizer
    rate = None if optimizer is None else float(np.asarray(optimizer.learning_rate))
    metrics = (model.get_compile_config() or {}).get("metrics") if model.compiled else None
    return {"compiled": bool(model.compiled),
            "optimizer": None if optimizer is None else type(optimizer).__name__,
            "learning_rate": None if rate is None else round(rate, 7),
            "loss": str(loss_name), "from_logits": bool(getattr(loss, "from_logits", False)),
            "metrics": sorted(str(m).lower() for m in (metrics or []))}


FACTS = {"layers": _layers, "parameters": _parameters, "shapes": _shapes,
         "training": _training}

