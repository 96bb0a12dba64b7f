"""The judge's comparisons and the probes' encoding, on values and on forged records."""
import json

import numpy as np
import pytest

from autograder.judge import judge_cell, read_probes
from labs import checks
from labs.checks import Probes, encode


def record(name, value, compare=None, weight=1.0):
    return {"name": name, "compare": compare or checks.exact(), "weight": weight,
            "value": encode(value)}


def verdict(compare, got, expected):
    """(passed, message) of one probe whose key value is `expected`."""
    fraction, [result] = judge_cell([record("p", expected, compare)],
                                    {"p": record("p", got, compare)}, None)
    return result["passed"], result["message"]


@pytest.mark.parametrize("compare, got, expected, passes", [
    (checks.exact(), (1, 2), (1, 2), True),
    (checks.exact(), 3, 3.0, True),                                   # numbers by value
    (checks.exact(), [1, 2], (1, 2), True),                           # sequences by items
    (checks.exact(), "3", 3, False),
    (checks.exact(), np.array([1, 2]), [1, 2], True),
    (checks.exact(), np.array([1, 2]), np.array([1, 2, 3]), False),
    (checks.exact(), {"a": 1}, {"a": 1}, True),
    (checks.exact(), {"a": 1}, {"a": 2}, False),
    (checks.exact(), float("nan"), float("nan"), True),
    (checks.close(rtol=1e-3), 1.0005, 1.0, True),
    (checks.close(rtol=1e-3), 1.01, 1.0, False),
    (checks.same_types(), (1, 2.0), (1, 2.0), True),
    (checks.same_types(), (1.0, 2.0), (1, 2.0), False),               # float for an int
    (checks.same_types(), [1, 2.0], (1, 2.0), False),                 # list for a tuple
    (checks.same_types(), np.float64(2.0), 2.0, False),               # NumPy for Python
    (checks.same_types(), np.zeros(2, np.float32), np.zeros(2), False),
    (checks.as_set(), [3, 1, 2], [1, 2, 3], True),
    (checks.as_set(), [3, 1, 1], [1, 3], False),
    (checks.subset(), [1, 1, 3], [1, 2, 3], True),
    (checks.subset(), [1, 4], [1, 2, 3], False),
    (checks.shape_and_dtype(), np.ones((2, 3), np.int32), np.zeros((2, 3), np.int32), True),
    (checks.shape_and_dtype(), np.ones((2, 3), np.int64), np.zeros((2, 3), np.int32), False),
])
def test_comparisons(compare, got, expected, passes):
    assert verdict(compare, got, expected)[0] is passes


def test_a_failed_probe_shows_the_expected_value_of_visible_cases_only():
    key = [record("visible", (1, 1), weight=0), record("hidden", (1, 2))]
    got = {"visible": record("visible", (0, 2)), "hidden": record("hidden", (0, 2))}
    assert [v["message"] for v in judge_cell(key, got, None)[1]] == [
        "visible: expected (1, 1), got (0, 2)",
        "hidden: got (0, 2), which is not the expected value"]


@pytest.mark.parametrize("constant", [0, 1.0, 0.5, None, True, [], "", 7])
def test_a_constant_earns_nothing(constant):
    """Answers a constant would guess (or the visible example's, 7) count only beside an
    answer no constant gives."""
    key = [record("visible example", 7, weight=0), record("zero", 0), record("one", 1.0),
           record("half", 0.5), record("nothing", None), record("flag", True),
           record("empty", []), record("blank", ""), record("same as the example", 7),
           record("the real case", 0.8125)]
    got = {r["name"]: record(r["name"], constant) for r in key}
    assert judge_cell(key, got, None)[0] == 0
    got["the real case"] = record("the real case", 0.8125)
    assert judge_cell(key, got, None)[0] > 1 / 9


def test_objects_are_never_compared_by_their_own_methods():
    class Anything(int):
        def __eq__(self, other):
            return True
        __hash__ = int.__hash__

    assert encode(Anything(5)) == {"t": "object", "type": f"{__name__}.{Anything.__qualname__}"}
    assert not verdict(checks.exact(), Anything(5), 3)[0]


def test_values_past_the_size_cap_are_not_recorded(tmp_path):
    probe = Probes("test_big", tmp_path)
    probe("huge", lambda: np.zeros(checks.MAX_LEAVES + 1))
    probe("many", lambda: list(range(checks.MAX_LEAVES + 1)))
    records, problem = read_probes(checks.probe_path("test_big", tmp_path))
    assert problem is None
    assert "more than" in records["huge"]["error"] and "more than" in records["many"]["error"]


def test_property_checks_count_only_once_an_answer_passed():
    key = [record("answer", 3), record("deterministic", [1, 1], checks.all_equal()),
           record("visible example", 7, weight=0)]
    constant = {"answer": record("answer", 0), "deterministic": record("deterministic", [5, 5]),
                "visible example": record("visible example", 7)}
    fraction, verdicts = judge_cell(key, constant, None)
    assert fraction == 0 and [v["passed"] for v in verdicts] == [False, True, True]
    constant["answer"] = record("answer", 3)
    assert judge_cell(key, constant, None)[0] == 1


def test_forged_records_gain_nothing():
    """Weights and comparisons come from the key; a record only supplies its value."""
    key = [record("a", 3), record("b", [1, 2], checks.close())]
    forged = {"a": {"name": "a", "compare": {"kind": "subset"}, "weight": 1e9, "passed": True,
                    "value": {"t": "int", "v": 4}},
              "b": {"name": "b", "value": {"t": "list", "v": "not a list"}}}
    fraction, verdicts = judge_cell(key, forged, None)
    assert fraction == 0
    assert "not valid data" in verdicts[1]["message"]


@pytest.mark.parametrize("node", [
    {"t": "int", "v": "3"}, {"t": "ndarray", "dtype": "object", "shape": [1], "v": [1]},
    {"t": "ndarray", "dtype": "int8", "shape": [2], "v": [1]},
    {"t": "ndarray", "dtype": "int8", "shape": [1], "v": [1000]},
    {"t": "dict", "v": [[{"t": "list", "v": []}, {"t": "int", "v": 1}]]}, {"t": "pickle"}, [],
])
def test_malformed_values_fail_the_probe_not_the_judge(node):
    fraction, [result] = judge_cell([record("p", 1)], {"p": {"name": "p", "value": node}}, None)
    assert fraction == 0 and not result["passed"]


def test_deeply_nested_or_oversized_files_are_refused_cleanly(tmp_path):
    path = checks.probe_path("test_x", tmp_path)
    path.parent.mkdir()
    deep = "[" * 100_000 + "]" * 100_000
    path.write_text(deep + "\n" + json.dumps(record("p", 1)) + "\n")
    records, problem = read_probes(path)
    assert problem is None and list(records) == ["p"]
    with path.open("r+") as f:
        f.truncate(40_000_000)
    assert "larger than" in read_probes(path)[1]
