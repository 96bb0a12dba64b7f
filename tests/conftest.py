"""Shared fixtures: the raw mirror, and one data_prep build per test session."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from data_prep.build import build_all, select
from data_prep.fetch import RAW_DIR_ENV, RawStore

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    folder = Path(os.environ.get(RAW_DIR_ENV) or REPO.parent / "shared" / "data")
    if not (folder / "SHA256SUMS").is_file():
        pytest.fail(f"raw-corpus mirror not found at {folder}: set {RAW_DIR_ENV}")
    return folder


@pytest.fixture(scope="session")
def built(raw_dir, tmp_path_factory):
    """All five datasets built once from the mirror into a scratch folder."""
    root = tmp_path_factory.mktemp("built")
    out, heldout = root / "data", root / "heldout"
    lines = []
    outcomes = build_all(select(None), RawStore(raw_dir=raw_dir, cache_dir=root / "cache"),
                         out, heldout, report=lines.append)
    return {"out": out, "heldout": heldout, "outcomes": outcomes, "report": lines,
            "raw_dir": raw_dir}
