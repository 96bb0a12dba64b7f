"""`autograder grade`, `feedback` and `export` on a tiny assignment: real nbgrader, real kernels,
the real sandbox; hostile submissions graded in the same batch as well-behaved ones."""
import csv
import os
import re
import subprocess
import sys

import pytest
from conftest import copy_tiny_course, host_http_server

from autograder import catalog, gradebook
from autograder.catalog import MB, Lab, Limits
from autograder.collect import collect
from autograder.export import export
from autograder.feedback import feedback
from autograder.grade import grade
from autograder.sandbox import available as sandbox_unavailable
from autograder.summary import score_table

GOOD = "def add(a, b):\n    return a + b"
# Reads the instructor's source notebook (solutions, hidden tests) and runs its solution.
CHEAT = ("import json\nsource = json.load(open('../../../source/ps0/tasks.ipynb'))\n"
         "exec(''.join(source['cells'][1]['source']))")
TF_LOG = ("import sys\nsys.stderr.write('I0000 00:00:1795314589.378212    1792 port.cc:153] "
          "oneDNN custom operations are on.\\n')\nassert add(1, 2) == 3\n")

LIMITS = Limits(memory_bytes=400 * MB, processes=48, disk_bytes=40 * MB, output_bytes=MB)
# One hostile submission per class of attack; each defines a correct `add` after its attack,
# so any point it gets would be a point the sandbox failed to take away.
HOSTILE = {
    "memory": "x = []\nwhile True:\n    x.append(bytearray(10**7))",
    "fork": "import os, time\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
            "        time.sleep(0.1)",
    "disk": "with open('fill', 'wb') as f:\n    while True:\n        f.write(bytes(10**6))",
    "output": "print('x' * 2_000_000)\n" + GOOD,  # cut, but still graded
    "network": "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:{port}/', "
               "timeout=5)\n" + GOOD,
    "other_copy": "open({other!r}).read()\n" + GOOD,
    # Code a later process outside the sandbox would run if it imported from this folder.
    "plant": "import os\nfor name in ('nbgrader.py', 'ipykernel_launcher.py', 'sitecustomize.py',"
             " 'autograder/__init__.py', 'jupyter_client/__init__.py'):\n"
             "    os.makedirs(os.path.dirname(name) or '.', exist_ok=True)\n"
             "    open(name, 'w').write({plant!r})\n" + GOOD,
    # Links and a FIFO where the grader writes (the notebook, its report) or reads.
    "links": "import os\nos.symlink({victim!r}, 'tasks.ipynb')\nos.mkfifo('grading.json')\n"
             "os.symlink({victim!r}, 'timestamp.txt')\n" + GOOD,
}
UNSOLVED = "def add(a, b):\n    raise NotImplementedError()\n"
# The ways student code can change a verdict decided in its own kernel, each with `add`
# unsolved: any point one of them gets is a point the judge failed to keep.
TAMPER = {
    # An input transformer that wraps every later cell in try/except.
    "transformer": UNSOLVED + "def wrap(lines):\n    return ['try:\\n', *('    ' + l for l in lines),"
                   " '\\nexcept BaseException:\\n    pass\\n']\n"
                   "get_ipython().input_transformers_post.append(wrap)",
    "custom_exc": UNSOLVED + "get_ipython().set_custom_exc((BaseException,), "
                  "lambda *args, **kwargs: None)",
    # An AST transformer that turns every statement of later cells into a guarded one.
    "ast": UNSOLVED + "import ast\nclass Guard(ast.NodeTransformer):\n"
           "    def visit_Module(self, node):\n"
           "        node.body = [ast.Try(body=[stmt], handlers=[ast.ExceptHandler(type=None, "
           "name=None, body=[ast.Pass()])], orelse=[], finalbody=[]) for stmt in node.body]\n"
           "        return ast.fix_missing_locations(node)\n"
           "get_ipython().ast_transformers.append(Guard())",
    # A tracer that jumps over every line that would raise or assert.
    "settrace": UNSOLVED + "import sys\ndef tracer(frame, event, arg):\n"
                "    if event == 'line' and frame.f_code.co_filename.startswith('/tmp/ipykernel'):\n"
                "        try:\n            frame.f_lineno = frame.f_lineno + 1\n"
                "        except ValueError:\n            pass\n    return tracer\n"
                "sys.settrace(tracer)",
    "numpy": "import numpy as np\nnp.isclose = np.allclose = np.array_equal = "
             "lambda *args, **kwargs: True\ndef add(a, b):\n    return 0",
    "always_equal": "class Anything:\n    def __eq__(self, other):\n        return True\n"
                    "    __hash__ = None\ndef add(a, b):\n    return Anything()",
    # The helpers the test cell calls, replaced: probes that record what the student likes.
    "helper": UNSOLVED + "import json, labs.checks\nclass Forged:\n"
              "    def __init__(self, grade_id):\n        self.path = labs.checks.probe_path(grade_id)\n"
              "        self.path.parent.mkdir(exist_ok=True)\n"
              "    def __call__(self, name, *args, **kwargs):\n"
              "        self.path.open('a').write(json.dumps({'name': name, 'compare': "
              "{'kind': 'subset'}, 'weight': 1e9, 'passed': True, 'value': {'t': 'int', 'v': 3}})"
              " + '\\n')\nlabs.checks.Probes = Forged",
}
# Student code that shows the hidden test code, in the test cell and in a cell of its own.
LEAK = {
    "hook": (UNSOLVED + "sources = []\nget_ipython().events.register('pre_run_cell', "
             "lambda info: print(info.raw_cell) or sources.append(info.raw_cell))",
             "print(sources)"),
    "history": (UNSOLVED, "print(In)\nprint(_ih[-2])"),
    "frame": ("import inspect\nseen = []\ndef add(a, b):\n"
              "    seen.append(inspect.getsource(inspect.currentframe().f_back))\n"
              "    print(seen[-1])\n    raise NotImplementedError()", "print(seen)"),
}
HOSTILE_REASONS = {"memory": "stopped: used more than 400 MB of memory",
                   "fork": "stopped: ran more than 48 processes or threads",
                   "disk": "stopped: wrote more than 40 MB of files"}

pytestmark = pytest.mark.slow


# Files nbformat cannot read, and files that are not files: each that student's 0.
ODD = {"empty_list": "[]",
       "bad_worksheets": '{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": 5}',
       "deep": '{"cells": ' + "[" * 50_000 + "]" * 50_000 + "}"}
NOT_FILES = {"fifo": os.mkfifo, "folder": os.mkdir}


def scores(results):
    return {r.student: r.total for r in results}


def problems(results):
    return {r.student: r.problems for r in results}


@pytest.fixture(scope="module")
def server():
    with host_http_server() as served:
        yield served


@pytest.fixture(scope="module")
def graded(tiny_course_template, tmp_path_factory, server):
    """Ten ordinary submissions, eight that attack the sandbox, seven that tamper with the
    verdict and three that show hidden tests, graded once, in one batch."""
    tmp_path = tmp_path_factory.mktemp("graded")
    tiny_course = copy_tiny_course(tiny_course_template, tmp_path / "course")
    other = tmp_path / "second_copy" / "source" / "ps0" / "tasks.ipynb"  # another checkout
    other.parent.mkdir(parents=True)
    other.write_text((tiny_course.root / "source" / "ps0" / "tasks.ipynb").read_text())
    victim = tmp_path / "instructor_file.txt"
    victim.write_text("the instructor's")
    tiny_course.paths = {"marker": tmp_path / "planted_code_ran", "victim": victim}
    inbox = tmp_path / "inbox"
    for name, code in HOSTILE.items():
        plant = f"open({str(tiny_course.paths['marker'])!r}, 'w').write('ran')"
        tiny_course.submit(inbox, name, code.format(port=server[0], other=str(other),
                                                    plant=plant, victim=str(victim)))
    for name, code in TAMPER.items():
        tiny_course.submit(inbox, name, code)
    for name, (code, after) in LEAK.items():
        tiny_course.submit(inbox, name, code, after=after)
    tiny_course.submit(inbox, "good", GOOD)
    tiny_course.submit(inbox, "partial", "def add(a, b):\n    return int(a + b)")
    tiny_course.submit(inbox, "wrong", "def add(a, b):\n    return a - b")
    tiny_course.submit(inbox, "untouched")
    tiny_course.submit(inbox, "crash", "import os\nos._exit(3)")
    tiny_course.submit(inbox, "loop", GOOD + "\nwhile True:\n    pass")
    tiny_course.submit(inbox, "corrupt", raw='{"cells": [')
    tiny_course.submit(inbox, "overwrite", "def add(a, b):\n    return 0", test="pass")
    tiny_course.submit(inbox, "tflog", GOOD, test=TF_LOG)
    tiny_course.submit(inbox, "cheat", CHEAT)
    for name, raw in {**ODD, **dict.fromkeys(NOT_FILES, "{}")}.items():
        tiny_course.submit(inbox, name, raw=raw)
    collect(tiny_course.course, "ps0", inbox)
    for name, make in NOT_FILES.items():  # put there by hand, after collecting
        notebook = tiny_course.root / "submitted" / name / "ps0" / "tasks.ipynb"
        notebook.unlink()
        make(notebook)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(catalog.LABS, "ps0", Lab("ps0", ("tasks",), limits=LIMITS))
        # `loop` runs until the limit: 30 s, ten times what the others need on a busy machine.
        results = grade(tiny_course.course, "ps0", jobs=2, time_limit_s=30, log=str)
    return tiny_course, results


def test_scores_and_reasons(graded):
    _, results = graded
    assert scores(results) == {"cheat": 0, "corrupt": 0, "crash": 0, "good": 2, "loop": 0,
                               "overwrite": 0, "tflog": 2, "untouched": 0, "wrong": 0,
                               "partial": 0.67, **{name: 0 for name in HOSTILE}, "output": 2,
                               "plant": 2, "links": 2, **{name: 0 for name in TAMPER},
                               **{name: 0 for name in LEAK}, **{name: 0 for name in ODD},
                               **{name: 0 for name in NOT_FILES}}
    reasons = problems(results)
    assert reasons["fifo"] == ["tasks: not a valid notebook (a FIFO, not a file)"]
    assert reasons["folder"] == ["tasks: not a valid notebook (a folder, not a file)"]
    for name in ODD:
        assert len(reasons[name]) == 1, reasons[name]
        assert reasons[name][0].startswith("tasks: not a valid notebook ("), reasons[name]
    assert reasons["good"] == [] and reasons["tflog"] == []
    assert reasons["corrupt"] == ["tasks: not a valid notebook (Notebook does not appear to be "
                                  "JSON: '{\"cells\": [')"]
    assert reasons["crash"] == ["tasks: nbgrader could not grade it: "
                                "Kernel died while waiting for execute reply."]
    assert reasons["loop"] == ["tasks: stopped after the time limit of 30 s"]
    assert reasons["wrong"] == ["tasks: test_add raised AssertionError: add(1, 2) should be 3"]
    assert reasons["untouched"] == ["tasks: test_add raised NotImplementedError"]


@pytest.mark.skipif(sandbox_unavailable() is not None, reason="no namespaces here")
def test_each_hostile_submission_is_contained_with_its_reason(graded, server):
    course, results = graded
    reasons = problems(results)
    for name, reason in HOSTILE_REASONS.items():
        assert reasons[name] == [f"tasks: {reason}"], name
    assert reasons["output"] == ["tasks: output cut: printed more than 1 MB of output"]
    assert "URLError" in reasons["network"][0] and server[1] == []
    assert "No such file or directory" in reasons["other_copy"][0]
    # Nothing the kernel left in its folder reached the grader's: no code ran, no link followed.
    assert not course.paths["marker"].exists()
    assert course.paths["victim"].read_text() == "the instructor's"
    for name in ("plant", "links"):
        folder = course.root / "autograded" / name / "ps0"
        assert {p.name for p in folder.iterdir()} <= {"tasks.ipynb",
                                                       "timestamp.txt", "probes"}
        assert [p.name for p in (folder / "probes").iterdir()] == ["test_add.jsonl"]
        assert all(p.is_file() and not p.is_symlink() for p in folder.rglob("*")
                   if p.name != "probes")
    output = (course.root / "autograded" / "output" / "ps0" / "tasks.ipynb").stat().st_size
    assert output < 1.2 * MB


def test_a_regrade_after_planting_runs_no_planted_code(graded):
    course, _ = graded
    again = grade(course.course, "ps0", students=["plant", "good"], regrade=True, log=str)
    assert scores(again) == {"plant": 2, "good": 2}
    feedback(course.course, "ps0", ["plant"])
    assert not course.paths["marker"].exists()


def test_test_cells_are_restored_from_the_source(graded):
    course, _ = graded
    autograded = (course.root / "autograded" / "overwrite" / "ps0" / "tasks.ipynb").read_text()
    assert "add(1, 2) should be 3" in autograded


@pytest.mark.skipif(sandbox_unavailable() is not None, reason="no user namespaces here")
def test_sandbox_hides_the_course_from_student_code(graded):
    _, results = graded
    assert "No such file or directory: '../../../source/ps0/tasks.ipynb'" in \
        problems(results)["cheat"][0]


def test_without_the_sandbox_the_same_cheat_works(tiny_course, tmp_path):
    tiny_course.submit(tmp_path / "inbox", "cheat", CHEAT)
    collect(tiny_course.course, "ps0", tmp_path / "inbox")
    results = grade(tiny_course.course, "ps0", sandboxed=False, log=str)
    assert scores(results) == {"cheat": 2}


def test_regrading_is_idempotent_and_keeps_other_students(graded):
    course, first = graded
    again = grade(course.course, "ps0", students=["good", "wrong"], regrade=True, log=str)
    assert scores(again) == {"good": 2, "wrong": 0}
    assert gradebook.lab_scores(course.course, "ps0") == scores(first)


def test_feedback_shows_results_but_no_hidden_test_source(graded):
    course, _ = graded
    pages = feedback(course.course, "ps0")
    assert len(pages) == len(scores(graded[1]))
    corrupt = (course.root / "feedback" / "corrupt" / "ps0" / "tasks.html").read_text()
    assert "Score: 0 / 2" in corrupt and "not a valid notebook" in corrupt
    memory = (course.root / "feedback" / "memory" / "ps0" / "tasks.html").read_text()
    assert "Score: 0 / 2" in memory and HOSTILE_REASONS["memory"] in memory
    fifo = (course.root / "feedback" / "fifo" / "ps0" / "tasks.html").read_text()
    assert "a FIFO, not a file" in fifo
    wrong = (course.root / "feedback" / "wrong" / "ps0" / "tasks.html").read_text()
    assert "add(1, 2) should be 3" in wrong  # the visible test and its message
    assert "hidden tests: their result is shown below" in wrong
    assert "secret case: negative numbers: FAIL" not in wrong  # verdicts, not the code
    # Verdicts show what the code returned; only visible cases show the expected value.
    assert "FAIL  secret case: negative numbers: got 1, which is not the expected value" in wrong
    assert "FAIL  the example: expected 3, got -1" in wrong and "expected -3" not in wrong
    for page in pages:
        html = page.read_text()
        assert "add, -1, -2" not in html and "Probes(" not in html, page


def test_tampering_gains_nothing_and_feedback_shows_verdicts_not_code(graded):
    course, results = graded
    untouched = scores(results)["untouched"]
    assert {name: scores(results)[name] for name in [*TAMPER, *LEAK]} == \
        {name: untouched for name in [*TAMPER, *LEAK]}
    feedback(course.course, "ps0", [*TAMPER, *LEAK])
    for name in [*TAMPER, *LEAK]:
        html = (course.root / "feedback" / name / "ps0" / "tasks.html").read_text()
        # The forged helper's records pass the weightless example ("1 of 4"): still 0 points.
        assert re.search(r"Checks: [01] of 4 passed -(&gt;|>) 0/2 points", html), name
        assert "add, -1, -2" not in html and "np.arange(3)" not in html, name
    # What the kernel printed in its own cells after seeing the hidden tests is gone too.
    for name in LEAK:
        html = (course.root / "feedback" / name / "ps0" / "tasks.html").read_text()
        assert "output removed: it showed hidden test code" in html, name


def test_export_has_one_row_per_student(graded, tmp_path):
    course, _ = graded
    out = export(course.course, tmp_path / "grades.csv")
    rows = list(csv.DictReader(out.open()))
    assert [r["student"] for r in rows] == sorted(scores(graded[1]))
    good = next(r for r in rows if r["student"] == "good")
    assert good == {"student": "good", "ps0_score": "2", "ps0_percent": "100.0",
                    "ps0_to_grade_by_hand": "0", "course_grade": "100.0"}


def test_the_class_report_counts_what_the_grader_recorded(graded):
    """Scores, the pass rate of each hidden check, run times and each student's problem, from
    the gradebook and the grader's own records, escaped."""
    import html

    from autograder.report import write_report
    course, results = graded
    path = write_report(course.course, "ps0")
    page = path.read_text()
    assert path == course.root / "reports" / "ps0.html"
    assert f"{len(results)} students" in page and "Overview" in page
    assert page.count("<img alt=") == 1 and "data:image/png;base64," in page  # no held-out part
    passed, judged = map(int, re.search(r"secret case: negative numbers[^<]*</td>"
                                        r"<td class='num'>(\d+)/(\d+)<", page).groups())
    assert 0 < passed < judged
    assert "Run times" in page and html.escape(HOSTILE_REASONS["memory"]) in page
    assert "src='http" not in page and "<link" not in page  # self-contained


def test_cli_grade_prints_the_table(graded):
    course, _ = graded
    run = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course.root),
                          "grade", "ps0", "--student", "good", "--student", "wrong"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[-3].split()[:3] == ["good", "2/2", "2/2"]
    assert lines[-2].split()[:3] == ["wrong", "0/2", "0/2"]
    assert lines[-1] == f"class report: {course.root / 'reports' / 'ps0.html'}"


def test_without_namespaces_grading_refuses_unless_told(graded, monkeypatch):
    from autograder.grade import steps as grading
    from autograder.course import GradingError
    course, _ = graded
    monkeypatch.setattr(grading.sandbox, "available", lambda: "no user namespaces")
    with pytest.raises(GradingError, match="cannot sandbox student code: no user namespaces. "
                                           "To grade anyway, pass --no-sandbox"):
        grade(course.course, "ps0", students=["good"], log=str)
    said = []
    assert scores(grade(course.course, "ps0", students=["good"], sandboxed=False,
                        log=said.append)) == {"good": 2}
    assert said[0].startswith("WARNING: grading with --no-sandbox: student code runs as you")


def test_grading_unknown_student_or_unreleased_lab(graded):
    from autograder.course import GradingError
    course, _ = graded
    with pytest.raises(GradingError, match="no collected submission of ps0 for: zed"):
        grade(course.course, "ps0", students=["zed"], log=str)


def test_a_score_set_by_hand_survives_a_regrade(graded):  # last: it changes `wrong`
    course, _ = graded
    with gradebook.opened(course.course) as gb:  # what formgrader does
        gb.find_grade("test_add", "tasks", "ps0", "wrong").manual_score = 1.5
        gb.db.commit()
    [wrong] = grade(course.course, "ps0", students=["wrong"], regrade=True, log=str)
    assert wrong.total == 1.5 and wrong.by_hand == ["tasks/test_add"]
    table = score_table(course.course.lab("ps0"), [wrong])
    assert "1.5/2*" in table and "graded by hand: tasks/test_add" in table
