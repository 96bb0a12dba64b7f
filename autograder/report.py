"""`report LAB`: one self-contained HTML page on how the class did.

Score distributions per notebook, held-out metrics against their thresholds,
the checks that fail most, run times, each student's problems and the written
answers still waiting for a TA. Built from what the grader recorded (the
gradebook, the task table and `.grading/results/LAB/*.json`), never from files
in the students' folders. Text that may quote student code is escaped; the
plots are embedded PNGs, so the page can be mailed or archived as one file.
"""
from __future__ import annotations

import base64
import html
import io
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from autograder import keys
from autograder.catalog import SHARE_METRICS
from autograder.course import Course
from autograder.grade.batch import StudentResult, student_result
from autograder.grade.tasks import Task, TaskStore
from autograder.untrusted import printable

MOST_FAILED = 30   # checks listed, worst pass rate first
LINE_STYLES = {"none at": ("tab:red", "--"), "full at": ("tab:orange", "--"),
               "stretch at": ("tab:green", "--"), "reference": ("black", "-")}


def write_report(course: Course, lab_name: str,
                 results: list[StudentResult] | None = None) -> Path:
    """The report of `lab_name`; `results`: the students' results if the caller has them."""
    lab = course.lab(lab_name)
    store = TaskStore(course.gradebook_url)
    students = course.students(lab.name)
    if results is None:
        results = [student_result(course, lab, s, store) for s in students]
    records = {s: _record(course, lab.name, s) for s in students}
    rows = store.rows(lab.name)
    seconds = {nb: [row.seconds for (student, step), row in rows.items()
                    if step == Task("autograde", student, nb).step and row.seconds is not None]
               for nb in lab.notebooks}
    sections = [
        _overview(lab, results),
        _score_plots(lab, results),
        _heldout(lab, records, {(nb, item["grade_id"]): item["value"] for nb in lab.notebooks
                                for item in keys.reference_results(course, lab, nb)}),
        _checks(records),
        _run_times(lab, seconds),
        _students(results),
    ]
    page = (f"<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{_e(lab.name)}: class report</title><style>{STYLE}</style></head><body>"
            f"<h1>{_e(lab.name)}: class report</h1>"
            f"<p class='meta'>{len(students)} students · written "
            f"{time.strftime('%Y-%m-%d %H:%M')} by <code>python -m autograder report "
            f"{_e(lab.name)}</code></p>{''.join(sections)}</body></html>")
    course.reports.mkdir(parents=True, exist_ok=True)
    path = course.reports / f"{lab.name}.html"
    path.write_text(page, encoding="utf-8")
    return path


def _record(course: Course, lab: str, student: str) -> dict:
    path = course.results(lab) / f"{student}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {"checks": [], "heldout": []}


def _overview(lab, results: list[StudentResult]) -> str:
    graded = [r for r in results if not r.pending]
    totals = [r.total for r in graded]
    maximum = sum(m for _, m in graded[0].scores.values()) if graded else 0
    cells = [("graded", f"{len(graded)} of {len(results)}"),
             ("pending", str(len(results) - len(graded))),
             ("median total", f"{statistics.median(totals):g} / {maximum:g}" if totals else "-"),
             ("mean total", f"{statistics.fmean(totals):.1f}" if totals else "-"),
             ("with problems", str(sum(bool(r.problems) for r in results))),
             ("written answers waiting for a TA", str(sum(len(r.awaiting) for r in graded)))]
    return "<h2>Overview</h2><table class='overview'>" + "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in cells) + "</table>"


def _score_plots(lab, results: list[StudentResult]) -> str:
    graded = [r for r in results if not r.pending]
    if not graded:
        return "<h2>Scores</h2><p>No student is graded yet.</p>"
    images = []
    for notebook in lab.notebooks:
        scores = [r.scores.get(notebook, (0.0, 0.0)) for r in graded]
        maximum = max(m for _, m in scores) or 1.0
        images.append(_histogram([s for s, _ in scores], f"{notebook} (of {maximum:g} points)",
                                 "points", lines={}, span=(0, maximum)))
    return "<h2>Scores per notebook</h2>" + "".join(images)


def _heldout(lab, records: dict, reference: dict[tuple[str, str], float | None]) -> str:
    """Each held-out metric's distribution, with its thresholds and what the reference
    solution reached (recorded with the answer key)."""
    if not lab.evaluators:
        return ""
    parts = ["<h2>Held-out metrics</h2>"]
    for evaluator in lab.evaluators:
        cell = (evaluator.notebook, evaluator.grade_id)
        values, failed = [], 0
        for record in records.values():
            for item in record.get("heldout", []):
                if (item.get("notebook"), item.get("grade_id")) == cell:
                    if item.get("value") is None:
                        failed += 1
                    else:
                        values.append(float(item["value"]))
        t = evaluator.thresholds
        lines = {"none at": t.zero_at, "full at": t.full_at,
                 **({"stretch at": t.stretch_at} if t.stretch_at is not None else {}),
                 **({"reference": reference[cell]} if reference.get(cell) is not None else {})}
        parts.append(_histogram(values, f"{evaluator.notebook}: held-out {evaluator.metric}",
                                evaluator.metric, lines=lines,
                                span=(0, 1) if evaluator.metric in SHARE_METRICS else None))
        reached = (f"; the reference solution reached {reference[cell]:.4g}"
                   if reference.get(cell) is not None else "")
        parts.append(f"<p>{len(values)} scored, {failed} without a score (no valid artifact); "
                     f"{_e(t.describe())}{reached}.</p>")
    return "".join(parts)


def _checks(records: dict) -> str:
    """The hidden checks by pass rate, worst first; the checks of one cell that the same
    students passed share a row (a cell whose exercise is unsolved fails all of them)."""
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])   # (nb, cell, check) -> passed, n
    for record in records.values():
        for item in record.get("checks", []):
            for verdict in item.get("verdicts", []):
                key = (item["notebook"], item["grade_id"], verdict.get("name", verdict["message"]))
                counts[key][0] += bool(verdict.get("passed"))
                counts[key][1] += 1
    if not counts:
        return "<h2>Checks</h2><p>No hidden-test results recorded yet.</p>"
    groups: dict[tuple, list[str]] = defaultdict(list)   # (nb, cell, passed, n) -> checks
    for (nb, cell, name), (passed, n) in sorted(counts.items()):
        groups[nb, cell, passed, n].append(printable(name))
    worst = sorted(groups.items(), key=lambda kv: (kv[0][2] / kv[0][3], kv[0]))[:MOST_FAILED]
    rows = "".join(
        f"<tr><td>{_e(nb)}</td><td>{_e(cell)}</td><td>{_e(_names(names))}</td>"
        f"<td class='num'>{passed}/{n}</td><td class='bar'>"
        f"<span style='width:{100 * passed / n:.0f}%'></span></td></tr>"
        for (nb, cell, passed, n), names in worst)
    return ("<h2>Checks that fail most</h2><p>The pass rate of each hidden check over the "
            f"students it was run for ({len(counts)} checks; the {len(worst)} worst rows).</p>"
            "<table><tr><th>notebook</th><th>cell</th><th>check</th><th>passed</th><th></th></tr>"
            f"{rows}</table>")


def _names(names: list[str], shown: int = 3) -> str:
    more = f" (and {len(names) - shown} more)" if len(names) > shown else ""
    prefix = f"{len(names)} checks: " if len(names) > 1 else ""
    return prefix + "; ".join(names[:shown]) + more


def _run_times(lab, seconds: dict[str, list[float]]) -> str:
    rows = "".join(
        f"<tr><td>{_e(nb)}</td><td class='num'>{len(values)}</td>"
        f"<td class='num'>{statistics.median(values):.0f} s</td>"
        f"<td class='num'>{max(values):.0f} s</td><td class='num'>{lab.time_limit_s} s</td></tr>"
        for nb, values in seconds.items() if values)
    if not rows:
        return ""
    return ("<h2>Run times</h2><table><tr><th>notebook</th><th>runs</th><th>median</th>"
            f"<th>longest</th><th>limit</th></tr>{rows}</table>")


def _students(results: list[StudentResult]) -> str:
    rows = []
    for r in results:
        total = "pending" if r.pending else f"{r.total:g}"
        notes = [*(f"pending: {p}" for p in r.pending), *r.problems]
        waiting = ", ".join(r.awaiting) if r.awaiting and not r.pending else ""
        rows.append(f"<tr><td>{_e(r.student)}</td><td class='num'>{_e(total)}</td>"
                    f"<td>{'<br>'.join(_e(printable(n)) for n in notes) or '-'}</td>"
                    f"<td>{_e(waiting) or '-'}</td></tr>")
    return ("<h2>Students</h2><table><tr><th>student</th><th>total</th><th>problems</th>"
            f"<th>to grade by hand</th></tr>{''.join(rows)}</table>")


def _histogram(values: list[float], title: str, xlabel: str, lines: dict,
               span: tuple[float, float] | None = None) -> str:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    fig, ax = plt.subplots(figsize=(6, 2.8))
    if values:
        ax.hist(values, bins=20, range=span, color="tab:blue", alpha=0.85)
    for label, x in lines.items():
        color, style = LINE_STYLES[label]
        ax.axvline(x, color=color, linestyle=style, label=f"{label} {x:.4g}")
    if lines:
        ax.legend(fontsize=8)
    ax.set(title=title, xlabel=xlabel, ylabel="students")
    if span is not None:
        ax.set_xlim(*span)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # students come whole
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f"<figure><img alt='{_e(title)}' src='data:image/png;base64,{data}'></figure>"


def _e(text) -> str:
    return html.escape(str(text))


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left;
         vertical-align: top; font-size: 0.92em; }
td.num { text-align: right; white-space: nowrap; }
td.bar { width: 8em; } td.bar span { display: block; height: 0.8em; background: #4a8; }
figure { margin: 0.5em 0; } img { max-width: 100%; }
"""
