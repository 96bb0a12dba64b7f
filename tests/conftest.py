"""Shared fixtures: the raw mirror, and one data_prep build per test session."""
from __future__ import annotations

import http.server
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

from data_prep.build import build_all, select
from data_prep.fetch import RAW_DIR_ENV, RawStore

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    folder = Path(os.environ.get(RAW_DIR_ENV) or REPO.parent / "shared" / "data")
    if not (folder / "SHA256SUMS").is_file():
        pytest.fail(f"raw-corpus mirror not found at {folder}: set {RAW_DIR_ENV}")
    return folder


@pytest.fixture(scope="session")
def built(raw_dir, tmp_path_factory):
    """All datasets built once from the mirror into a scratch folder."""
    root = tmp_path_factory.mktemp("built")
    out, heldout = root / "data", root / "heldout"
    lines = []
    outcomes = build_all(select(None), RawStore(raw_dir=raw_dir, cache_dir=root / "cache"),
                         out, heldout, report=lines.append)
    return {"out": out, "heldout": heldout, "outcomes": outcomes, "report": lines,
            "raw_dir": raw_dir}


# --- a tiny nbgrader course (no TensorFlow) for the autograder's fast tests -------------

def _meta(**fields):
    return {"nbgrader": {"schema_version": 3, "task": False, **fields}}


# The tiny course's test cell: probes (judged outside the kernel), then the visible check.
TINY_TEST = """### BEGIN HIDDEN TESTS
import numpy as np
from labs.checks import Probes, close
probe = Probes("test_add")
probe("the example", add, 1, 2, weight=0)
probe("secret case: negative numbers", add, -1, -2)
probe("secret case: floats", add, 0.5, 0.25, compare=close())
probe("secret case: arrays, item by item", add, np.arange(3), np.ones(3, dtype=np.int64))
### END HIDDEN TESTS
assert add(1, 2) == 3, 'add(1, 2) should be 3'"""


def tiny_notebook():
    """One exercise (`add`), one test cell worth 2 points with a hidden part of probes."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    return new_notebook(cells=[
        new_markdown_cell("# Add two numbers", metadata=_meta(
            grade=False, solution=False, locked=True, grade_id="intro")),
        new_code_cell("def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n"
                      "    ### END SOLUTION", metadata=_meta(
                          grade=False, solution=True, locked=False, grade_id="add")),
        new_code_cell(TINY_TEST, metadata=_meta(
                          grade=True, solution=False, locked=True, points=2,
                          grade_id="test_add")),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}})


@pytest.fixture(scope="session")
def tiny_course_template(tmp_path_factory):
    """The tiny course, released once per session (nbgrader takes seconds to start)."""
    import shutil

    import nbformat

    from autograder.course import Course
    from autograder.release import release

    root = tmp_path_factory.mktemp("tiny") / "course"
    (root / "source" / "ps0").mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", root)
    nbformat.write(tiny_notebook(), root / "source" / "ps0" / "tasks.ipynb")
    release(Course.at(root), "ps0")
    return root


def copy_tiny_course(template: Path, root: Path) -> SimpleNamespace:
    """A fresh copy of the released tiny course (`ps0`), and `submit` to make submissions."""
    import copy
    import shutil

    import nbformat

    from autograder.course import Course

    shutil.copytree(template, root)
    released = nbformat.read(root / "release" / "ps0" / "tasks.ipynb", as_version=4)

    def submit(inbox, student, solution=None, test=None, raw=None, after=None):
        """Write inbox/STUDENT/tasks.ipynb: the release with its solution or test cell changed,
        and a cell of the student's own (`after`) at the end."""
        folder = inbox / student
        folder.mkdir(parents=True, exist_ok=True)
        if raw is not None:
            (folder / "tasks.ipynb").write_text(raw)
            return
        nb = copy.deepcopy(released)
        if solution is not None:
            nb.cells[1].source = solution
        if test is not None:
            nb.cells[2].source = test
        if after is not None:
            nb.cells.append(nbformat.v4.new_code_cell(after))
        nbformat.write(nb, folder / "tasks.ipynb")

    return SimpleNamespace(course=Course.at(root), root=root, submit=submit)


@pytest.fixture
def tiny_course(tiny_course_template, tmp_path):
    return copy_tiny_course(tiny_course_template, tmp_path / "course")


@contextmanager
def host_http_server():
    """An HTTP server on the host's 127.0.0.1 that no sandboxed code may reach: (port, hits)."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port, hits
    finally:
        server.shutdown()
