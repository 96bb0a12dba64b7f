"""What each sandboxed grading process may see: a notebook's kernel, the held-out scorer.

Inside, the paths are fixed and reveal nothing of the grader's machine: the
kernel works in `WORK` (a fresh folder; its notebook's declared artifacts are
copied out afterwards), reads the students' datasets in `DATA` and imports
`labs` from `LIB`. The scorer reads the artifacts, the held-out labels and the
datasets, all read-only, and imports only the modules that score.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import labs
from autograder.catalog import Lab
from autograder.course import Course
from autograder.sandbox.policy import Bind, Policy, base_env, python_binds
from labs.data import DATA_DIR_ENV

WORK, DATA, LIB, HELDOUT = "/submission", "/data", "/opt/dl4nlp", "/heldout"
LABS_DIR = Path(labs.__file__).resolve().parent
AUTOGRADER_DIR = Path(__file__).resolve().parents[1]
SCORER_MODULES = ("__init__.py", "catalog.py", "heldout.py")  # what `autograder.heldout` imports
PASSED_ON = ("DL4NLP_SEED",)  # the grader's environment variables a kernel may see
# Inside, -I would also drop PYTHONPATH (where labs is): -s -P keep out the user's site
# folder and the working directory.
PYTHON_INSIDE = [sys.executable, "-s", "-P"]
KERNEL_COMMAND = [*PYTHON_INSIDE, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def sandboxed(policy_file: Path, command: list[str]) -> list[str]:
    """The command line that runs `command` under the policy saved in `policy_file`."""
    return [sys.executable, "-I", "-m", "autograder.sandbox", str(policy_file), "--", *command]


def kernel_policy(course: Course, lab: Lab, notebook: str, runtime_dir: Path, out_dir: Path,
                  status_file: Path) -> Policy:
    """A notebook's kernel: Jupyter's runtime folder (IPC sockets) and its own folder writable."""
    binds = [*python_binds(), Bind(str(LABS_DIR), f"{LIB}/labs"),
             Bind(str(runtime_dir), str(runtime_dir), writable=True)]
    if course.data.is_dir():
        binds.append(Bind(str(course.data), DATA))
    env = base_env(PYTHONPATH=LIB, **{DATA_DIR_ENV: DATA},
                   **{k: os.environ[k] for k in PASSED_ON if k in os.environ})
    return Policy(binds=binds, env=env, cwd=WORK, work=WORK,
                  keep=list(lab.artifact_files(notebook)), out_dir=str(out_dir),
                  status_file=str(status_file), ipc_dir=str(runtime_dir), limits=lab.limits)


def scorer_policy(course: Course, lab: Lab, submission: Path, status_file: Path) -> Policy:
    """The held-out scorer: no student code, but it loads student-made files."""
    binds = [*python_binds(), Bind(str(LABS_DIR), f"{LIB}/labs"),
             *(Bind(str(AUTOGRADER_DIR / m), f"{LIB}/autograder/{m}") for m in SCORER_MODULES),
             Bind(str(course.heldout), HELDOUT), Bind(str(course.data), DATA),
             Bind(str(submission), WORK)]
    return Policy(binds=binds, env=base_env(PYTHONPATH=LIB), status_file=str(status_file),
                  limits=lab.limits)


def scorer_command(lab: Lab, submission: Path, heldout: Path, data: Path,
                   inside: bool) -> list[str]:
    """`autograder.heldout` for one submission; `inside`: with the sandbox's paths."""
    if inside:
        submission, heldout, data = Path(WORK), Path(HELDOUT), Path(DATA)
    python = PYTHON_INSIDE if inside else [sys.executable, "-I"]
    return [*python, "-m", "autograder.heldout", "--lab", lab.name, "--submission",
            str(submission), "--heldout-dir", str(heldout), "--data-dir", str(data)]
