"""`grade LAB`: autograde every submission, then judge its probes and score its artifacts.

- `tasks`: the tasks of a batch and their durable states, in the gradebook's database;
- `lock`: one grader per lab at a time;
- `batch`: plan the tasks not done, run them, report each student (`grade`);
- `executors`: run tasks on this machine (`--jobs`) or on a Dask cluster (`--scheduler`);
- `runner`: the process that runs one task, and what counts as whose fault;
- `steps`: what a task does: nbgrader autograde of one notebook, the judge, the held-out step.
"""
from autograder.grade.batch import StudentResult, grade, ungraded
from autograder.grade.steps import answer_keys, require_sandbox, score, show_results

__all__ = ["StudentResult", "answer_keys", "grade", "require_sandbox", "score", "show_results",
           "ungraded"]
