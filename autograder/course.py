"""A course directory: its folders, its labs, and how nbgrader is run in it."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psutil

from autograder.catalog import LABS, Lab

NBGRADER_CONFIG = "nbgrader_config.py"
COURSE_ID = "dl4nlp"
ANSWER_KEYS = "keys"  # in the held-out folder: the reference's probe results, per lab


class GradingError(Exception):
    """A problem the instructor must fix; the message names it."""


@dataclass(frozen=True)
class Course:
    root: Path

    @classmethod
    def at(cls, root: str | os.PathLike) -> "Course":
        root = Path(root).resolve()
        if not (root / NBGRADER_CONFIG).is_file():
            raise GradingError(f"{root} is not a course directory: it has no {NBGRADER_CONFIG}")
        return cls(root)

    # The folders; their names are set in nbgrader_config.py and kept as nbgrader's defaults.
    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def heldout(self) -> Path:
        return self.root / "autograder" / "heldout"

    @property
    def answer_keys(self) -> Path:
        return self.heldout / ANSWER_KEYS

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.gradebook}?timeout=60"

    def lab(self, name: str) -> Lab:
        """The catalog's lab, or a plain nbgrader assignment found in source/."""
        folder = self.source / name
        if not folder.is_dir():
            known = sorted(p.name for p in self.source.iterdir() if p.is_dir()) \
                if self.source.is_dir() else []
            raise GradingError(f"no assignment {name!r} in {self.source} (found: {known})")
        if name in LABS:
            return LABS[name]
        return Lab(name, tuple(sorted(p.stem for p in folder.glob("*.ipynb"))))

    def students(self, lab: str) -> list[str]:
        """Students with a collected submission of `lab`."""
        if not self.submitted.is_dir():
            return []
        return sorted(p.name for p in self.submitted.iterdir() if (p / lab).is_dir())

    def nbgrader(self, *args: str, timeout: float | None = None, env: dict | None = None
                 ) -> subprocess.CompletedProcess:
        """Run an nbgrader app in this course (see `run`)."""
        # -I: nothing from the working directory or the environment is imported.
        return self.run(sys.executable, "-I", "-m", "nbgrader", *args,
                        f"--CourseDirectory.root={self.root}",
                        f"--CourseDirectory.db_url={self.db_url}", timeout=timeout, env=env)

    def run(self, *command: str, timeout: float | None = None, env: dict | None = None
            ) -> subprocess.CompletedProcess:
        """Run a command in this course; its output (stdout and stderr) is captured.

        On `timeout` the command and every process it started (kernels run in
        sessions of their own) are killed, and `subprocess.TimeoutExpired` raised.
        Output goes through a file, not a pipe: a process left behind by student
        code cannot keep the grader waiting for the pipe to close.
        """
        with tempfile.TemporaryFile("w+") as output:
            process = subprocess.Popen(command, cwd=self.root, stdout=output,
                                       stderr=subprocess.STDOUT, text=True,
                                       env={**os.environ, **(env or {})})
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_tree(process.pid)
                process.wait()
                raise
            finally:
                _kill_tree(process.pid, children_only=True)
            output.seek(0)
            return subprocess.CompletedProcess(command, process.returncode, output.read(), "")


def _kill_tree(pid: int, children_only: bool = False) -> None:
    try:
        parent = psutil.Process(pid)
        processes = parent.children(recursive=True) + ([] if children_only else [parent])
    except psutil.NoSuchProcess:
        return
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(processes, timeout=10)
