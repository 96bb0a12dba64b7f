"""Sample submissions of a lab, made from its source and release notebooks.

What a student hands in is the release notebook with their code in the
solution cells. The samples fill those cells from the source's solutions
(markers stripped) to stand for: a perfect student, a student who changed
nothing, one who solved only part of the lab, one whose code raises, and a
file that is not a notebook at all. The demo and the tests grade them.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import nbformat

from autograder.catalog import Lab

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
SIMULATED_BUG = 'raise ValueError("simulated student bug")'


def solution_code(source: str) -> str:
    """A source cell's code with nbgrader's solution markers removed."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in SOLUTION_MARKERS)


def fill(source_nb, release_nb, code_for: Callable[[str, str], str | None]):
    """The release notebook with solution cells replaced by `code_for(grade_id, solution)`.

    `code_for` returns the code to hand in, or None to leave the stub.
    """
    solutions = {cell.metadata["nbgrader"]["grade_id"]: solution_code(cell.source)
                 for cell in source_nb.cells if cell.metadata.get("nbgrader", {}).get("solution")}
    submission = copy.deepcopy(release_nb)
    for cell in submission.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            code = code_for(meta["grade_id"], solutions[meta["grade_id"]])
            if code is not None:
                cell.source = code
    return submission


def with_bug(solution: str) -> str:
    """The solution with a bug that raises as soon as its function is called."""
    lines = solution.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip().startswith("def "):
            body = lines[i + 1]
            indent = body[: len(body) - len(body.lstrip())] or "    "
            return "\n".join([*lines[: i + 1], indent + SIMULATED_BUG, *lines[i + 1:]])
    return SIMULATED_BUG + "\n" + solution


KINDS: dict[str, tuple[str, Callable[[Lab, str, str], str | None] | None]] = {
    "reference": ("the reference solution", lambda lab, gid, sol: sol),
    "untouched": ("the release, unchanged", lambda lab, gid, sol: None),
    "partial": ("solved but for {unsolved}",
                lambda lab, gid, sol: None if gid in lab.sample_unsolved else sol),
    "buggy": ("the reference, but {buggy} raise",
              lambda lab, gid, sol: with_bug(sol) if gid in lab.sample_buggy else sol),
    "corrupt": ("a file that is not valid JSON", None),
}


def make_samples(lab: Lab, source_dir: Path, release_dir: Path, out: Path,
                 kinds: tuple[str, ...] | None = None) -> dict[str, str]:
    """Write one folder per sample student (`kinds`, or the lab's) under `out`;
    returns {student: description}."""
    descriptions = {}
    for student in kinds or lab.samples:
        description, code_for = KINDS[student]
        descriptions[student] = description.format(unsolved=", ".join(lab.sample_unsolved),
                                                   buggy=", ".join(lab.sample_buggy))
        folder = out / student
        folder.mkdir(parents=True, exist_ok=True)
        for notebook in lab.notebooks:
            release_nb = nbformat.read(release_dir / f"{notebook}.ipynb", as_version=4)
            path = folder / f"{notebook}.ipynb"
            if code_for is None:
                text = nbformat.writes(release_nb)
                path.write_text(text[: len(text) // 2])  # cut off mid-file
                continue
            source_nb = nbformat.read(source_dir / f"{notebook}.ipynb", as_version=4)
            nbformat.write(fill(source_nb, release_nb,
                                lambda gid, sol: code_for(lab, gid, sol)), path)
    return descriptions
