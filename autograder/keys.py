"""Answer keys: the probes of each notebook's reference solution, recorded once and cached.

The source notebook (solutions and hidden tests, up to its last test cell)
runs in the same sandbox as a submission; the probes its test cells record (`labs.checks`) become the key,
`autograder/heldout/keys/LAB/NOTEBOOK.json`, grader-only like the held-out
labels: never released, never in a student's kernel. A key is rebuilt when
its source notebook, the `labs` package or the lab's datasets change.
"""
from __future__ import annotations

import copy
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


def probe_files(course: Course, lab: Lab, notebook: str) -> list[str]:
    """The probe files (relative to the notebook's folder) a run of `notebook` may write."""
    source = nbformat.read(course.source / lab.name / f"{notebook}.ipynb", as_version=4)
    return [str(checks.probe_path(grade_id, "")) for grade_id in graded_cells(source)]


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


def ensure_key(course: Course, lab: Lab, notebook: str, sandboxed: bool) -> dict | None:
    """The notebook's answer key, built if missing or stale; None if it has no probes."""
    key = _stored(course, lab, notebook)
    if key is not None:
        return key if key["cells"] else None
    path = key_path(course, lab, notebook)
    key = {"notebook": notebook, "fingerprint": fingerprint(course, lab, notebook),
           "cells": record_reference(course, lab, notebook, sandboxed)}
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(f".{path.name}.new")
    fresh.write_text(json.dumps(key))
    fresh.replace(path)
    return key if key["cells"] else None


def record_reference(course: Course, lab: Lab, notebook: str, sandboxed: bool
                     ) -> dict[str, list[dict]]:
    """Run the source notebook and return {grade id: its probe records}, checked."""
    source = course.source / lab.name / f"{notebook}.ipynb"
    nb = nbformat.read(source, as_version=4)
    grade_ids = graded_cells(nb)
    keep = [str(checks.probe_path(grade_id, "")) for grade_id in grade_ids]
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
        nbformat.write(_up_to_last_test(nb, lab), notebook_copy)
        try:
            executed = course.run(sys.executable, "-I", "-m", "nbconvert", *args,
                                  str(notebook_copy), timeout=lab.time_limit_s + 60, env=env)
        except subprocess.TimeoutExpired:
            raise GradingError(f"{source}: the reference run took more than "
                               f"{lab.time_limit_s} s, so no answer key could be made") from None
        if executed.returncode != 0:
            raise GradingError(f"{source}: the reference run failed, so no answer key could be "
                               f"made:\n{executed.stdout[-3000:]}")
        return {grade_id: _checked(source, grade_id, out)
                for grade_id in grade_ids
                if (out / checks.probe_path(grade_id, "")).is_file()}


def _up_to_last_test(nb, lab: Lab):
    """A copy of the notebook without the cells after its last test cell: they cannot change
    a probe, and they are where the long training runs and held-out predictions are."""
    nb = copy.deepcopy(nb)
    heldout = {e.grade_id for e in lab.evaluators}
    tests = [i for i, cell in enumerate(nb.cells)
             if cell.metadata.get("nbgrader", {}).get("grade")
             and cell.metadata["nbgrader"]["grade_id"] not in heldout]
    nb.cells = nb.cells[:tests[-1] + 1] if tests else []
    return nb


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
