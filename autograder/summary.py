"""The score table printed after grading."""
from __future__ import annotations

from autograder.catalog import Lab
from autograder.untrusted import printable


def score_table(lab: Lab, results) -> str:
    """One row per student; problems (which may quote student code) made printable."""
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
        lines.append("  ".join([f"{r.student:{width}s}", *cells,
                                f"{f'{r.total:g}/{max_total:g}':>9s}",
                                printable(r.problems[0]) if r.problems else "-"]))
        lines += [f"{'':{width}s}  {'':{sum(cols) + 2 * len(cols) + 9}s}{printable(p)}"
                  for p in r.problems[1:]]
    return "\n".join(lines)
