"""Answer keys: the probes of each notebook's reference solution, recorded once and cached.

The source notebook (solutions and hidden tests) runs top to bottom in the same
sandbox as a submission; the probes its test cells record (`labs.checks`) become
the key, `autograder/heldout/keys/LAB/NOTEBOOK.json`, grader-only like the
held-out labels: never released, never in a student's kernel. The artifacts
the run saved are scored by the held-out evaluators like a student's, and the
key keeps those results: what the reference earns on this course's data (the
class report draws it beside the students'; `grade` warns when it is short of
full points). A key is rebuilt when its source notebook, the `labs` package or
the lab's datasets change.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder.catalog import Lab
from autograder.course import Course, GradingError
from autograder.judge import judge_cell
from autograder.sandbox import grading as policies
from labs import checks
from labs.data import DATA_DIR_ENV


def graded_cells(nb) -> list[str]:
    """The grade ids of a notebook's graded cells."""
    return [cell.metadata["nbgrader"]["grade_id"] for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("grade")]


def expected_files(course: Course, lab: Lab, notebook: str) -> list[str]:
    """What the grader takes from a run of `notebook` besides the notebook (relative to its
    folder): the artifacts, and the probe files of its graded cells."""
    source = nbformat.read(course.source / lab.name / f"{notebook}.ipynb", as_version=4)
    return [*lab.artifact_files(notebook),
            *(str(checks.probe_path(grade_id, "")) for grade_id in graded_cells(source))]


def key_path(course: Course, lab: Lab, notebook: str) -> Path:
    return course.answer_keys / lab.name / f"{notebook}.json"


def fingerprint(course: Course, lab: Lab, notebook: str) -> str:
    """What a key depends on: the source notebook, the labs package, the datasets' files."""
    digest = hashlib.sha256((course.source / lab.name / f"{notebook}.ipynb").read_bytes())
    for path in sorted(policies.LABS_DIR.rglob("*.py")):
        digest.update(path.read_bytes())
    for name in lab.datasets:
        info = (course.data / f"{name}.h5").stat()
        digest.update(f"{name}:{info.st_size}:{info.st_mtime_ns}".encode())
    return digest.hexdigest()


def _stored(course: Course, lab: Lab, notebook: str, current: str | None = None) -> dict | None:
    """The stored key if it is current (`current`: the fingerprint, if already known)."""
    try:
        key = json.loads(key_path(course, lab, notebook).read_text())
    except (FileNotFoundError, ValueError):
        return None
    current = current or fingerprint(course, lab, notebook)
    return key if key.get("fingerprint") == current else None


def is_current(course: Course, lab: Lab, notebook: str, current: str | None = None) -> bool:
    return _stored(course, lab, notebook, current) is not None


def ensure_key(course: Course, lab: Lab, notebook: str, sandboxed: bool) -> dict:
    """The notebook's answer key, built if missing or stale (its `cells` may be empty)."""
    key = _stored(course, lab, notebook)
    if key is not None:
        return key
    path = key_path(course, lab, notebook)
    cells, heldout = record_reference(course, lab, notebook, sandboxed)
    key = {"notebook": notebook, "fingerprint": fingerprint(course, lab, notebook),
           "cells": cells, "heldout": heldout}
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(f".{path.name}.new")
    fresh.write_text(json.dumps(key))
    fresh.replace(path)
    return key


def reference_results(course: Course, lab: Lab, notebook: str) -> list[dict]:
    """The held-out results of the reference's artifacts, as its current key recorded them."""
    key = _stored(course, lab, notebook)
    return key.get("heldout", []) if key else []


def record_reference(course: Course, lab: Lab, notebook: str, sandboxed: bool
                     ) -> tuple[dict[str, list[dict]], list[dict]]:
    """Run the source notebook: ({grade id: its probe records}, checked; the held-out
    evaluators' results on the artifacts it saved)."""
    source = course.source / lab.name / f"{notebook}.ipynb"
    nb = nbformat.read(source, as_version=4)
    grade_ids = graded_cells(nb)
    keep = expected_files(course, lab, notebook)
    with tempfile.TemporaryDirectory(prefix="dl4nlp-key-") as scratch:
        run = Path(scratch)
        out, work = run / "out", run / "work"
        out.mkdir()
        work.mkdir()
        args = ["--to", "notebook", "--execute", "--output-dir", str(run),
                "--output", "executed", f"--ExecutePreprocessor.timeout={lab.time_limit_s}"]
        env = {DATA_DIR_ENV: str(course.data)}
        if sandboxed:
            runtime = run / "runtime"
            runtime.mkdir()
            policy = policies.kernel_policy(course, lab, keep, runtime, out, run / "sandbox.json")
            kernel_args, kernel_env = policies.kernel_setup(run, policy)
            args += kernel_args
            env.update(kernel_env)
        else:
            out = work  # the kernel runs where the notebook is, and writes its probes there
        notebook_copy = work / source.name
        nbformat.write(nb, notebook_copy)
        try:
            executed = course.run(sys.executable, "-I", "-m", "nbconvert", *args,
                                  str(notebook_copy), timeout=lab.time_limit_s + 60, env=env)
        except subprocess.TimeoutExpired:
            raise GradingError(f"{source}: the reference run took more than "
                               f"{lab.time_limit_s} s, so no answer key could be made") from None
        if executed.returncode != 0:
            raise GradingError(f"{source}: the reference run failed, so no answer key could be "
                               f"made:\n{executed.stdout[-3000:]}")
        cells = {grade_id: _checked(source, grade_id, out) for grade_id in grade_ids
                 if (out / checks.probe_path(grade_id, "")).is_file()}
        return cells, _score_artifacts(course, lab, notebook, out, sandboxed)


def _score_artifacts(course: Course, lab: Lab, notebook: str, folder: Path, sandboxed: bool
                     ) -> list[dict]:
    """The held-out evaluators' results on the reference run's artifacts in `folder`."""
    evaluators = [e for e in lab.evaluators if e.notebook == notebook]
    if not evaluators:
        return []
    items, failure = policies.run_scorer("heldout", course, lab, folder, sandboxed, (notebook,))
    if failure is not None:
        return [e.unscored(f"held-out scoring failed: {failure}") for e in evaluators]
    return items


def reference_lines(key: dict) -> list[str]:
    """What the reference earns on each held-out cell of the key's notebook, one line each;
    a cell short of full points says so (its thresholds do not suit this course's data)."""
    return [f"the reference solution's {key['notebook']}/{item['grade_id']}: {item['message']}"
            + ("" if item["fraction"] >= 1 else
               " -- SHORT OF FULL POINTS: check the thresholds in autograder/catalog.py")
            for item in key.get("heldout", [])]


def _checked(source: Path, grade_id: str, folder: Path) -> list[dict]:
    """A cell's reference records, refused if a probe failed on the reference itself."""
    path = checks.probe_path(grade_id, folder)
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    names = [record["name"] for record in lines]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise GradingError(f"{source}, {grade_id}: two probes are named {duplicates[0]!r}")
    fraction, verdicts = judge_cell(lines, {record["name"]: record for record in lines}, None)
    failed = [v["message"] for v in verdicts if not v["passed"]]
    if failed:
        raise GradingError(f"{source}, {grade_id}: the reference solution fails its own "
                           f"probe ({failed[0]})")
    if fraction < 1:
        raise GradingError(f"{source}, {grade_id}: every probe with a weight has an answer a "
                           "constant could give (or the visible example shows): add a hidden "
                           "case with a less guessable answer")
    return lines
