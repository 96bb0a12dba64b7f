"""The few gradebook operations the pipeline needs, on nbgrader's own API."""
from __future__ import annotations

import threading
import warnings
from contextlib import contextmanager

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

from autograder.course import COURSE_ID, Course

# nbgrader processes wait on SQLite's lock (db_url timeout); threads of this process take turns.
_LOCK = threading.Lock()


@contextmanager
def opened(course: Course):
    with _LOCK, warnings.catch_warnings(), Gradebook(course.gradebook_url, COURSE_ID) as gb:
        # nbgrader's update_or_create_submission trips SQLAlchemy's autoflush warnings.
        warnings.simplefilter("ignore", SAWarning)
        yield gb


def ensure_submission(course: Course, lab: str, student: str) -> None:
    """Make sure the student and their submission exist (nbgrader may never have run)."""
    with opened(course) as gb:
        gb.update_or_create_student(student)
        gb.update_or_create_submission(lab, student)


def _set_auto_score(grade, score: float) -> None:
    """A score a person set in formgrader (`manual_score`) stands: the automatic one is only
    recorded beside it, and the cell flagged for review as nbgrader's autograde does."""
    grade.auto_score = score
    grade.needs_manual_grade = grade.manual_score is not None


def zero_notebook(course: Course, lab: str, notebook: str, student: str) -> None:
    """Give every grade cell of one submitted notebook 0 automatic points."""
    with opened(course) as gb:
        for grade in gb.find_submission_notebook(notebook, lab, student).grades:
            _set_auto_score(grade, 0)
        gb.db.commit()


def set_cell_score(course: Course, lab: str, notebook: str, grade_id: str, student: str,
                   fraction: float) -> tuple[float, float]:
    """Set a grade cell's automatic score to `fraction` of its points; returns
    (automatic score, max_score)."""
    with opened(course) as gb:
        grade = gb.find_grade(grade_id, notebook, lab, student)
        _set_auto_score(grade, round(fraction * grade.max_score, 2))
        gb.db.commit()
        return grade.auto_score, grade.max_score


def hand_graded(course: Course, lab: str, student: str) -> list[str]:
    """`notebook/grade_id` of the cells whose score a person set in formgrader."""
    with opened(course) as gb:
        try:
            submission = gb.find_submission(lab, student)
        except MissingEntry:
            return []
        return [f"{nb.name}/{grade.name}" for nb in submission.notebooks
                for grade in nb.grades if grade.manual_score is not None]


def notebook_scores(course: Course, lab: str, student: str) -> dict[str, tuple[float, float]]:
    """{notebook: (score, max_score)} of one submission ({} if there is none)."""
    with opened(course) as gb:
        try:
            submission = gb.find_submission(lab, student)
        except MissingEntry:
            return {}
        return {nb.name: (nb.score, nb.max_score) for nb in submission.notebooks}


def has_assignment(course: Course, lab: str) -> bool:
    with opened(course) as gb:
        try:
            gb.find_assignment(lab)
        except MissingEntry:
            return False
        return True


def assignment_max_scores(course: Course) -> dict[str, float]:
    """{assignment: max score} of every assignment in the gradebook."""
    with opened(course) as gb:
        return {a.name: a.max_score for a in gb.assignments}


def student_ids(course: Course) -> list[str]:
    with opened(course) as gb:
        return sorted(s.id for s in gb.students)


def lab_scores(course: Course, lab: str) -> dict[str, float]:
    """{student: total score} for every submission of `lab` in the gradebook."""
    with opened(course) as gb:
        try:
            assignment = gb.find_assignment(lab)
        except MissingEntry:
            return {}
        return {s.student.id: s.score for s in assignment.submissions}
