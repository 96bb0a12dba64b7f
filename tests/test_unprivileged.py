"""A small grading run by a user who is not root (CI runs as root; instructors do not).

The grader itself runs in the sandbox launcher, which, started by root, runs
its command as an unprivileged user of its own (started by anyone else, as that
user, in a user namespace); the grader then sandboxes each kernel from there.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import copy_tiny_course

from autograder.sandbox import Bind, Policy, available, base_env, python_binds

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(available() is not None, reason="no namespaces here")]
REPO = Path(__file__).resolve().parents[1]
GRADING = """
import json, os, sys
from pathlib import Path
from autograder.collect import collect
from autograder.course import Course
from autograder.grade import grade, show_results
course = Course.at(sys.argv[1])
collect(course, "ps0", Path(sys.argv[2]))
results = grade(course, "ps0", jobs=2, time_limit_s=120, log=str)
# A scored cell's result, written into an autograded notebook nbgrader left read-only.
notebook = course.autograded / "good" / "ps0" / "tasks.ipynb"
show_results(notebook, {"test_add": "written by a grader that is not root"})
print(json.dumps({"uid": os.getuid(), "scores": {r.student: r.total for r in results},
                  "problems": {r.student: r.problems for r in results},
                  "annotated": "not root" in notebook.read_text(),
                  "mode": oct(notebook.stat().st_mode & 0o777)}))
"""


def test_grading_as_an_unprivileged_user(tiny_course_template):
    scratch = Path(tempfile.mkdtemp(prefix="dl4nlp-unprivileged-"))
    try:
        tiny = copy_tiny_course(tiny_course_template, scratch / "course")
        tiny.submit(scratch / "inbox", "good", "def add(a, b):\n    return a + b")
        tiny.submit(scratch / "inbox", "cheat", "import json\nsource = json.load(open("
                    "'../../../source/ps0/tasks.ipynb'))\nexec(''.join(source['cells'][1]['source']))")
        for folder, _, files in os.walk(scratch):  # the grading user's files
            for path in [folder, *(os.path.join(folder, f) for f in files)]:
                os.chmod(path, 0o777 if os.path.isdir(path) else 0o666)
        policy = Policy(binds=[*python_binds(), Bind(str(REPO), str(REPO)),
                               Bind(str(scratch), str(scratch), writable=True)],
                        env=base_env(), cwd=str(scratch), may_sandbox=True)
        run = subprocess.run(
            [sys.executable, "-I", "-m", "autograder.sandbox",
             str(policy.save(scratch / "policy.json")), "--", sys.executable, "-I", "-c",
             GRADING, str(scratch / "course"), str(scratch / "inbox")],
            capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr[-3000:]
        result = json.loads(run.stdout.splitlines()[-1])
        assert result["uid"] != 0 and (os.getuid() == 0 or result["uid"] == os.getuid())
        assert result["scores"] == {"cheat": 0, "good": 2}, result["problems"]
        assert "No such file or directory" in result["problems"]["cheat"][0]
        assert result["annotated"] and result["mode"] == "0o444"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
