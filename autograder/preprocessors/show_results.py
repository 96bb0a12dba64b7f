"""The grader's results in the cells it scored, for the feedback pages.

Applied to an autograded notebook after the judge and the held-out step (outside
nbgrader's autograde, whose pipeline has already saved the notebook): a scored
cell's outputs are replaced by one stream that says what it earned and why.
A test cell's own outputs go: its hidden part ran there, and whatever the
kernel printed in it (its source, the caller's frame) must not reach the student.
"""
from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from traitlets import Dict


class ShowResults(Preprocessor):
    results = Dict(help="{grade id: the text its cell shows}").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in self.results:
            cell.outputs = [new_output("stream", name="stdout",
                                       text=self.results[grade_id] + "\n")]
        return cell, resources
