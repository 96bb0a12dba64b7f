"""`python -m data_prep`: build the labs' HDF5 datasets from the raw corpora."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import h5py

from data_prep import DataPrepError
from data_prep.build import DEFAULT_HELDOUT, DEFAULT_OUT, build_all, select
from data_prep.datasets import DATASETS
from data_prep.fetch import RAW_DIR_ENV, RawStore
from labs import storage


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m data_prep",
        description="Turn the raw public corpora into one HDF5 file per lab dataset.")
    parser.add_argument("--raw-dir", type=Path, default=os.environ.get(RAW_DIR_ENV) or None,
                        help=f"local mirror of the raw files (default: ${RAW_DIR_ENV}); "
                             "missing files come from the download cache or are downloaded")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder for the students' dataset files (default: %(default)s)")
    parser.add_argument("--heldout-dir", type=Path, default=DEFAULT_HELDOUT,
                        help="folder for the grader-only held-out labels (default: %(default)s)")
    parser.add_argument("--cache-dir", type=Path, help="download cache (default: ~/.cache/dl4nlp/raw)")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help=f"build only these datasets ({', '.join(DATASETS)})")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument("--summary", action="store_true",
                        help="after building, print each file's splits and class balance")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        specs = select(args.only)
        store = RawStore(raw_dir=args.raw_dir, cache_dir=args.cache_dir)
        started = time.perf_counter()
        outcomes = build_all(specs, store, args.out, args.heldout_dir, force=args.force)
        print(f"{'total':12s} {'':10s} {time.perf_counter() - started:6.2f} s")
    except DataPrepError as err:
        print(f"data_prep: error: {err}", file=sys.stderr)
        return 1
    if args.summary:
        for outcome in outcomes:
            print(summarize(outcome.path, outcome.heldout_path))
    return 0


def summarize(path: Path, heldout_path: Path | None) -> str:
    """A few lines on one dataset file: size, splits, class balance, held-out part."""
    with h5py.File(path, "r") as f:
        attrs = storage.read_attrs(f.attrs)
        groups = [name for name in f if isinstance(f[name], h5py.Group)] or ["(root)"]
    lines = [f"\n{attrs['dataset']}: {path} ({path.stat().st_size / 1e6:.2f} MB)",
             f"  splits: {attrs['split_sizes']}  groups: {groups}",
             f"  license: {attrs['license']}"]
    if storage.LABEL_COLUMN in attrs:
        labels = storage.labels(attrs)
        lines.append(f"  labels: {labels.column!r}, {len(labels.names)} classes")
        for split, counts in labels.counts.items():
            total = sum(counts) or 1
            shares = ", ".join(f"{n} {100 * c / total:.1f}%"
                               for n, c in zip(labels.names, counts) if c)
            lines.append(f"  {split:5s} {shares}")
    if heldout_path is not None:
        lines.append(f"  held-out labels: {heldout_path} ({heldout_path.stat().st_size / 1e6:.2f} MB)")
    return "\n".join(lines)
