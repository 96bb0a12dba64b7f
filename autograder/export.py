"""`export`: one row per student with each lab's score and the weighted course grade."""
from __future__ import annotations

import csv
from pathlib import Path

from autograder import gradebook
from autograder.catalog import LABS
from autograder.course import Course


def grade_table(course: Course) -> tuple[list[str], list[dict]]:
    """Columns and rows: each released lab's score and percentage, and the course grade.

    The course grade is the mean of the lab percentages weighted by the
    catalog's `Lab.weight` (1 for an assignment the catalog does not list); a
    lab a student did not submit counts as 0 (no course grade while only practice labs,
    of weight 0, are released). `LAB_to_grade_by_hand` counts the
    cells (written answers) still waiting for a person in formgrader: until it
    is 0, that lab's score and the course grade are not final.
    """
    maxima = gradebook.assignment_max_scores(course)
    weights = {name: LABS[name].weight if name in LABS else 1.0 for name in maxima}
    scores = {name: gradebook.lab_scores(course, name) for name in maxima}
    awaiting = gradebook.awaiting_by_lab(course)
    total_weight = sum(weights.values())  # 0 when only practice labs (weight 0) are released
    rows = []
    for student in gradebook.student_ids(course):
        row, weighted = {"student": student}, 0.0
        for name, max_score in maxima.items():
            score = scores[name].get(student)
            percent = 100 * score / max_score if score is not None and max_score else 0.0
            row[f"{name}_score"] = "" if score is None else f"{score:g}"
            row[f"{name}_percent"] = f"{percent:.1f}"
            row[f"{name}_to_grade_by_hand"] = awaiting.get(name, {}).get(student, 0)
            weighted += weights[name] * percent
        row["course_grade"] = f"{weighted / total_weight:.1f}" if total_weight else ""
        rows.append(row)
    columns = ["student", *[f"{name}_{k}" for name in maxima
                            for k in ("score", "percent", "to_grade_by_hand")],
               "course_grade"]
    return columns, rows


def export(course: Course, out: Path) -> Path:
    columns, rows = grade_table(course)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(out)
    return out

