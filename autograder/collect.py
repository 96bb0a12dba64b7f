"""`collect LAB --from DIR|ZIP`: bring submissions into submitted/STUDENT/LAB/.

Two layouts are understood, in a folder or a zip archive:
- nested: `STUDENT/NOTEBOOK.ipynb` (or `STUDENT/LAB/NOTEBOOK.ipynb`);
- flat, as LMS downloads name files and nbgrader's `zip_collect` reads them:
  `<anything>_STUDENT_attempt_<timestamp>_NOTEBOOK.ipynb`.
Every file that cannot be collected is reported with its reason: a path that
would escape the target (zip slip), a link, an unknown notebook name, a student
id that is not a plain name, a notebook that appears twice for one student.
A student already collected is skipped unless `replace`, which first moves
the earlier collection to `archive/`. A student's files are written to a
temporary folder and renamed into place, so a collection is never half done.
"""
from __future__ import annotations

import re
import shutil
import stat
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from autograder.course import Course, GradingError

FLAT_NAME = re.compile(r".+_(?P<student>\w+)_attempt_(?P<timestamp>[0-9\-]+)_(?P<file>.+)")
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
JUNK = re.compile(r"(^|/)(__MACOSX|\.ipynb_checkpoints|\.DS_Store|Thumbs\.db)(/|$)")
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass
class Entry:
    name: str            # the path as given in the folder or archive
    student: str
    notebook: str
    timestamp: str | None
    read: callable


@dataclass
class CollectReport:
    collected: dict[str, list[str]] = field(default_factory=dict)  # student -> notebooks
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (student, reason)


def collect(course: Course, lab_name: str, source: Path, replace: bool = False) -> CollectReport:
    lab = course.lab(lab_name)
    report = CollectReport()
    by_student: dict[str, list[Entry]] = defaultdict(list)
    for entry in _entries(source, lab.name, lab.notebooks, report):
        by_student[entry.student].append(entry)
    _reject_duplicates(by_student, report)
    for student, entries in sorted(by_student.items()):
        target = course.submitted / student / lab.name
        if target.exists() and not replace:
            report.skipped.append((student, f"already collected in {target}; "
                                            "use --replace to archive it and collect again"))
            continue
        _write(course, target, entries)
        report.collected[student] = sorted(e.notebook for e in entries)
    return report


def _entries(source: Path, lab: str, notebooks: tuple[str, ...], report: CollectReport):
    if not source.exists():
        raise GradingError(f"{source} does not exist")
    if source.is_dir():
        files = _folder_files(source, report)
    elif zipfile.is_zipfile(source):
        files = _zip_files(source, report)
    else:
        raise GradingError(f"{source} is neither a folder nor a zip archive")
    for name, read in files:
        if JUNK.search(name):
            continue
        problem = _unsafe(name)
        if problem:
            report.rejected.append((name, problem))
            continue
        entry = _parse(name, lab, read)
        if entry is None:
            report.rejected.append((name, "unrecognised name: expected STUDENT/NOTEBOOK.ipynb or "
                                          "<prefix>_STUDENT_attempt_<timestamp>_NOTEBOOK.ipynb"))
        elif not STUDENT_ID.fullmatch(entry.student):
            report.rejected.append((name, f"student id {entry.student!r} is not a plain name"))
        elif entry.notebook not in notebooks:
            expected = ", ".join(f"{n}.ipynb" for n in notebooks)
            report.rejected.append((name, f"not a notebook of {lab} (expected {expected})"))
        else:
            yield entry


def _folder_files(root: Path, report: CollectReport):
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            report.rejected.append((name, "a symbolic link, not a file"))
        elif path.is_file():
            if path.stat().st_size > MAX_FILE_BYTES:
                report.rejected.append((name, f"larger than {MAX_FILE_BYTES >> 20} MB"))
            else:
                yield name, path.read_bytes


def _zip_files(archive: Path, report: CollectReport):
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
    for info in infos:
        if info.is_dir():
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            report.rejected.append((info.filename, "a symbolic link, not a file"))
        elif info.file_size > MAX_FILE_BYTES:
            report.rejected.append((info.filename, f"larger than {MAX_FILE_BYTES >> 20} MB"))
        else:
            yield info.filename, (lambda i=info: zipfile.ZipFile(archive).read(i))


def _unsafe(name: str) -> str | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or re.match(r"^[A-Za-z]:", name):
        return "absolute path: would be written outside the submissions folder"
    if ".." in path.parts:
        return "path contains '..': would be written outside the submissions folder"
    return None


def _parse(name: str, lab: str, read) -> Entry | None:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts[-1].endswith(".ipynb"):
        return None
    if len(parts) == 2 or (len(parts) == 3 and parts[1] == lab):
        return Entry(name, parts[0], PurePosixPath(parts[-1]).stem, None, read)
    if len(parts) == 1:
        match = FLAT_NAME.fullmatch(parts[0])
        if match:
            return Entry(name, match["student"], PurePosixPath(match["file"]).stem,
                         match["timestamp"], read)
    return None


def _reject_duplicates(by_student: dict[str, list[Entry]], report: CollectReport) -> None:
    """A student or notebook that appears twice is ambiguous: collect neither copy."""
    lowered = defaultdict(list)
    for student in by_student:
        lowered[student.lower()].append(student)
    for variants in lowered.values():
        if len(variants) > 1:
            for student in variants:
                for entry in by_student.pop(student):
                    report.rejected.append((entry.name, "student id differs from "
                                            f"{' / '.join(sorted(variants))} only in case"))
    for student, entries in by_student.items():
        counts = defaultdict(list)
        for entry in entries:
            counts[entry.notebook].append(entry)
        for notebook, copies in counts.items():
            if len(copies) > 1:
                for entry in copies:
                    entries.remove(entry)
                    report.rejected.append((entry.name, f"{student} has {len(copies)} copies of "
                                                        f"{notebook}.ipynb; keep one and collect again"))
    for student in [s for s, entries in by_student.items() if not entries]:
        del by_student[student]


def _write(course: Course, target: Path, entries: list[Entry]) -> None:
    staging = target.parent / f".{target.name}.collecting"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for entry in entries:
        (staging / f"{entry.notebook}.ipynb").write_bytes(entry.read())
    stamps = [e.timestamp for e in entries if e.timestamp]
    (staging / "timestamp.txt").write_text(_timestamp(max(stamps) if stamps else None))
    if target.exists():
        now = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        archived = course.root / "archive" / "submitted" / now / target.parent.name
        archived.mkdir(parents=True)
        target.rename(archived / target.name)
    staging.rename(target)


def _timestamp(lms_stamp: str | None) -> str:
    """nbgrader's timestamp.txt: the LMS's submission time if given, else now (UTC)."""
    if lms_stamp:
        try:
            when = datetime.strptime(lms_stamp, "%Y-%m-%d-%H-%M-%S").replace(tzinfo=timezone.utc)
        except ValueError:
            when = datetime.now(timezone.utc)
    else:
        when = datetime.now(timezone.utc)
    return when.strftime("%Y-%m-%d %H:%M:%S.%f %Z")
