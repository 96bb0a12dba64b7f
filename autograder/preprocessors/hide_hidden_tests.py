"""Hidden tests out of the feedback pages (before nbgrader's HTML export).

Each hidden test region becomes a one-line note, each error traceback its
exception name and message (a traceback quotes the failing line of a hidden
test), and any output that shows a line of hidden test code (student code can
print `In`, a cell's source or its caller's frame) a note.
"""
from __future__ import annotations

import html
import re

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"

MIN_LINE = 12  # letters and digits: shorter hidden lines are too common to tell apart


def _letters(text: str) -> str:
    """Only the letters and digits of `text`: quoting, escaping and spacing cannot hide a line."""
    return re.sub(r"[\W_]+", "", html.unescape(text))


def hidden_lines(nb) -> set[str]:
    lines, hiding = set(), False
    for cell in nb.cells:
        for line in cell.source.splitlines() if cell.cell_type == "code" else ():
            if BEGIN in line or END in line:
                hiding = BEGIN in line
            elif hiding and len(_letters(line)) >= MIN_LINE:
                lines.add(_letters(line))
    return lines


def _texts(output) -> list[str]:
    texts = [output.get("text", ""), output.get("evalue", ""), *output.get("traceback", [])]
    for value in output.get("data", {}).values():
        texts += value if isinstance(value, list) else [value if isinstance(value, str) else ""]
    return [t if isinstance(t, str) else "".join(t) for t in texts]


class HideHiddenTests(NbGraderPreprocessor):
    note = Unicode("# (hidden tests: their result is shown below)").tag(config=True)
    leak_note = Unicode("[output removed: it showed hidden test code]").tag(config=True)

    def preprocess(self, nb, resources):
        self._hidden = hidden_lines(nb)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        kept, hiding = [], False
        for line in cell.source.splitlines():
            if BEGIN in line:
                hiding = True
                kept.append(line[: len(line) - len(line.lstrip())] + self.note)
            elif END in line:
                hiding = False
            elif not hiding:
                kept.append(line)
        cell.source = "\n".join(kept)
        outputs = []
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
            shown = _letters(" ".join(_texts(output)))
            if any(line in shown for line in self._hidden):
                output = new_output("stream", name="stdout", text=self.leak_note + "\n")
            outputs.append(output)
        cell.outputs = outputs
        return cell, resources
