"""Run each reference notebook of a lab with several seeds; print run times and held-out metrics.

    .venv/bin/python bench/threshold_study.py lab1 --seeds 1 2 3 4 5

Every threshold in a lab's hidden tests and held-out evaluators is set from
this study (min/mean/max, with a margin below the minimum); docs/thresholds.md
records the results. Seeds are applied through $DL4NLP_SEED, which
`labs.seed_everything` honours. Runs are sequential: on 2 cores a notebook
uses both.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.catalog import LABS  # noqa: E402
from autograder.heldout import evaluate  # noqa: E402


def run_once(notebook: Path, seed: int, data_dir: Path) -> tuple[float, Path]:
    """Execute a copy of `notebook` with `seed`; returns (seconds, its folder)."""
    folder = Path(tempfile.mkdtemp(prefix=f"{notebook.stem}-{seed}-"))
    shutil.copy(notebook, folder)
    nb = nbformat.read(folder / notebook.name, as_version=4)
    os.environ.update(DL4NLP_SEED=str(seed), DL4NLP_DATA_DIR=str(data_dir))
    started = time.perf_counter()
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(folder)}}).execute()
    return time.perf_counter() - started, folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lab", choices=sorted(LABS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--data-dir", type=Path, default=REPO / "data")
    parser.add_argument("--heldout-dir", type=Path, default=REPO / "autograder" / "heldout")
    parser.add_argument("--notebook", help="only this notebook (default: every one with an "
                                           "evaluator)")
    args = parser.parse_args()
    lab = LABS[args.lab]
    for evaluator in lab.evaluators:
        if args.notebook and evaluator.notebook != args.notebook:
            continue
        notebook = REPO / "source" / lab.name / f"{evaluator.notebook}.ipynb"
        times, values = [], []
        for seed in args.seeds:
            seconds, folder = run_once(notebook, seed, args.data_dir)
            result = evaluate(evaluator, folder, args.heldout_dir)
            shutil.rmtree(folder)
            times.append(seconds)
            values.append(result["value"])
            print(f"{evaluator.notebook} seed {seed}: {seconds:5.1f} s, "
                  f"{evaluator.metric} {result['value']:.4f} ({result['message']})", flush=True)
        print(f"{evaluator.notebook}: run time min/mean/max {min(times):.1f}/"
              f"{statistics.mean(times):.1f}/{max(times):.1f} s; {evaluator.metric} min/mean/max "
              f"{min(values):.4f}/{statistics.mean(values):.4f}/{max(values):.4f}; "
              f"thresholds now: {evaluator.thresholds.describe()}\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
