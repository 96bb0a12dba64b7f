"""The score table printed after grading."""
from __future__ import annotations

from autograder.catalog import Lab
from autograder.untrusted import printable


def score_table(lab: Lab, results) -> str:
    """One row per student; problems (which may quote student code) made printable.

    A total marked `*` includes cells a person scored in formgrader (listed below the row), one
    marked `+` leaves out cells a person has yet to score (written answers: formgrader lists
    them); `pending` means some of the student's work could not be graded yet (run grade
    again).
    """
    names = list(lab.notebooks)
    width = max([len("student"), *(len(r.student) for r in results)])
    cols = [max(len(n), 9) for n in names]
    header = "  ".join([f"{'student':{width}s}", *(f"{n:>{c}s}" for n, c in zip(names, cols)),
                        f"{'total':>9s}", "problems"])
    lines = [header, "-" * len(header)]
    for r in results:
        cells = []
        for name, col in zip(names, cols):
            score, max_score = r.scores.get(name, (0.0, 0.0))
            cells.append(f"{f'{score:g}/{max_score:g}':>{col}s}")
        max_total = sum(m for _, m in r.scores.values())
        awaiting = [] if r.pending else r.awaiting  # known once the notebooks are graded
        total = ("pending" if r.pending else
                 f"{r.total:g}/{max_total:g}" + "*" * bool(r.by_hand) + "+" * bool(awaiting))
        notes = [*(f"pending: {p}" for p in r.pending), *r.problems,
                 *([f"graded by hand: {', '.join(r.by_hand)}"] if r.by_hand else []),
                 *([f"to grade by hand: {', '.join(awaiting)}"] if awaiting else [])]
        lines.append("  ".join([f"{r.student:{width}s}", *cells, f"{total:>9s}",
                                printable(notes[0]) if notes else "-"]))
        lines += [f"{'':{width}s}  {'':{sum(cols) + 2 * len(cols) + 9}s}{printable(p)}"
                  for p in notes[1:]]
    return "\n".join(lines)
