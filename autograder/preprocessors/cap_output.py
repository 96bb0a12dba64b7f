"""nbgrader's Execute preprocessor with an output budget, for `nbgrader autograde`.

Runs in the nbgrader process (outside the sandbox). Outputs are counted as
they arrive from the kernel; past `max_bytes` for the notebook they are
dropped, one note says so, and `report` (a file the grader reads) records it.
So a notebook that prints gigabytes neither fills the grader's memory nor ends
up in the saved notebook and the feedback page.
"""
from __future__ import annotations

import json

from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer, Unicode

from autograder.catalog import Limits, human_size

NOTE = "\n[output cut here: this notebook printed more than {size} of output]\n"


class CapOutput(Execute):
    max_bytes = Integer(Limits().output_bytes, help="output kept per notebook").tag(config=True)
    report = Unicode("", help="a JSON file written when output was cut").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._used, self._cut = 0, False
        try:
            return super().preprocess(nb, resources, km)
        finally:
            if self._cut and self.report:
                with open(self.report, "w") as f:
                    json.dump({"output_cut": True, "max_bytes": self.max_bytes}, f)

    def output(self, outs, msg, display_id, cell_index):
        if self._cut:
            return None
        size = len(json.dumps(msg.get("content", {})))
        if self._used + size <= self.max_bytes:
            self._used += size
            return super().output(outs, msg, display_id, cell_index)
        self._cut = True
        outs.append(new_output("stream", name="stdout",
                               text=NOTE.format(size=human_size(self.max_bytes))))
        return None
