"""The few gradebook operations the pipeline needs, on nbgrader's own API."""
from __future__ import annotations

import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

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


def set_cell_scores(course: Course, lab: str, student: str,
                    fractions: dict[tuple[str, str], float]) -> dict[tuple[str, str], tuple]:
    """Set grade cells' automatic scores, {(notebook, grade_id): fraction of its points}, in
    one transaction; returns {(notebook, grade_id): (automatic score, max_score)}."""
    scores = {}
    with opened(course) as gb:
        for (notebook, grade_id), fraction in fractions.items():
            grade = gb.find_grade(grade_id, notebook, lab, student)
            _set_auto_score(grade, round(fraction * grade.max_score, 2))
            scores[notebook, grade_id] = (grade.auto_score, grade.max_score)
        gb.db.commit()
    return scores


@dataclass
class SubmissionGrades:
    """One submission as the gradebook holds it (all empty if there is none)."""
    scores: dict[str, tuple[float, float]] = field(default_factory=dict)  # notebook: (score, max)
    by_hand: list[str] = field(default_factory=list)   # `nb/grade_id` a person scored
    awaiting: list[str] = field(default_factory=list)  # `nb/grade_id` waiting for a person

    @property
    def total(self) -> float:
        return sum(score for score, _ in self.scores.values())


def submission_grades(course: Course, lab: str, student: str) -> SubmissionGrades:
    """Scores per notebook, and which cells a person scored or still has to score in
    formgrader (written answers: nbgrader gives them no automatic score)."""
    with opened(course) as gb:
        try:
            submission = gb.find_submission(lab, student)
        except MissingEntry:
            return SubmissionGrades()
        grades = SubmissionGrades({nb.name: (nb.score, nb.max_score)
                                   for nb in submission.notebooks})
        for nb in submission.notebooks:
            for grade in nb.grades:
                if grade.manual_score is not None:
                    grades.by_hand.append(f"{nb.name}/{grade.name}")
                elif grade.needs_manual_grade:
                    grades.awaiting.append(f"{nb.name}/{grade.name}")
        return grades


def notebook_scores(course: Course, lab: str, student: str) -> dict[str, tuple[float, float]]:
    """{notebook: (score, max_score)} of one submission ({} if there is none)."""
    return submission_grades(course, lab, student).scores


def grade_by_hand(course: Course, lab: str, student: str, scores: dict[str, float]) -> None:
    """Score cells as a person does in formgrader ({`notebook/grade_id`: points}), with the
    writes formgrader's grade API makes."""
    with opened(course) as gb:
        for cell, points in scores.items():
            notebook, grade_id = cell.split("/", 1)
            grade = gb.find_grade(grade_id, notebook, lab, student)
            grade.manual_score = points
            grade.needs_manual_grade = False
        gb.db.commit()


def awaiting_by_lab(course: Course) -> dict[str, dict[str, int]]:
    """{lab: {student: number of cells waiting for a person in formgrader}}."""
    counts: dict[str, dict[str, int]] = {}
    with opened(course) as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                n = sum(1 for nb in submission.notebooks for grade in nb.grades
                        if grade.needs_manual_grade and grade.manual_score is None)
                counts.setdefault(assignment.name, {})[submission.student.id] = n
    return counts


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
