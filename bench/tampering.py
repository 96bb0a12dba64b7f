"""Tampering with in-kernel verdicts, on a real notebook: points before and after the judge.

Each route is the untouched release (every exercise unsolved) with one cell of
hostile code after the setup cell. Each submission is autograded by plain
nbgrader, whose in-kernel verdicts are what a course without the judge gets
("nbgrader"), then scored by `autograder score` (judge and held-out step,
sandboxed: "judged"). The untouched release and the reference run beside them.

    .venv/bin/python bench/tampering.py lab1 sentiment_nn [--course demo_course]

The course must hold the lab's release and data (`make demo` builds one).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]
from autograder import gradebook  # noqa: E402
from autograder.collect import collect  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.grade import answer_keys, score  # noqa: E402
from autograder.samples import fill, solution_code  # noqa: E402
from labs.data import DATA_DIR_ENV  # noqa: E402

STUB = "raise NotImplementedError()"
# Kernel-side routes to a verdict nbgrader decides in the kernel; none touches the sandbox.
ROUTES = {
    "input transformer": "def wrap(lines):\n    return ['try:\\n', *('    ' + l for l in lines),"
                         " '\\nexcept BaseException:\\n    pass\\n']\n"
                         "get_ipython().input_transformers_post.append(wrap)",
    "set_custom_exc": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
    "AST transformer": "import ast\nclass Guard(ast.NodeTransformer):\n"
                       "    def visit_Module(self, node):\n"
                       "        node.body = [ast.Try(body=[s], handlers=[ast.ExceptHandler("
                       "body=[ast.Pass()])], orelse=[], finalbody=[]) for s in node.body]\n"
                       "        return ast.fix_missing_locations(node)\n"
                       "get_ipython().ast_transformers.append(Guard())",
    # Jumps over every `assert` and `raise` line of the notebook's own cells.
    "sys.settrace": "import linecache, sys\ndef skip(frame, event, arg):\n"
                    "    name = frame.f_code.co_filename\n"
                    "    if not name.startswith('/tmp/ipykernel'):\n        return None\n"
                    "    if event == 'line' and linecache.getline(name, frame.f_lineno).strip()"
                    ".startswith(('assert', 'raise')):\n"
                    "        try:\n            frame.f_lineno = frame.f_lineno + 1\n"
                    "        except ValueError:\n            pass\n    return skip\n"
                    "sys.settrace(skip)",
    "NumPy comparisons replaced": "import numpy as np\n"
                                  "np.isclose = np.allclose = np.array_equal = lambda *a, **k: True",
    "forged probes": "import json, labs.checks\nclass Forged:\n"
                     "    def __init__(self, grade_id):\n"
                     "        self.path = labs.checks.probe_path(grade_id)\n"
                     "        self.path.parent.mkdir(exist_ok=True)\n"
                     "    def __call__(self, name, *args, **kwargs):\n"
                     "        self.path.open('a').write(json.dumps({'name': name, 'weight': 1e9, "
                     "'compare': {'kind': 'subset'}, 'value': {'t': 'int', 'v': 1}}) + '\\n')\n"
                     "    def model(self, name, *args, **kwargs):\n        return None\n"
                     "labs.checks.Probes = Forged",
}
ANYTHING = ("class Anything:\n    def __eq__(self, other):\n        return True\n"
            "    __ne__ = lambda self, other: False\n    __hash__ = None\n")


def submissions(course: Course, lab: str, notebook: str) -> dict[str, nbformat.NotebookNode]:
    source = nbformat.read(course.source / lab / f"{notebook}.ipynb", as_version=4)
    release = nbformat.read(course.release / lab / f"{notebook}.ipynb", as_version=4)
    setup = next(i for i, cell in enumerate(release.cells) if cell.cell_type == "code")
    out = {"reference": fill(source, release, lambda gid, sol: sol),
           "untouched": release,
           # every exercise returns an object equal to everything
           "always-equal objects": fill(source, release, lambda gid, sol: None)}
    for cell in out["always-equal objects"].cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = ANYTHING + cell.source.replace(STUB, "return Anything()")
    for route, code in ROUTES.items():
        nb = nbformat.reads(nbformat.writes(release), as_version=4)
        nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(code))
        out[route] = nb
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lab")
    parser.add_argument("notebook")
    parser.add_argument("--course", type=Path, default=Path("demo_course"))
    parser.add_argument("--only", action="append", metavar="ROUTE",
                        help="only this submission (repeatable; the table's first column)")
    args = parser.parse_args()
    course = Course.at(args.course.resolve())
    lab = course.lab(args.lab)
    students = {}
    with tempfile.TemporaryDirectory(prefix="dl4nlp-tamper-") as inbox:
        for index, (name, nb) in enumerate(submissions(course, args.lab, args.notebook).items()):
            if args.only and name not in args.only:
                continue
            student = f"tamper{index}"
            students[student] = name
            (Path(inbox) / student).mkdir()
            nbformat.write(nb, Path(inbox) / student / f"{args.notebook}.ipynb")
        collect(course, args.lab, Path(inbox), replace=True)
    keys = answer_keys(course, lab, sandboxed=True)
    print(f"{'route':30s} {'nbgrader':>9s} {'judged':>7s} {'max':>5s} {'autograde s':>12s} "
          f"{'score s':>8s}")
    for student, name in students.items():
        shutil.rmtree(course.autograded / student, ignore_errors=True)
        started = time.perf_counter()
        run = course.nbgrader("autograde", args.lab, f"--student={student}", "--force",
                              env={DATA_DIR_ENV: str(course.data)})
        if run.returncode != 0:
            print(f"{name:30s} nbgrader autograde failed:\n{run.stdout[-2000:]}")
            continue
        before = gradebook.notebook_scores(course, args.lab, student)[args.notebook]
        autograded = time.perf_counter()
        score(course, lab, student, keys, sandboxed=True,
              skip=[nb for nb in lab.notebooks if nb != args.notebook])
        after = gradebook.notebook_scores(course, args.lab, student)[args.notebook]
        print(f"{name:30s} {before[0]:9g} {after[0]:7g} {after[1]:5g} "
              f"{autograded - started:12.1f} {time.perf_counter() - autograded:8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
