"""`release LAB`: the student version of a lab, with the data its notebooks read.

nbgrader's `generate_assignment` writes `release/LAB/` (solutions and hidden
tests stripped) and records the lab's grade cells in the gradebook. The
students' dataset files and a copy of the `labs` helper package go beside the
notebooks (both git-ignored), with `lab.json` (the time limit and the files the
grader scores, for `python -m labs.check`), so the folder is all a student needs.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py

import labs
from autograder.course import Course, GradingError
from labs.check import LAB_CONTRACT
from labs.data import DATA_DIR


def release(course: Course, lab_name: str) -> Path:
    lab = course.lab(lab_name)
    missing = [course.data / f"{name}.h5" for name in lab.datasets
               if not (course.data / f"{name}.h5").is_file()]
    if missing:
        raise GradingError(f"dataset file(s) missing: {', '.join(map(str, missing))}; "
                           "create them with `make data` (python -m data_prep)")
    run = course.nbgrader("generate_assignment", lab.name, "--force")
    if run.returncode != 0:
        raise GradingError(f"nbgrader generate_assignment {lab.name} failed:\n{run.stdout[-3000:]}")
    folder = course.release / lab.name
    if lab.datasets:
        (folder / DATA_DIR).mkdir(exist_ok=True)
    for name in lab.datasets:
        target = folder / DATA_DIR / f"{name}.h5"
        shutil.copyfile(course.data / f"{name}.h5", target)
        _refuse_heldout(target)
    (folder / LAB_CONTRACT).write_text(json.dumps(lab.contract(), indent=1) + "\n")
    package = Path(labs.__file__).parent
    shutil.rmtree(folder / "labs", ignore_errors=True)
    shutil.copytree(package, folder / "labs", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def _refuse_heldout(path: Path) -> None:
    with h5py.File(path, "r") as f:
        if f.attrs.get("heldout", False):
            path.unlink()
            raise GradingError(f"{path} is a grader-only held-out file; it must not be released")
