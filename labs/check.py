"""`python -m labs.check NOTEBOOK.ipynb`: check a notebook before you submit it.

Runs the notebook top to bottom in a fresh kernel, in its own folder, under
the lab's time limit, as the grader will, and reports what the grader would
find: the visible tests that fail, the exercises and written answers still
unanswered, the run time, and whether each file the grader scores is there
and valid (predictions: shape and class ids; a model: loads with Keras's safe
mode, has its settings, its vocabulary covers the training text as the
grader requires). It needs only what a
released lab folder holds: the notebook, `data/`, `labs/` and `lab.json`,
which `autograder release` writes from the course's catalog. The held-out
score itself is computed by the grader, on data you do not have.

The notebook file is not changed: outputs stay in memory.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# What nbgrader leaves in place of a solution in the student version.
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
LAB_CONTRACT = "lab.json"   # beside the released notebooks: time limit and graded artifacts
DEFAULT_TIME_LIMIT_S = 900


@dataclass
class Report:
    notebook: str
    time_limit_s: int
    seconds: float = 0.0
    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)      # test cell -> first error line
    unanswered: list[str] = field(default_factory=list)
    artifacts: dict[str, str] = field(default_factory=dict)   # file -> "" when valid, else why
    stopped: str = ""                                          # why the run did not finish

    @property
    def ready(self) -> bool:
        return not (self.failed or self.unanswered or self.stopped
                    or any(self.artifacts.values()) or self.seconds > self.time_limit_s)

    def text(self) -> str:
        lines = [f"{self.notebook}: ran in a fresh kernel in {self.seconds:.0f} s "
                 f"(limit {self.time_limit_s} s)"]
        if self.stopped:
            lines.append(f"  STOPPED: {self.stopped}")
        elif self.seconds > self.time_limit_s:
            lines.append("  TOO SLOW: the grader stops a notebook at the limit")
        lines.append(f"visible tests: {len(self.passed)} passed, {len(self.failed)} failed")
        lines += [f"  FAILED {cell}: {why}" for cell, why in self.failed.items()]
        if self.unanswered:
            lines.append(f"unanswered: {', '.join(self.unanswered)}")
        if self.artifacts:
            lines.append("files the grader scores:")
            lines += [f"  {'ok     ' if not why else 'PROBLEM'} {name}{': ' + why if why else ''}"
                      for name, why in self.artifacts.items()]
        lines.append("ready to submit" if self.ready else
                     "not ready: fix what is listed above, then run the check again")
        return "\n".join(lines)


def check(path: Path) -> Report:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    path = path.resolve()
    contract = _contract(path.parent)
    report = Report(path.name, int(contract.get("time_limit_s", DEFAULT_TIME_LIMIT_S)))
    nb = nbformat.read(path, as_version=4)
    report.unanswered = unanswered(nb)
    client = NotebookClient(nb, timeout=report.time_limit_s, allow_errors=True,
                            kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    try:
        client.execute()
    except CellTimeoutError:
        report.stopped = f"a cell ran longer than the lab's limit of {report.time_limit_s} s"
    except DeadKernelError as err:
        report.stopped = f"the kernel died ({err}); too much memory?"
    report.seconds = time.perf_counter() - started
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"),
                         None)
            if error is None and cell.get("execution_count") is not None:
                report.passed.append(meta["grade_id"])
            else:
                message = str(error["evalue"]).strip().splitlines() if error else []
                report.failed[meta["grade_id"]] = (
                    "did not run" if error is None else
                    f"{error['ename']}: {message[0]}" if message else error["ename"])
    report.artifacts = check_artifacts(path.parent, contract.get("artifacts", {}).get(path.stem, []))
    return report


def unanswered(nb) -> list[str]:
    """Solution cells still holding the release's stub (indented, in a code cell)."""
    stub = "\n".join(line.strip() for line in CODE_STUB.splitlines())
    left = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        code = "\n".join(line.strip() for line in cell.source.splitlines())
        if meta.get("solution") and (stub in code or cell.source.strip() == TEXT_STUB):
            left.append(meta["grade_id"])
    return left


def check_artifacts(folder: Path, expected: list[dict]) -> dict[str, str]:
    """{file: "" if valid, else the problem} for each artifact the grader will score."""
    from labs import artifacts, data
    found = {}
    for item in expected:
        if item["kind"] == "predictions":
            path = artifacts.predictions_path(item["name"], folder)
            name = str(path.relative_to(folder))
            try:
                labels = data.labels(item["dataset"], folder / data.DATA_DIR)
                artifacts.load_predictions(path, labels.size("test"), len(labels.names))
                found[name] = ""
            except (FileNotFoundError, ValueError, KeyError) as err:
                found[name] = str(err).replace(f"{folder}/", "")
        else:
            model_path, _ = artifacts.model_paths(item["name"], folder)
            name = str(model_path.relative_to(folder))
            try:
                _, settings = artifacts.load_language_model(item["name"], folder)
                missing = [key for key in item.get("settings", ()) if key not in settings]
                if missing:
                    raise ValueError(f"saved without the setting(s) {', '.join(missing)}")
                if item.get("covers"):
                    train = data.load(item["dataset"], "train", folder / data.DATA_DIR)["text"]
                    artifacts.require_coverage(settings["vocabulary"], item["covers"], train)
                found[name] = ""
            except (FileNotFoundError, ValueError, KeyError) as err:
                found[name] = str(err).replace(f"{folder}/", "")
    return found


def _contract(folder: Path) -> dict:
    path = folder / LAB_CONTRACT
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError:
        return {}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labs.check", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    ready = True
    for path in args.notebooks:
        if not path.is_file():
            print(f"{path}: no such notebook")
            ready = False
            continue
        report = check(path)
        print(report.text(), end="\n\n")
        ready &= report.ready
    return 0 if ready else 1


if __name__ == "__main__":
    sys.exit(main())
