"""Build dataset files: resolve raw files, skip what is up to date, write atomically."""
from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import h5py

from data_prep import VERSION, DataPrepError
from data_prep.datasets import DATASETS, DatasetSpec
from data_prep.fetch import RawStore
from data_prep.h5write import write_h5
from data_prep.registry import RAW_FILES
from data_prep.splits import SPLIT_SEED
from labs import storage
from labs.data import DATA_DIR

REPO = Path(__file__).resolve().parents[1]
# Where the grader-only files go, relative to a course (the repository is one).
HELDOUT_DIR = Path("autograder", "heldout")
DEFAULT_OUT = REPO / DATA_DIR
DEFAULT_HELDOUT = REPO / HELDOUT_DIR


@dataclass
class Outcome:
    name: str
    path: Path
    heldout_path: Path | None
    seconds: float
    rebuilt: bool


def provenance(spec: DatasetSpec) -> dict:
    """The attributes that tie a file to its inputs and to this data_prep."""
    raws = [RAW_FILES[key] for key in spec.inputs]
    stored = [RAW_FILES[key] for key in spec.raw]
    return {
        "schema_version": storage.SCHEMA_VERSION,
        "dataset": spec.name,
        "data_prep_version": VERSION,
        "raw_sha256": {raw.mirror_path: raw.sha256 for raw in raws},
        "source_urls": {raw.mirror_path: raw.url + (f"#{raw.member}" if raw.member else "")
                        for raw in raws},
        "license": spec.license or "; ".join(dict.fromkeys(raw.license for raw in stored)),
        "citation": "\n".join(dict.fromkeys(raw.citation for raw in stored)),
        "split_seed": SPLIT_SEED,
    } | ({"generator_version": spec.version} if spec.version else {})


def secret_seed(heldout_dir: Path, dataset: str) -> int:
    """The course's secret seed for `dataset`'s test split: made once, then kept."""
    path = heldout_dir / f"{dataset}.seed"
    if not path.is_file():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(f"{secrets.randbits(63)}\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    try:
        return int(path.read_text())
    except ValueError:
        raise DataPrepError(f"{path} is not a seed (one integer): delete it to draw a new "
                            "test split") from None


def is_current(path: Path, expected: dict) -> bool:
    if not path.is_file():
        return False
    try:
        with h5py.File(path, "r") as f:
            attrs = storage.read_attrs(f.attrs)
    except (OSError, ValueError):
        return False  # unreadable: rebuild it
    return all(attrs.get(key) == value for key, value in expected.items())


def check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{time.time_ns()}"
        probe.touch()
        probe.unlink()
    except OSError as err:
        raise DataPrepError(f"output directory {folder} is not writable ({err.strerror})") from None


def select(names: list[str] | None) -> list[DatasetSpec]:
    unknown = sorted(set(names or ()) - DATASETS.keys())
    if unknown:
        raise DataPrepError(f"unknown dataset(s) {', '.join(unknown)}; "
                            f"known: {', '.join(DATASETS)}")
    return [spec for name, spec in DATASETS.items() if not names or name in names]


def build_all(specs: list[DatasetSpec], store: RawStore, out: Path, heldout_dir: Path,
              force: bool = False, report=print) -> list[Outcome]:
    check_writable(out)
    check_writable(heldout_dir)
    outcomes = []
    for spec in specs:
        started = time.perf_counter()
        attrs = provenance(spec)
        path, heldout_path = out / f"{spec.name}.h5", heldout_dir / f"{spec.name}.h5"
        current = is_current(path, attrs) and (
            not _has_heldout(path) or is_current(heldout_path, attrs))
        if not current or force:
            raw_paths = {key: store.path(RAW_FILES[key]) for key in spec.inputs}
            extra = ({"test_seed": secret_seed(heldout_dir, spec.name)}
                     if spec.secret_test_seed else {})
            built = spec.build(raw_paths, **extra)
            attrs |= built.attrs
            # Held-out file first: the students' file is what marks a build complete.
            if built.heldout:
                write_h5(heldout_path, built.heldout, attrs | {"heldout": True})
            write_h5(path, built.student, attrs | {"has_heldout": bool(built.heldout)})
        outcome = Outcome(spec.name, path, heldout_path if _has_heldout(path) else None,
                          time.perf_counter() - started, rebuilt=not current or force)
        report(f"{spec.name:12s} {'built' if outcome.rebuilt else 'up to date':10s} "
               f"{outcome.seconds:6.2f} s  {path}")
        outcomes.append(outcome)
    return outcomes


def _has_heldout(path: Path) -> bool:
    with h5py.File(path, "r") as f:
        return bool(f.attrs.get("has_heldout", False))
