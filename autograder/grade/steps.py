"""The steps of grading one submission, each run by a task process (`runner`).

`autograde_notebook`: one `nbgrader autograde` of one notebook under the lab's
time limit, its kernel in a sandbox (`autograder.sandbox`). `score`: in
separate sandboxed processes that run no student code, the judge
(`autograder.judge`) scores each test cell from the probes the kernel recorded
against the answer key (`autograder.keys`), and every held-out evaluator scores
the notebook's saved artifact (`autograder.heldout`); their results become the
scores of the grade cells and the outputs those cells show.
"""
from __future__ import annotations

import json
import os
import signal
import tempfile
from pathlib import Path

import nbformat

from autograder import gradebook, keys, sandbox
from autograder.catalog import Lab
from autograder.course import Course, GradingError
from autograder.grade.tasks import NOT_SUBMITTED
from autograder.preprocessors import AUTOGRADE_PREPROCESSORS, ShowResults
from autograder.sandbox import grading as policies
from autograder.untrusted import UntrustedFile, printable, read_regular
from labs.data import DATA_DIR_ENV

READ_TIMEOUT_S = 60  # reading and validating a submitted notebook
MAX_NOTEBOOK_BYTES = 100 * 1000**2
WITHOUT_SANDBOX = ("grading with --no-sandbox: student code runs as you, with your files, "
                   "network and memory; it can read held-out labels, solutions and other "
                   "students' work, and leave code that runs as you")


def require_sandbox(sandboxed: bool, log) -> None:
    """Refuse to grade without a sandbox unless the instructor chose to (`--no-sandbox`)."""
    if not sandboxed:
        log(f"WARNING: {WITHOUT_SANDBOX}.")
    elif (reason := sandbox.available()) is not None:
        raise GradingError(f"cannot sandbox student code: {reason}. To grade anyway, "
                           f"pass --no-sandbox ({WITHOUT_SANDBOX}).")


def answer_key(course: Course, lab: Lab, notebook: str, sandboxed: bool, log=print
               ) -> dict | None:
    """The notebook's answer key (built if stale), or None if it has no probes."""
    fresh = not keys.is_current(course, lab, notebook)
    if fresh:
        log(f"recording the answer key of {lab.name}/{notebook} from the reference solution")
    key = keys.ensure_key(course, lab, notebook, sandboxed)
    if fresh:
        for line in keys.reference_lines(key):
            log(f"  {line}")
    return key if key["cells"] else None


def answer_keys(course: Course, lab: Lab, sandboxed: bool, log=print) -> dict[str, dict]:
    """{notebook: answer key} of the lab's notebooks that have probes."""
    return {nb: key for nb in lab.notebooks
            if (key := answer_key(course, lab, nb, sandboxed, log)) is not None}


def check_notebook(path: Path) -> str | None:
    """Why a submitted notebook cannot be graded, or None if it can.

    The file is the student's: it may be a directory, a FIFO, a link, huge, or JSON
    that nbformat cannot make sense of (`[]`, nbformat 3 with odd worksheets, deep
    nesting); each is a reason, and reading it has a time limit.
    """
    try:
        raw = read_regular(path, MAX_NOTEBOOK_BYTES)
    except FileNotFoundError:
        return NOT_SUBMITTED
    except UntrustedFile as err:
        return f"not a valid notebook ({err})"

    def too_slow(*_):
        raise TimeoutError(f"reading it took longer than {READ_TIMEOUT_S} s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(READ_TIMEOUT_S)
    try:  # anything nbformat raises on a student's file is that file's problem
        nbformat.validate(nbformat.reads(raw.decode("utf-8"), as_version=4))
    except Exception as err:  # noqa: BLE001
        return f"not a valid notebook ({printable(_first_line(err))[:200]})"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return None


def autograde_notebook(course: Course, lab: Lab, notebook: str, student: str,
                       sandboxed: bool = False) -> tuple[str | None, list[str]]:
    """(why the notebook gets 0, or None; notes on what else happened) of one nbgrader run,
    in this process (a task process: its executor enforces the lab's time limit)."""
    autograded = course.autograded / student / lab.name
    autograded.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dl4nlp-") as scratch:
        run = Path(scratch)  # the grader's own: student code never sees it
        output_report, status_file = run / "output.json", run / "sandbox.json"
        args = ["autograde", lab.name, f"--student={student}", f"--notebook={notebook}", "--force",
                *(f"--Autograde.autograde_preprocessors={p}" for p in AUTOGRADE_PREPROCESSORS),
                f"--CapOutput.max_bytes={lab.limits.output_bytes}",
                f"--CapOutput.report={output_report}"]
        env = {DATA_DIR_ENV: str(course.data)}
        if sandboxed:
            runtime = run / "runtime"
            runtime.mkdir()
            kept = keys.expected_files(course, lab, notebook)
            policy = policies.kernel_policy(course, lab, kept, runtime, autograded, status_file)
            kernel_args, kernel_env = policies.kernel_setup(run, policy)
            args += kernel_args
            env.update(kernel_env)
        nbgrader = course.nbgrader_here(*args, env=env)
        verdict = policies.read_json(status_file)
        notes = verdict.get("notes", [])
        if policies.read_json(output_report).get("output_cut"):
            notes.append(lab.limits.reason("output_bytes"))
    if verdict.get("stopped"):
        return verdict["reason"], notes
    if nbgrader.returncode != 0:
        errors = [line.split("ERROR]", 1)[1].strip() for line in nbgrader.stdout.splitlines()
                  if "| ERROR]" in line]
        reason = errors[0] if errors else verdict.get("reason") or _first_line(nbgrader.stdout)
        # nbgrader's log also holds what the kernel printed: the reason may be student text.
        return f"nbgrader could not grade it: {printable(reason)[:300]}", notes
    return None, notes


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
                problems.append(printable(f"{where} raised {output.ename}{message}")[:160])
                break
    return problems


def score(course: Course, lab: Lab, student: str, notebook_keys: dict[str, dict], skip=(),
          sandboxed: bool = False) -> list[str]:
    """The judge's and the held-out evaluators' scores of one submission, into the gradebook.

    Every cell they score is set to 0 first, so nbgrader's in-kernel pass/fail never
    stands; a step that fails leaves its cells at 0 with the reason. `skip`: notebooks
    that could not be graded (already 0); `notebook_keys`: {notebook: answer key}.
    """
    submission = course.autograded / student / lab.name
    probed = {nb: key for nb, key in notebook_keys.items() if nb not in skip}
    zero_scored_cells(course, lab, student, {*probed, *(e.notebook for e in lab.evaluators)},
                      notebook_keys)
    outputs: dict[str, dict[str, str]] = {}  # notebook -> {grade id: the text the cell shows}
    record = {"checks": [], "heldout": []}   # what the instructor report counts
    problems = _judge(course, lab, student, probed, sandboxed, outputs, record["checks"])
    problems += _score_heldout(course, lab, student, skip, sandboxed, outputs, record["heldout"])
    for notebook, texts in outputs.items():
        show_results(submission / f"{notebook}.ipynb", texts)
    folder = course.results(lab.name)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{student}.json").write_text(json.dumps(record))
    return problems


def zero_scored_cells(course: Course, lab: Lab, student: str, notebooks,
                      notebook_keys: dict[str, dict]) -> None:
    """Set the cells the judge or a held-out evaluator scores to 0: nbgrader's in-kernel
    pass/fail, which student code can forge, never stands, whatever happens next."""
    cells = [*((nb, gid) for nb in notebooks
               for gid in notebook_keys.get(nb, {}).get("cells", ())),
             *((e.notebook, e.grade_id) for e in lab.evaluators if e.notebook in notebooks)]
    gradebook.set_cell_scores(course, lab.name, student, dict.fromkeys(cells, 0.0))


def _judge(course: Course, lab: Lab, student: str, probed: dict[str, dict], sandboxed: bool,
           outputs: dict, record: list) -> list[str]:
    """The judge's verdicts on the `probed` notebooks, into the gradebook and `outputs`."""
    if not probed:
        return []
    submission = course.autograded / student / lab.name
    items, failure = policies.run_scorer("judge", course, lab, submission, sandboxed,
                                         tuple(probed))
    if failure is not None:
        items = [{"notebook": nb, "grade_id": gid, "fraction": 0.0,
                  "verdicts": [{"message": f"the checks could not be judged: {failure}"}]}
                 for nb, key in probed.items() for gid in key["cells"]]
    scores = gradebook.set_cell_scores(course, lab.name, student, {
        (item["notebook"], item["grade_id"]): item["fraction"] for item in items})
    record += items
    for item in items:
        points, max_points = scores[item["notebook"], item["grade_id"]]
        passed = sum(1 for v in item["verdicts"] if v.get("passed"))
        lines = [f"Checks: {passed} of {len(item['verdicts'])} passed -> "
                 f"{points:g}/{max_points:g} points"]
        lines += [("  ok    " if v.get("passed") else "  FAIL  ") + v["message"]
                  for v in item["verdicts"]]
        outputs.setdefault(item["notebook"], {})[item["grade_id"]] = "\n".join(lines)
    return [] if failure is None else [f"judging failed: {failure}"]


def _score_heldout(course: Course, lab: Lab, student: str, skip, sandboxed: bool,
                   outputs: dict, record: list) -> list[str]:
    """The held-out evaluators' scores, into the gradebook and `outputs`."""
    if not lab.evaluators:
        return []
    submission = course.autograded / student / lab.name
    problems = []
    items, failure = policies.run_scorer("heldout", course, lab, submission, sandboxed)
    if failure is not None:  # a model that exhausts memory, say: zero, with the reason
        items = [e.unscored(f"held-out scoring failed: {failure}") for e in lab.evaluators]
    for item in items:
        if item["notebook"] in skip:
            item["fraction"], item["message"] = 0.0, "notebook could not be graded"
    scores = gradebook.set_cell_scores(course, lab.name, student, {
        (item["notebook"], item["grade_id"]): item["fraction"] for item in items})
    record += items
    for item in items:
        points, max_points = scores[item["notebook"], item["grade_id"]]
        outputs.setdefault(item["notebook"], {})[item["grade_id"]] = (
            f"Held-out evaluation: {item['message']} -> {points:g}/{max_points:g} points")
        if item["value"] is None and item["notebook"] not in skip:
            problems.append(f"{item['notebook']}: held-out score 0 ({item['message']})")
    return problems


def show_results(path: Path, texts: dict[str, str]) -> None:
    """The autograded notebook at `path` with its scored cells showing `texts` ({grade id:
    text}; `ShowResults`), for the feedback pages."""
    if not path.is_file():
        return
    nb, _ = ShowResults(results=texts).preprocess(nbformat.read(path, as_version=4), {})
    # nbgrader leaves autograded notebooks read-only (0444): a grader that is not root
    # cannot write into them, so the annotated copy replaces the file, with its mode.
    fresh = path.with_name(f".{path.name}.annotated")
    nbformat.write(nb, fresh)
    fresh.chmod(path.stat().st_mode & 0o777)
    os.replace(fresh, path)


def remove_artifacts(course: Course, lab: Lab, notebook: str, autograded: Path) -> None:
    """A new run must produce its own artifacts and probes: stale ones from an earlier run go."""
    for relative in keys.expected_files(course, lab, notebook):
        (autograded / relative).unlink(missing_ok=True)


def _first_line(value) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else type(value).__name__
