"""The grading pipeline around nbgrader: release, collect, grade, feedback, export, demo."""
import os
import sys

# nbgrader runs the `alembic` executable when it creates a gradebook, and looks it
# up on PATH: make the tools installed beside this interpreter (the venv) findable.
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")
