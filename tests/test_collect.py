"""`autograder collect`: folders and LMS zips in, submitted/STUDENT/LAB out, bad files named."""
import zipfile

import pytest

from autograder.collect import collect
from autograder.course import GradingError

GOOD = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def write_zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in entries.items():
            zf.writestr(name, text)
    return path


def submitted(root):
    return sorted(p.relative_to(root / "submitted").as_posix()
                  for p in (root / "submitted").rglob("*") if p.is_file())


def test_nested_folder(tiny_course, tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "alice").mkdir(parents=True)
    (inbox / "alice" / "tasks.ipynb").write_text(GOOD)
    (inbox / "bob" / "ps0").mkdir(parents=True)
    (inbox / "bob" / "ps0" / "tasks.ipynb").write_text(GOOD)
    (inbox / "bob" / ".ipynb_checkpoints").mkdir()
    (inbox / "bob" / ".ipynb_checkpoints" / "tasks-checkpoint.ipynb").write_text(GOOD)
    report = collect(tiny_course.course, "ps0", inbox)
    assert report.collected == {"alice": ["tasks"], "bob": ["tasks"]} and not report.rejected
    assert submitted(tiny_course.root) == ["alice/ps0/tasks.ipynb", "alice/ps0/timestamp.txt",
                                           "bob/ps0/tasks.ipynb", "bob/ps0/timestamp.txt"]


def test_lms_zip_names_and_timestamps(tiny_course, tmp_path):
    archive = write_zip(tmp_path / "lms.zip", {
        "ps0_carol_attempt_2026-11-20-09-30-00_tasks.ipynb": GOOD})
    report = collect(tiny_course.course, "ps0", archive)
    assert report.collected == {"carol": ["tasks"]}
    stamp = (tiny_course.root / "submitted" / "carol" / "ps0" / "timestamp.txt").read_text()
    assert stamp.startswith("2026-11-20 09:30:00")


def test_zip_slip_and_absolute_paths_are_rejected(tiny_course, tmp_path):
    archive = write_zip(tmp_path / "evil.zip", {
        "../../evil/tasks.ipynb": GOOD, "/etc/tasks.ipynb": GOOD,
        "dave/../../tasks.ipynb": GOOD, "erin/tasks.ipynb": GOOD})
    report = collect(tiny_course.course, "ps0", archive)
    assert report.collected == {"erin": ["tasks"]}
    reasons = dict(report.rejected)
    assert "outside the submissions folder" in reasons["../../evil/tasks.ipynb"]
    assert "absolute path" in reasons["/etc/tasks.ipynb"]
    assert "outside the submissions folder" in reasons["dave/../../tasks.ipynb"]
    assert not (tmp_path / "evil").exists()


def test_wrong_names_and_duplicates_are_rejected(tiny_course, tmp_path):
    archive = write_zip(tmp_path / "mixed.zip", {
        "frank/homework.ipynb": GOOD,
        "frank/notes.txt": "hi",
        "gina/tasks.ipynb": GOOD,
        "ps0_gina_attempt_2026-11-20-10-00-00_tasks.ipynb": GOOD,
        "hal/tasks.ipynb": GOOD, "HAL/tasks.ipynb": GOOD,
        "bad id!/tasks.ipynb": GOOD,
        "ivy/tasks.ipynb": GOOD})
    report = collect(tiny_course.course, "ps0", archive)
    assert report.collected == {"ivy": ["tasks"]}
    reasons = dict(report.rejected)
    assert "not a notebook of ps0 (expected tasks.ipynb)" in reasons["frank/homework.ipynb"]
    assert "unrecognised name" in reasons["frank/notes.txt"]
    assert "gina has 2 copies of tasks.ipynb" in reasons["gina/tasks.ipynb"]
    assert "only in case" in reasons["HAL/tasks.ipynb"]
    assert "not a plain name" in reasons["bad id!/tasks.ipynb"]


def test_symlinks_are_rejected(tiny_course, tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "jack").mkdir(parents=True)
    (inbox / "jack" / "tasks.ipynb").symlink_to(tiny_course.root / "source" / "ps0" / "tasks.ipynb")
    report = collect(tiny_course.course, "ps0", inbox)
    assert report.rejected == [("jack/tasks.ipynb", "a symbolic link, not a file")]
    assert not (tiny_course.root / "submitted" / "jack").exists()


def test_earlier_collection_is_kept_unless_replaced(tiny_course, tmp_path):
    first = write_zip(tmp_path / "1.zip", {"kim/tasks.ipynb": GOOD})
    second = write_zip(tmp_path / "2.zip", {"kim/tasks.ipynb": GOOD.replace("[]", "[ ]")})
    collect(tiny_course.course, "ps0", first)
    report = collect(tiny_course.course, "ps0", second)
    assert report.collected == {} and "use --replace" in report.skipped[0][1]
    target = tiny_course.root / "submitted" / "kim" / "ps0" / "tasks.ipynb"
    assert target.read_text() == GOOD
    report = collect(tiny_course.course, "ps0", second, replace=True)
    assert report.collected == {"kim": ["tasks"]} and target.read_text() != GOOD
    archived = list((tiny_course.root / "archive" / "submitted").glob("*/kim/ps0/tasks.ipynb"))
    assert len(archived) == 1 and archived[0].read_text() == GOOD


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.zip", "does not exist"),
    (lambda p: (p / "x.zip", (p / "x.zip").write_text("not a zip"))[0], "neither a folder nor a zip"),
])
def test_unusable_source(tiny_course, tmp_path, make, message):
    with pytest.raises(GradingError, match=message):
        collect(tiny_course.course, "ps0", make(tmp_path))


def test_unknown_assignment(tiny_course, tmp_path):
    with pytest.raises(GradingError, match=r"no assignment 'ps9'.*found: \['ps0'\]"):
        collect(tiny_course.course, "ps9", tmp_path)
