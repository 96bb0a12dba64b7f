"""The judge, run as its own process after the kernel has ended: `python -I -m autograder.judge`.

No student code runs here. For each notebook with an answer key
(`autograder.keys`: the reference solution's probe results, grader-only), it
reads the probes the student's kernel recorded (`labs.checks`, JSON data
only, size-capped) and compares each with the key's value the way the key
says (`labs.checks` comparisons). A test cell scores the weighted share of its
probes that match; the verdict of each probe (its author's message, and what
was expected and got when it failed) replaces the cell's output in feedback.
Everything the student's kernel wrote is untrusted: a malformed, oversized or
missing record fails that probe, never the judge.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from autograder.untrusted import UntrustedFile, printable, read_regular
from labs.checks import ARRAY_DTYPES, probe_path

MAX_PROBE_FILE_BYTES = 32_000_000
SHORT = 70  # characters of a value shown in a verdict


class Malformed(ValueError):
    """A recorded value that is not the data `labs.checks.encode` writes."""


class Opaque:
    """A value the kernel could not record as data (an object of some class)."""

    def __init__(self, type_name: str):
        self.type_name = str(type_name)

    def __repr__(self):
        return f"<{self.type_name} object>"


# --- decoding untrusted trees ---------------------------------------------------------------

SCALARS = {"bool": bool, "int": int, "float": float, "str": str}


def decode(node):
    if not isinstance(node, dict):
        raise Malformed("not a value node")
    kind = node.get("t")
    if kind == "none":
        return None
    if kind in SCALARS:
        value = node.get("v")
        wanted = SCALARS[kind]
        if type(value) is not wanted and not (wanted is float and type(value) is int):
            raise Malformed(f"a {kind} node holds {type(value).__name__}")
        return wanted(value)
    if kind in ("list", "tuple", "set", "dict", "ndarray") and not isinstance(node.get("v"), list):
        raise Malformed(f"a {kind} node without items")
    if kind == "list":
        return [decode(item) for item in node["v"]]
    if kind == "tuple":
        return tuple(decode(item) for item in node["v"])
    if kind == "set":
        return frozenset(_hashable(decode(item)) for item in node["v"])
    if kind == "dict":
        pairs = node["v"]
        if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise Malformed("a dict node whose items are not pairs")
        return {_hashable(decode(k)): decode(v) for k, v in pairs}
    if kind in ("ndarray", "npscalar"):
        dtype = node.get("dtype")
        if dtype not in ARRAY_DTYPES:
            raise Malformed(f"an array of dtype {dtype!r}")
        try:
            if kind == "npscalar":
                return np.dtype(dtype).type(node.get("v"))
            shape = node.get("shape")
            if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)
                    and math.prod(shape) == len(node["v"])):
                raise Malformed("an array whose shape does not fit its items")
            return np.array(node["v"], dtype=dtype).reshape(shape)
        except (TypeError, ValueError, OverflowError) as err:
            raise Malformed(f"an array that does not decode ({err})") from None
    if kind == "object":
        return Opaque(node.get("type", "?"))
    raise Malformed(f"an unknown node kind {kind!r}")


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        raise Malformed("a set item or dict key that is not hashable") from None
    return value


# --- comparing ------------------------------------------------------------------------------

def _is_number(x) -> bool:
    return isinstance(x, (bool, int, float, np.number, np.bool_))


def _is_sequence(x) -> bool:
    return isinstance(x, (list, tuple)) or (isinstance(x, np.ndarray) and x.ndim > 0)


def equal(got, expected, rtol: float = 0.0, atol: float = 0.0) -> bool:
    """Equal values: numbers by value (NaN equals NaN), sequences item by item."""
    if isinstance(got, Opaque) or isinstance(expected, Opaque):
        return False
    if isinstance(expected, np.ndarray) and expected.ndim == 0:
        expected = expected.item()
    if isinstance(got, np.ndarray) and got.ndim == 0:
        got = got.item()
    if _is_number(expected) or _is_number(got):
        if not (_is_number(expected) and _is_number(got)):
            return False
        a, b = float(got), float(expected)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= atol + rtol * abs(b)
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        if not (_is_sequence(got) and _is_sequence(expected)):
            return False
        try:
            a, b = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        return a.shape == b.shape and bool(np.all(np.isclose(a, b, rtol=rtol, atol=atol,
                                                               equal_nan=True) | (a == b)))
    if isinstance(expected, (list, tuple)):
        return (isinstance(got, (list, tuple)) and len(got) == len(expected)
                and all(equal(g, e, rtol, atol) for g, e in zip(got, expected)))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and set(got) == set(expected)
                and all(equal(got[k], expected[k], rtol, atol) for k in expected))
    if isinstance(expected, frozenset):
        return isinstance(got, frozenset) and got == expected
    return type(got) is type(expected) and got == expected  # str, None


def types_of(node, strict: bool = True):
    """A node's type tree; `strict=False` only tells numbers, text, sequences and mappings apart."""
    kind = node.get("t") if isinstance(node, dict) else None
    children = node.get("v") if isinstance(node, dict) else None
    if kind in ("list", "tuple", "set") and isinstance(children, list):
        name = kind if strict else "sequence"
        return (name, tuple(types_of(c, strict) for c in children))
    if kind == "dict" and isinstance(children, list):
        return ("dict", tuple((types_of(p[0], strict), types_of(p[1], strict))
                              for p in children if isinstance(p, list) and len(p) == 2))
    if kind == "ndarray":
        shape = node.get("shape")
        return ("ndarray", node.get("dtype"), len(shape)) if strict \
            else ("sequence", len(shape) if isinstance(shape, list) else None)
    if kind == "npscalar":
        return ("npscalar", node.get("dtype")) if strict else "number"
    if kind in ("bool", "int", "float"):
        return kind if strict else "number"
    return kind if kind != "object" else ("object", node.get("type"))


def _canonical(x):
    """A hashable stand-in for set comparisons: numbers as floats, sequences as tuples."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if _is_number(x):
        return float(x)
    if isinstance(x, (list, tuple)):
        return tuple(_canonical(i) for i in x)
    return x if not isinstance(x, Opaque) else ("object", x.type_name)


def _items(x) -> list:
    if isinstance(x, (list, tuple, frozenset, np.ndarray)) and not (
            isinstance(x, np.ndarray) and x.ndim == 0):
        return list(x)
    raise Malformed("not a sequence")


# Comparisons with the key's value; the others test a property of the student's value alone.
ANSWERS = ("exact", "close", "same_types", "as_set")


def compare(spec: dict, got_node, expected_node, reveal: bool = True) -> str | None:
    """None if the probe passes, else what is wrong (shown to the student); `reveal`: the
    message may show the expected value (not for hidden cases: a student who saw it could
    hard-code it in a later submission)."""
    kind = spec.get("kind")
    got, expected = decode(got_node), decode(expected_node)
    wrong = (f"expected {describe(expected)}, got {describe(got)}" if reveal
             else f"got {describe(got)}, which is not the expected value")
    if kind in ("exact", "close", "same_types"):
        rtol, atol = (spec.get("rtol", 0.0), spec.get("atol", 0.0))
        if not equal(got, expected, rtol, atol):
            return wrong
        want, have = types_of(expected_node), types_of(got_node)
        return None if kind != "same_types" or want == have else \
            f"expected the types {_types_text(want)}, got {_types_text(have)}"
    if kind == "shape_and_dtype":
        ok = (isinstance(got, np.ndarray) and isinstance(expected, np.ndarray)
              and got.shape == expected.shape and got.dtype == expected.dtype)
        return None if ok else wrong
    if kind in ("as_set", "subset"):
        try:
            have, want = Counter(map(_canonical, _items(got))), Counter(map(_canonical, _items(expected)))
        except (Malformed, TypeError):
            return f"expected a collection, got {describe(got)}"
        if kind == "as_set":
            return None if have == want else f"{wrong} (in any order)"
        extra = [item for item in have if item not in want]
        return None if not extra else f"got items that are not allowed: {describe(extra)}"
    # The rest test the student's value alone: its shape of data must be the key's first.
    if types_of(got_node, strict=False) != types_of(expected_node, strict=False):
        return wrong
    if kind in ("all_equal", "all_close", "not_all_equal"):
        items = _items(got)
        rtol, atol = (spec["rtol"], spec["atol"]) if kind == "all_close" else (0.0, 0.0)
        same = len(items) > 1 and all(equal(i, items[0], rtol, atol) for i in items[1:])
        if kind == "not_all_equal":
            return None if len(items) > 1 and not same else "the results should differ, but are equal"
        return None if same else "the results should be equal, but differ"
    if kind in ("within", "probabilities"):
        try:
            values = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return f"expected numbers, got {describe(got)}"
        if kind == "within":
            low, high = spec["low"], spec["high"]
            ok = values.size > 0 and bool(np.all((values > low) & (values < high)))
            return None if ok else f"expected every value strictly between {low} and {high}"
        tol = spec["atol"]
        ok = (values.ndim > 0 and values.size > 0 and bool(np.all((values >= -tol) & (values <= 1 + tol)))
              and bool(np.allclose(values.sum(axis=-1), 1.0, atol=max(tol, 1e-6) * values.shape[-1])))
        return None if ok else "expected probabilities: values in [0, 1], each row summing to 1"
    raise Malformed(f"the answer key has an unknown comparison {kind!r}")


def describe(value) -> str:
    """A short, printable picture of a value for a verdict."""
    if isinstance(value, np.ndarray) and (value.size > 8 or value.ndim > 1):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)) and len(value) > 8:
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, np.ndarray):
        value = value.tolist()
    text = printable(repr(value))
    return text if len(text) <= SHORT else text[:SHORT - 1] + "…"


def _types_text(tree) -> str:
    text = str(tree).replace("'", "")
    return text if len(text) <= SHORT else text[:SHORT - 1] + "…"


# --- reading records and judging cells --------------------------------------------------------

def read_probes(path: Path) -> tuple[dict[str, dict], str | None]:
    """({probe name: record}, why the file could not be read or None); the last record wins."""
    try:  # not following links, not blocking on a FIFO: the kernel made this file
        raw = read_regular(path, MAX_PROBE_FILE_BYTES)
    except FileNotFoundError:
        return {}, None
    except UntrustedFile as err:
        return {}, f"the probes file is {err}"
    records = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict) and isinstance(record.get("name"), str):
            records[record["name"]] = record
    return records, None


# Answers a constant would guess: a student who returns one for every input must not score.
GUESSES = (None, 0, 1, -1, 0.5)  # booleans equal 0 and 1; empty containers too


def needing_company(key_records: list[dict]) -> list[bool]:
    """Per probe, whether it counts only once a probe no constant could pass has passed: a
    property check (a constant meets "the same seed gives the same result"), or an answer
    a constant would guess (`GUESSES`, an empty container) or that a visible example of
    the cell (weight 0: the release shows its answer) expects too."""
    answers = {i: decode(r["value"]) for i, r in enumerate(key_records)
               if r["compare"].get("kind") in ANSWERS}
    shown = [answers[i] for i in answers if float(key_records[i].get("weight", 1.0)) == 0]

    def guessable(value) -> bool:
        if isinstance(value, (list, tuple, dict, frozenset, str, np.ndarray)) and len(value) == 0:
            return True
        return any(equal(value, guess) for guess in (*GUESSES, *shown))

    return [i not in answers or guessable(answers[i]) for i in range(len(key_records))]


def judge_cell(key_records: list[dict], probes: dict[str, dict], problem: str | None
               ) -> tuple[float, list[dict]]:
    """(weighted share of probes that pass, one verdict per probe of the key).

    Probes `needing_company` count only once another with a weight has passed. Hidden
    cases (weight > 0) do not show their expected value.
    """
    verdicts, earned, total, waiting, anchored = [], 0.0, 0.0, 0.0, False
    for expected, needs_company in zip(key_records, needing_company(key_records)):
        name, weight = expected["name"], float(expected.get("weight", 1.0))
        total += weight
        got = probes.get(name)
        if problem:
            why = problem
        elif got is None:
            why = "not recorded (the cell stopped before this check, or an earlier one failed)"
        elif "error" in got:
            why = f"raised {printable(str(got['error']))[:200]}"
        else:
            try:
                why = compare(expected["compare"], got.get("value"), expected["value"],
                              reveal=weight == 0)
            except (Malformed, RecursionError) as err:
                why = f"the recorded value is not valid data ({err})"
        if why is None and needs_company:
            waiting += weight
        elif why is None:
            earned += weight
            anchored = anchored or weight > 0
        verdicts.append({"name": name, "passed": why is None,
                         "message": f"{name}: " + ("passed" if why is None else why)})
    if anchored:
        earned += waiting
    return (earned / total if total else 0.0), verdicts


def judge_notebook(key: dict, submission: Path) -> list[dict]:
    results = []
    for grade_id, key_records in key["cells"].items():
        probes, problem = read_probes(probe_path(grade_id, submission))
        fraction, verdicts = judge_cell(key_records, probes, problem)
        results.append({"notebook": key["notebook"], "grade_id": grade_id,
                        "fraction": fraction, "verdicts": verdicts})
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -I -m autograder.judge")
    parser.add_argument("--submission", type=Path, required=True,
                        help="the autograded folder of one student's lab")
    parser.add_argument("--keys", type=Path, required=True, help="the lab's answer keys")
    parser.add_argument("--notebook", action="append", required=True)
    args = parser.parse_args(argv)
    results = []
    for notebook in args.notebook:
        key = json.loads((args.keys / f"{notebook}.json").read_text())
        results += judge_notebook(key, args.submission)
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
