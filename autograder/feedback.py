"""`feedback LAB`: per-student HTML feedback in which no hidden test source appears.

nbgrader's `generate_feedback` renders the autograded notebooks, with
`autograder.preprocessors.HideHiddenTests` before the HTML export. The outputs
of test cells were already replaced by the judge's verdicts when the submission
was graded (`ShowResults`).
"""
from __future__ import annotations

import html
import subprocess
from pathlib import Path

from autograder import gradebook
from autograder.course import Course, GradingError
from autograder.grade import ungraded
from autograder.preprocessors import FEEDBACK_PREPROCESSORS
from autograder.untrusted import printable

FEEDBACK_TIMEOUT_S = 120  # per student: nbgrader renders their notebooks to HTML

def feedback(course: Course, lab_name: str, students: list[str] | None = None,
             log=print) -> list[Path]:
    """Feedback pages of the lab's graded students (of `students`). One nbgrader run does
    everyone; if it fails or runs out of time, one run per student finds whose work is at
    fault, and only they go without a page (the reason is logged)."""
    lab = course.lab(lab_name)
    graded = [s for s in course.students(lab.name) if not students or s in students]
    if not graded:
        raise GradingError(f"nothing to give feedback on: no submission of {lab.name}")
    whole = None if students is None or len(graded) > 1 else graded[0]
    problem = _generate(course, lab.name, whole, FEEDBACK_TIMEOUT_S * len(graded))
    if problem is not None and len(graded) > 1:
        for student in graded:
            if (why := _generate(course, lab.name, student, FEEDBACK_TIMEOUT_S)) is not None:
                log(f"no feedback for {student}: {why}")
    elif problem is not None:
        log(f"no feedback for {graded[0]}: {problem}")
    _ungraded_pages(course, lab.name, graded)
    return sorted(p for p in course.feedback.glob(f"*/{lab.name}/*.html")
                  if p.parent.parent.name in graded)


def _generate(course: Course, lab: str, student: str | None, timeout: float) -> str | None:
    """nbgrader generate_feedback for one student (or all); why it failed, or None."""
    args = ["generate_feedback", lab, "--force",
            *(f"--GenerateFeedback.preprocessors={p}" for p in FEEDBACK_PREPROCESSORS)]
    if student is not None:
        args.append(f"--student={student}")
    try:
        run = course.nbgrader(*args, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"nbgrader generate_feedback took longer than {timeout:.0f} s"
    if run.returncode != 0:
        errors = [line for line in run.stdout.splitlines() if "ERROR" in line]
        return printable((errors or run.stdout.strip().splitlines() or ["failed"])[-1])[:300]
    return None


def _ungraded_pages(course: Course, lab: str, students: list[str]) -> None:
    """A page for each notebook nbgrader could not grade, with the reason and its 0 points."""
    for student in students:
        reasons = ungraded(course, lab, student)
        scores = gradebook.notebook_scores(course, lab, student) if reasons else {}
        for notebook, reason in reasons.items():
            _, max_score = scores.get(notebook, (0, 0))
            page = course.feedback / student / lab / f"{notebook}.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(UNGRADED_PAGE.format(
                notebook=html.escape(notebook), lab=html.escape(lab),
                student=html.escape(student), reason=html.escape(reason),
                max_score=f"{max_score:g}"))


UNGRADED_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{notebook} ({lab}): not graded</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto">
<h1>{notebook}.ipynb ({lab})</h1>
<p>Student: {student}</p>
<p><strong>Score: 0 / {max_score}.</strong> Your notebook could not be graded:</p>
<pre>{reason}</pre>
<p>Check that the file opens in Jupyter and runs from top to bottom
(Kernel &rarr; Restart &amp; Run All) before you submit it again.</p>
</body></html>
"""
