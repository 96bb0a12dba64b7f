"""Our nbgrader/nbconvert preprocessors, one transformation each.

- `CapOutput`: nbgrader's Execute with an output budget (in `nbgrader autograde`);
- `ShowResults`: the grader's results in the cells it scored (after the judge);
- `HideHiddenTests`: no hidden test source in the feedback pages (`feedback`).
"""
from autograder.preprocessors.cap_output import CapOutput
from autograder.preprocessors.hide_hidden_tests import HideHiddenTests
from autograder.preprocessors.show_results import ShowResults

# nbgrader's autograde pipeline, with CapOutput in place of Execute.
AUTOGRADE_PREPROCESSORS = [
    "autograder.preprocessors.CapOutput", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata"]

# nbgrader's feedback pipeline with HideHiddenTests added; nbgrader_config.py uses it
# too, and `feedback` passes it explicitly so that any nbgrader course gets it.
FEEDBACK_PREPROCESSORS = ["nbgrader.preprocessors.GetGrades",
                          "autograder.preprocessors.HideHiddenTests",
                          "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]

__all__ = ["AUTOGRADE_PREPROCESSORS", "FEEDBACK_PREPROCESSORS", "CapOutput", "HideHiddenTests",
           "ShowResults"]
