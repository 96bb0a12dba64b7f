"""The autograder grades a plain nbgrader assignment too: `nbgrader quickstart`'s ps1."""
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def autograder(course, *args):
    run = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), *args],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def test_quickstart_ps1_end_to_end(tmp_path):
    subprocess.run([sys.executable, "-m", "nbgrader", "quickstart", "course101"], cwd=tmp_path,
                   check=True, capture_output=True)
    course = tmp_path / "course101"
    autograder(course, "release", "ps1")
    inbox = tmp_path / "inbox"
    shutil.copytree(course / "source" / "ps1", inbox / "alice")       # the instructor's solution
    shutil.copytree(course / "release" / "ps1", inbox / "bob",          # the release, untouched
                    ignore=shutil.ignore_patterns("labs"))
    out = autograder(course, "collect", "ps1", "--from", str(inbox))
    assert "collected alice: problem1, problem2" in out
    table = autograder(course, "grade", "ps1").splitlines()
    # Autograded cells only: the rest of ps1's 13 points are graded by hand in formgrader.
    # Cells left for a person are marked `+` and listed: alice's written answers, and ps1's
    # task cell (always graded by hand). Bob's answers are the release's, unanswered: nbgrader
    # scores them 0 itself.
    waiting = [l.split("to grade by hand: ")[1].split(", ") for l in table
               if "to grade by hand" in l]
    assert next(l for l in table if l.startswith("alice")).split()[1:4] == ["3/10", "0/3", "3/13+"]
    assert next(l for l in table if l.startswith("bob")).split()[1:4] == ["0/10", "0/3", "0/13+"]
    task = "problem1/cell-938593c4a215c6cc"
    assert waiting == [["problem1/sum_of_squares_equation", "problem1/sum_of_squares_application",
                        task, "problem2/part-a", "problem2/part-b"], [task]]
    assert "wrote" in autograder(course, "export")
    assert (course / "grades.csv").read_text().splitlines()[1:] == [
        "alice,3,23.1,5,23.1", "bob,0,0.0,1,0.0"]
