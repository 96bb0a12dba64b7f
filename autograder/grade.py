"""`grade LAB`: nbgrader autograde for every submission, then the held-out scoring.

Each notebook of each submission is autograded by its own `nbgrader autograde`
process under a time limit; students are graded in parallel. A notebook that
is not valid JSON, crashes nbgrader or runs out of time gets 0 points and a
reason; the batch always completes. Afterwards every held-out evaluator scores
the notebook's saved artifact in a separate process (`autograder.heldout`)
and writes the result into the gradebook as the score of its grade cell.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

import labs
from autograder import gradebook, sandbox
from autograder.catalog import Lab
from autograder.course import Course, GradingError
from labs import artifacts

HELDOUT_TIMEOUT_S = 300
SANDBOX_KERNEL = "dl4nlp-sandbox"
REPORT = "grading.json"  # beside the autograded notebooks: problems found while grading
REPO = Path(__file__).resolve().parents[1]


@dataclass
class StudentResult:
    student: str
    scores: dict[str, tuple[float, float]] = field(default_factory=dict)  # notebook -> (score, max)
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(score for score, _ in self.scores.values())


def grade(course: Course, lab_name: str, students: list[str] | None = None,
          jobs: int = 1, sandboxed: bool = True, time_limit_s: int | None = None,
          log=print) -> list[StudentResult]:
    lab = course.lab(lab_name)
    if time_limit_s:
        lab = dataclasses.replace(lab, time_limit_s=time_limit_s)
    available = course.students(lab.name)
    if students:
        missing = sorted(set(students) - set(available))
        if missing:
            raise GradingError(f"no collected submission of {lab.name} for: {', '.join(missing)}")
        available = [s for s in available if s in students]
    if not available:
        raise GradingError(f"nothing to grade: no submissions in {course.submitted}/*/{lab.name}")
    if not (course.release / lab.name).is_dir():
        raise GradingError(f"{lab.name} has not been released: run `autograder release {lab.name}`")

    if sandboxed and (reason := sandbox.available()) is not None:
        log(f"WARNING: grading without a sandbox: {reason}. Student code can read "
            "everything this user can, held-out labels included.")
        sandboxed = False

    def one(student: str) -> StudentResult:
        started = time.perf_counter()
        result = grade_student(course, lab, student, sandboxed)
        log(f"graded {student} in {time.perf_counter() - started:.0f} s: {result.total:g} points"
            + (f" ({len(result.problems)} problem(s))" if result.problems else ""))
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, available))


def grade_student(course: Course, lab: Lab, student: str, sandboxed: bool = False) -> StudentResult:
    result = StudentResult(student)
    submitted = course.submitted / student / lab.name
    autograded = course.autograded / student / lab.name
    gradebook.ensure_submission(course, lab.name, student)
    failed: dict[str, str] = {}  # notebook -> why nbgrader could not grade it
    for notebook in lab.notebooks:
        problem = check_notebook(submitted / f"{notebook}.ipynb")
        if problem is None:
            _remove_artifacts(lab, notebook, autograded)
            problem = autograde_notebook(course, lab, notebook, student, sandboxed)
        if problem is not None:
            result.problems.append(f"{notebook}: {problem}")
            if problem != "not submitted":  # nbgrader itself zeroes missing notebooks
                failed[notebook] = problem
        else:
            errors = cell_errors(autograded / f"{notebook}.ipynb")
            if errors:
                more = f" (+{len(errors) - 1} more cells)" if len(errors) > 1 else ""
                result.problems.append(f"{notebook}: {errors[0]}{more}")
    for notebook in failed:
        gradebook.zero_notebook(course, lab.name, notebook, student)
    result.problems += score_heldout(course, lab, student, skip=failed, sandboxed=sandboxed)
    result.scores = gradebook.notebook_scores(course, lab.name, student)
    _save_report(autograded, result, failed)
    return result


def _save_report(autograded: Path, result: StudentResult, ungraded: dict[str, str]) -> None:
    """What `feedback` needs about notebooks nbgrader could not grade."""
    autograded.mkdir(parents=True, exist_ok=True)
    (autograded / REPORT).write_text(json.dumps(
        {"problems": result.problems, "ungraded": ungraded,
         "scores": {nb: list(score) for nb, score in result.scores.items()}}, indent=1))


def check_notebook(path: Path) -> str | None:
    """Why a submitted notebook cannot be graded, or None if it can."""
    if not path.is_file():
        return "not submitted"
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except (ValueError, UnicodeDecodeError, nbformat.ValidationError) as err:  # JSON errors: ValueError
        return f"not a valid notebook ({_first_line(err)})"
    return None


def autograde_notebook(course: Course, lab: Lab, notebook: str, student: str,
                       sandboxed: bool = False) -> str | None:
    args = ["autograde", lab.name, f"--student={student}", f"--notebook={notebook}", "--force"]
    env = {"DL4NLP_DATA_DIR": str(course.data)}
    with tempfile.TemporaryDirectory() as kernels:
        if sandboxed:
            _write_sandbox_kernel(Path(kernels), course, course.autograded / student / lab.name)
            args.append(f"--Execute.kernel_name={SANDBOX_KERNEL}")
            env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [kernels, os.environ.get("JUPYTER_PATH")]))
        try:
            run = course.nbgrader(*args, timeout=lab.time_limit_s, env=env)
        except subprocess.TimeoutExpired:
            return f"stopped after the time limit of {lab.time_limit_s} s"
    if run.returncode != 0:
        errors = [line.split("ERROR]", 1)[1].strip() for line in run.stdout.splitlines()
                  if "| ERROR]" in line]
        return f"nbgrader could not grade it: {errors[0] if errors else _first_line(run.stdout)}"
    return None


def _in_sandbox(command: list[str], course: Course, read_only=(), writable=()) -> list[str]:
    """`command` run by `autograder.sandbox`: course and repository hidden but for these paths."""
    args = [sys.executable, "-m", "autograder.sandbox", "--hide", str(course.root),
            "--hide", str(REPO)]
    args += [arg for path in (sys.prefix, *read_only) for arg in ("--read-only", str(path))]
    args += [arg for path in writable for arg in ("--writable", str(path))]
    return [*args, "--", *command]


def _write_sandbox_kernel(folder: Path, course: Course, submission: Path) -> None:
    """A kernelspec that starts the Python kernel inside `autograder.sandbox`."""
    submission.mkdir(parents=True, exist_ok=True)
    argv = _in_sandbox([sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                       course, read_only=[Path(labs.__file__).parent, course.data,
                                          "{connection_file}"], writable=[submission])
    spec = folder / "kernels" / SANDBOX_KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": argv, "display_name": "Python 3 (sandboxed)", "language": "python"}))


def cell_errors(path: Path) -> list[str]:
    """One line per cell that raised (`<grade id or cell N> raised <error>`)."""
    if not path.is_file():
        return []
    problems = []
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                where = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
                message = f": {_first_line(output.evalue)}" if str(output.evalue).strip() else ""
                problems.append(f"{where} raised {output.ename}{message}"[:160])
                break
    return problems


def score_heldout(course: Course, lab: Lab, student: str, skip=(), sandboxed: bool = False
                  ) -> list[str]:
    """Run the held-out evaluators in a separate process and store their scores.

    In the sandbox, that process sees the held-out files and the submission
    read-only, and nothing else of the course: a crafted model file gains nothing.
    """
    if not lab.evaluators:
        return []
    submission = course.autograded / student / lab.name
    command = [sys.executable, "-I", "-m", "autograder.heldout", "--lab", lab.name,
               "--submission", str(submission), "--heldout-dir", str(course.heldout),
               "--data-dir", str(course.data)]
    if sandboxed:
        command = _in_sandbox(command, course, read_only=[
            REPO / "autograder", Path(labs.__file__).parent, course.heldout, course.data,
            submission])
    with tempfile.TemporaryDirectory() as empty:
        run = subprocess.run(command, cwd=empty, capture_output=True, text=True,
                             timeout=HELDOUT_TIMEOUT_S)
    if run.returncode == 0:
        items = json.loads(run.stdout)
    else:  # the scorer itself failed (a model that exhausts memory, say): zero, with the reason
        lines = run.stderr.strip().splitlines()
        reason = f"held-out scoring failed: {lines[-1] if lines else f'exit status {run.returncode}'}"
        items = [{"notebook": e.notebook, "grade_id": e.grade_id, "value": None, "fraction": 0.0,
                  "message": reason} for e in lab.evaluators]
    problems = []
    for item in items:
        if item["notebook"] in skip:
            item["fraction"], item["message"] = 0.0, "notebook could not be graded"
        score, max_score = gradebook.set_cell_score(course, lab.name, item["notebook"],
                                                    item["grade_id"], student, item["fraction"])
        message = f"{item['message']} -> {score:g}/{max_score:g} points"
        _annotate(submission / f"{item['notebook']}.ipynb", item["grade_id"], message)
        if item["value"] is None and item["notebook"] not in skip:
            problems.append(f"{item['notebook']}: held-out score 0 ({item['message']})")
    return problems


def _annotate(path: Path, grade_id: str, message: str) -> None:
    """Show the held-out result as the output of its grade cell (feedback shows it)."""
    if not path.is_file():
        return
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                   text=f"Held-out evaluation: {message}\n")]
    nbformat.write(nb, path)


def _remove_artifacts(lab: Lab, notebook: str, autograded: Path) -> None:
    """A new run must produce its own artifacts: stale ones from an earlier run go."""
    for evaluator in lab.evaluators:
        if evaluator.notebook == notebook:
            for path in (artifacts.predictions_path(evaluator.artifact_name, autograded),
                         *artifacts.model_paths(evaluator.artifact_name, autograded)):
                path.unlink(missing_ok=True)


def _first_line(value) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else type(value).__name__
