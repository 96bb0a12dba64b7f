"""The catalog agrees with the notebooks, the datasets and the scorer (fast: no kernel runs)."""
import re
from pathlib import Path

import nbformat
import pytest

from autograder.catalog import LABS, MODEL_METRICS
from autograder.heldout import METRICS
from data_prep.datasets import DATASETS

REPO = Path(__file__).resolve().parents[1]
LAB_NAMES = list(LABS)


def notebook_cells(lab, notebook):
    """({grade_id: cell}, every cell) of a source notebook."""
    nb = nbformat.read(REPO / "source" / lab / f"{notebook}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if "grade_id" in c.metadata.get("nbgrader", {})}, nb.cells


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_every_notebook_exists_and_the_points_make_100(lab):
    total = 0
    for notebook in LABS[lab].notebooks:
        graded, _ = notebook_cells(lab, notebook)
        total += sum(c.metadata["nbgrader"].get("points", 0) for c in graded.values()
                     if c.metadata["nbgrader"].get("grade"))
    assert total == 100


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_evaluators_name_grade_cells_datasets_and_metrics_that_exist(lab):
    spec = LABS[lab]
    assert len({e.artifact_name for e in spec.evaluators}) == len(spec.evaluators)
    for evaluator in spec.evaluators:
        assert evaluator.notebook in spec.notebooks
        graded, _ = notebook_cells(lab, evaluator.notebook)
        meta = graded[evaluator.grade_id].metadata["nbgrader"]
        assert meta["grade"] and not meta["solution"] and meta["points"] > 0, evaluator.grade_id
        assert evaluator.dataset in spec.datasets and evaluator.dataset in DATASETS
        assert evaluator.metric in METRICS
    assert set(MODEL_METRICS) <= set(METRICS)
    assert set(spec.datasets) <= set(DATASETS)


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_sample_settings_name_solution_cells(lab):
    spec = LABS[lab]
    solutions = set()
    for notebook in spec.notebooks:
        graded, _ = notebook_cells(lab, notebook)
        solutions |= {gid for gid, c in graded.items() if c.metadata["nbgrader"]["solution"]}
    assert set(spec.sample_unsolved) <= solutions
    assert set(spec.sample_buggy) <= solutions


@pytest.mark.parametrize("evaluator", [e for lab in LABS.values() for e in lab.evaluators],
                         ids=lambda e: e.grade_id)
def test_thresholds_stated_in_the_notebook_are_the_catalogs(evaluator):
    """The markdown right before a held-out cell states the thresholds the scorer uses."""
    lab = next(name for name, spec in LABS.items() if evaluator in spec.evaluators)
    _, all_cells = notebook_cells(lab, evaluator.notebook)
    position = next(i for i, c in enumerate(all_cells)
                    if c.metadata.get("nbgrader", {}).get("grade_id") == evaluator.grade_id)
    prose = all_cells[position - 1]
    assert prose.cell_type == "markdown"
    stated = {float(n) for n in re.findall(r"\d+(?:\.\d+)?", prose.source.replace(",", ""))}
    thresholds = evaluator.thresholds
    for value in (thresholds.zero_at, thresholds.full_at, thresholds.stretch_at):
        if value is not None:
            assert any(abs(value - n) < 1e-9 for n in stated), \
                f"{evaluator.grade_id}: {value:g} is not stated before the cell"
