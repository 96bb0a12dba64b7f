"""nbgrader configuration of the course; the repository root is the course directory."""
from pathlib import Path

from autograder.course import AUTOGRADED, COURSE_ID, FEEDBACK, RELEASE, SOURCE, SUBMITTED
from autograder.preprocessors import AUTOGRADE_PREPROCESSORS, FEEDBACK_PREPROCESSORS
from labs.artifacts import MODELS_DIR, PREDICTIONS_DIR
from labs.check import CODE_STUB, LAB_CONTRACT, TEXT_STUB
from labs.checks import PROBES_DIR
from labs.data import DATA_DIR

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file

c.CourseDirectory.course_id = COURSE_ID
c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.source_directory = SOURCE
c.CourseDirectory.release_directory = RELEASE
c.CourseDirectory.submitted_directory = SUBMITTED    # instructor-local, git-ignored
c.CourseDirectory.autograded_directory = AUTOGRADED  # instructor-local, git-ignored
c.CourseDirectory.feedback_directory = FEEDBACK      # instructor-local, git-ignored
# Generated data and helper copies in a released lab folder are not course files.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", FEEDBACK, DATA_DIR,
                            "labs", PREDICTIONS_DIR, MODELS_DIR, PROBES_DIR, LAB_CONTRACT]
# The gradebook is gradebook.db here (git-ignored); the autograder passes its URL with
# a lock timeout so that parallel graders wait for SQLite instead of failing.

# Notebook output past the lab's limit is cut before the notebook is saved
# (autograder.preprocessors.CapOutput in place of nbgrader's Execute).
c.Autograde.autograde_preprocessors = AUTOGRADE_PREPROCESSORS

# Each cell of a submission gets this long before the notebook is stopped.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True

c.ClearSolutions.code_stub = {"python": CODE_STUB}
c.ClearSolutions.text_stub = TEXT_STUB

# TensorFlow logs to stderr, and nbgrader scores a test cell with any stderr
# output as failed: drop stderr output made only of TensorFlow/absl log lines and
# Python warnings (Keras warns about deprecated arguments, for example).
c.IgnorePattern.pattern = (
    r"^(?:(?:[IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\][^\n]*"         # TF C++ log line
    r"|WARNING: All log messages before absl::InitializeLog\(\)[^\n]*"
    r"|WARNING:(?:absl|tensorflow):[^\n]*"                          # absl/TF Python log line
    r"|\S[^\n]*:\d+: \w*Warning: [^\n]*(?:\n[ \t]+[^\n]*)?"        # warnings.warn + source line
    r")(?:\n|$))+$")
c.IgnorePattern.enabled = True

# Feedback never shows hidden test source, only which tests passed and their points.
c.GenerateFeedback.preprocessors = FEEDBACK_PREPROCESSORS
