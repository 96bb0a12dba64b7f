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
from data_prep.build import HELDOUT_DIR
from labs.data import DATA_DIR

NBGRADER_CONFIG = "nbgrader_config.py"
COURSE_ID = "dl4nlp"
ANSWER_KEYS = "keys"  # in the held-out folder: the reference's probe results, per lab
# nbgrader's folders (nbgrader_config.py sets them from here) and the grader's own.
SOURCE, RELEASE, SUBMITTED, AUTOGRADED, FEEDBACK = (
    "source", "release", "submitted", "autograded", "feedback")
GRADER_STATE = ".grading"  # lab locks and the grader's records
REPORTS = "reports"


class GradingError(Exception):
    """A problem the instructor must fix; the message names it."""


@dataclass(frozen=True)
class Course:
    root: Path
    db_url: str = ""  # the gradebook's database; "" for gradebook.db in the course folder

    @classmethod
    def at(cls, root: str | os.PathLike, db_url: str | None = None) -> "Course":
        """The course in `root`; its gradebook at `db_url`, else the one nbgrader_config.py
        names (`c.CourseDirectory.db_url`), else SQLite's gradebook.db in `root`."""
        root = Path(root).resolve()
        if not (root / NBGRADER_CONFIG).is_file():
            raise GradingError(f"{root} is not a course directory: it has no {NBGRADER_CONFIG}")
        url = db_url or _configured_db_url(root) or ""
        # SQLAlchemy 2 reads a bare postgresql:// as psycopg 3; the driver installed is psycopg2.
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg2://" + url.removeprefix("postgresql://")
        return cls(root, url)

    # The folders; their names are set in nbgrader_config.py and kept as nbgrader's defaults.
    @property
    def source(self) -> Path:
        return self.root / SOURCE

    @property
    def release(self) -> Path:
        return self.root / RELEASE

    @property
    def submitted(self) -> Path:
        return self.root / SUBMITTED

    @property
    def autograded(self) -> Path:
        return self.root / AUTOGRADED

    @property
    def feedback(self) -> Path:
        return self.root / FEEDBACK

    @property
    def data(self) -> Path:
        return self.root / DATA_DIR

    @property
    def heldout(self) -> Path:
        return self.root / HELDOUT_DIR

    @property
    def answer_keys(self) -> Path:
        return self.heldout / ANSWER_KEYS

    @property
    def locks(self) -> Path:
        """One lock file per lab while it is being graded."""
        return self.root / GRADER_STATE

    def results(self, lab: str) -> Path:
        """The grader's record of each student's checks and held-out values (for the report):
        grader-owned, outside the folders student code runs in."""
        return self.locks / "results" / lab

    @property
    def reports(self) -> Path:
        return self.root / REPORTS

    @property
    def gradebook_url(self) -> str:
        """Parallel graders wait up to a minute for SQLite's lock instead of failing."""
        return self.db_url or f"sqlite:///{self.root / 'gradebook.db'}?timeout=60"

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
                        f"--CourseDirectory.db_url={self.gradebook_url}", timeout=timeout,
                        env=env)

    def nbgrader_here(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        """Run an nbgrader app in this process, which must be one of its own (a task
        process): it saves starting Python and importing nbgrader (seconds) again. Its log
        (stdout and stderr, through a file) is returned as `stdout`."""
        from nbgrader.apps.nbgraderapp import NbGraderApp
        os.environ.update(env or {})
        os.chdir(self.root)
        saved = [os.dup(1), os.dup(2)]
        with tempfile.TemporaryFile("w+") as output:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd in (1, 2):
                os.dup2(output.fileno(), fd)
            try:
                NbGraderApp.launch_instance([*args, f"--CourseDirectory.root={self.root}",
                                             f"--CourseDirectory.db_url={self.gradebook_url}"])
                status = 0
            except SystemExit as stop:
                status = stop.code if isinstance(stop.code, int) else int(bool(stop.code))
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                for fd, copy in zip((1, 2), saved):
                    os.dup2(copy, fd)
                    os.close(copy)
                kill_tree(os.getpid(), children_only=True)
            output.seek(0)
            return subprocess.CompletedProcess(args, status, output.read(), "")

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
                                       env={**os.environ, **(env or {})},
                                       preexec_fn=die_with_parent)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                kill_tree(process.pid)
                process.wait()
                raise
            finally:
                kill_tree(process.pid, children_only=True)
            output.seek(0)
            return subprocess.CompletedProcess(command, process.returncode, output.read(), "")


def _configured_db_url(root: Path) -> str | None:
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader(NBGRADER_CONFIG, path=str(root)).load_config()
    return config.CourseDirectory.get("db_url") or None


def die_with_parent() -> None:
    """In a child process: be killed when the process that started it dies, however it
    dies (a grader killed with SIGKILL cannot clean up after itself)."""
    import ctypes
    import signal
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def kill_tree(pid: int, children_only: bool = False) -> None:
    """Kill a process and every process it started (kernels run in sessions of their own)."""
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
