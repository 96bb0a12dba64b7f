"""What each sandboxed grading process may see: a notebook's kernel, the held-out scorer.

Inside, the paths are fixed and reveal nothing of the grader's machine: the
kernel works in `WORK` (a fresh folder; its notebook's declared artifacts are
copied out afterwards), reads the students' datasets in `DATA` and imports
`labs` from `LIB`. The scorer reads the artifacts, the held-out labels and the
datasets, all read-only, and imports only the modules that score.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import labs
from autograder.catalog import Lab
from autograder.course import ANSWER_KEYS, Course, die_with_parent
from autograder.sandbox.policy import Bind, Policy, base_env, python_binds
from labs.data import DATA_DIR_ENV

WORK, DATA, LIB, HELDOUT = "/submission", "/data", "/opt/dl4nlp", "/heldout"
LABS_DIR = Path(labs.__file__).resolve().parent
AUTOGRADER_DIR = Path(__file__).resolve().parents[1]
# What `autograder.heldout` and `autograder.judge` import.
SCORER_MODULES = ("__init__.py", "catalog.py", "heldout.py", "judge.py", "untrusted.py")
SCORER_TIMEOUT_S = 300  # the judge's and the held-out scorer's, each
PASSED_ON = ("DL4NLP_SEED",)  # the grader's environment variables a kernel may see
# Inside, -I would also drop PYTHONPATH (where labs is): -s -P keep out the user's site
# folder and the working directory.
PYTHON_INSIDE = [sys.executable, "-s", "-P"]
SANDBOX_KERNEL = "dl4nlp-sandbox"
KERNEL_COMMAND = [*PYTHON_INSIDE, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def sandboxed_command(policy_file: Path, command: list[str]) -> list[str]:
    """The command line that runs `command` under the policy saved in `policy_file`."""
    return [sys.executable, "-I", "-m", "autograder.sandbox", str(policy_file), "--", *command]


def kernel_policy(course: Course, lab: Lab, keep: list[str], runtime_dir: Path, out_dir: Path,
                  status_file: Path) -> Policy:
    """A notebook's kernel: Jupyter's runtime folder (IPC sockets) and its own folder writable;
    afterwards the `keep` files (artifacts, probes) are copied out to `out_dir`."""
    binds = [*python_binds(), Bind(str(LABS_DIR), f"{LIB}/labs"),
             Bind(str(runtime_dir), str(runtime_dir), writable=True)]
    if course.data.is_dir():
        binds.append(Bind(str(course.data), DATA))
    env = base_env(PYTHONPATH=LIB, **{DATA_DIR_ENV: DATA},
                   **{k: os.environ[k] for k in PASSED_ON if k in os.environ})
    return Policy(binds=binds, env=env, cwd=WORK, work=WORK,
                  keep=keep, out_dir=str(out_dir),
                  status_file=str(status_file), ipc_dir=str(runtime_dir), limits=lab.limits)


def kernel_setup(run: Path, policy: Policy) -> tuple[list[str], dict[str, str]]:
    """(Jupyter options, environment) that make an nbgrader or nbconvert run in `run`
    start its kernel under `policy`. The IPC sockets (kernel-ipc-N) sit beside the
    connection file: no TCP port is needed between the grader and a kernel whose network
    namespace has only loopback."""
    runtime = Path(policy.ipc_dir)
    spec = run / "kernels" / SANDBOX_KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": sandboxed_command(policy.save(run / "policy.json"), KERNEL_COMMAND),
         "display_name": "Python 3 (sandboxed)", "language": "python",
         "interrupt_mode": "signal"}))
    args = [f"--ExecutePreprocessor.kernel_name={SANDBOX_KERNEL}",
            "--KernelManager.transport=ipc",
            f"--KernelManager.connection_file={runtime / 'kernel.json'}"]
    return args, {"JUPYTER_PATH": str(run), "JUPYTER_RUNTIME_DIR": str(runtime)}


def scorer_policy(course: Course, lab: Lab, submission: Path, status_file: Path) -> Policy:
    """The judge or the held-out scorer: no student code, but they read student-made files."""
    binds = [*python_binds(), Bind(str(LABS_DIR), f"{LIB}/labs"),
             *(Bind(str(AUTOGRADER_DIR / m), f"{LIB}/autograder/{m}") for m in SCORER_MODULES),
             Bind(str(submission), WORK)]
    binds += [Bind(str(host), inside) for host, inside in
              ((course.heldout, HELDOUT), (course.data, DATA)) if host.is_dir()]
    return Policy(binds=binds, env=base_env(PYTHONPATH=LIB), status_file=str(status_file),
                  limits=lab.limits)


def scorer_command(step: str, course: Course, lab: Lab, submission: Path, inside: bool,
                   notebooks: tuple[str, ...] = ()) -> list[str]:
    """`autograder.judge` or `autograder.heldout` (`step`) for one submission;
    `inside`: with the sandbox's paths."""
    heldout, data = (Path(HELDOUT), Path(DATA)) if inside else (course.heldout, course.data)
    submission = Path(WORK) if inside else submission
    python = PYTHON_INSIDE if inside else [sys.executable, "-I"]
    if step == "judge":
        args = ["--keys", str(heldout / ANSWER_KEYS / lab.name)]
    else:
        args = ["--lab", lab.name, "--heldout-dir", str(heldout), "--data-dir", str(data)]
    return [*python, "-m", f"autograder.{step}", "--submission", str(submission), *args,
            *(f"--notebook={notebook}" for notebook in notebooks)]


def run_scorer(step: str, course: Course, lab: Lab, submission: Path, sandboxed: bool,
               notebooks: tuple[str, ...] = ()) -> tuple[list | None, str | None]:
    """(the JSON list `autograder.<step>` printed, or None; why it failed, or None), for
    the `notebooks` of `submission` (all of the lab's if none are named).

    In the sandbox, the process sees the answer keys, held-out files, datasets and the
    submission's files read-only, and nothing else: a crafted file gains nothing.
    """
    with tempfile.TemporaryDirectory(prefix="dl4nlp-") as scratch:
        run = Path(scratch)
        command = scorer_command(step, course, lab, submission, sandboxed, notebooks)
        if sandboxed:
            policy = scorer_policy(course, lab, submission, run / "sandbox.json")
            command = sandboxed_command(policy.save(run / "policy.json"), command)
        try:
            scorer = subprocess.run(command, cwd=run, capture_output=True, text=True,
                                    timeout=SCORER_TIMEOUT_S, stdin=subprocess.DEVNULL,
                                    preexec_fn=die_with_parent)
        except subprocess.TimeoutExpired:
            return None, f"stopped after {SCORER_TIMEOUT_S} s"
        verdict = read_json(run / "sandbox.json")
    if verdict.get("stopped"):
        return None, verdict.get("reason")
    if scorer.returncode != 0:
        lines = scorer.stderr.strip().splitlines()
        return None, lines[-1] if lines else f"exit status {scorer.returncode}"
    try:
        items = json.loads(scorer.stdout)
    except ValueError:
        return None, "its output was not its JSON result"
    return items, None


def read_json(path: Path) -> dict:
    """A small JSON file the grader's own processes wrote, or {} if there is none."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}
