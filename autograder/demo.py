"""`demo`: the instructor's whole workflow in a scratch course, narrated.

A scratch course folder gets the repository's nbgrader_config.py and source
labs; then data_prep builds the datasets, each lab is released, sample
submissions arrive as an LMS-style zip, and they are collected, graded (with
the held-out step), their written answers scored by a stand-in TA, given
feedback and exported.
"""
from __future__ import annotations

import os
import shutil
import time
import zipfile
from pathlib import Path

import nbformat

from autograder import gradebook
from autograder.catalog import LABS
from autograder.collect import collect
from autograder.course import NBGRADER_CONFIG, Course, GradingError
from autograder.export import export
from autograder.feedback import feedback
from autograder.grade import grade
from autograder.grade.steps import MAX_NOTEBOOK_BYTES
from autograder.release import release
from autograder.report import write_report
from autograder.samples import make_samples, solution_code
from autograder.summary import score_table
from autograder.untrusted import read_regular
from data_prep.build import build_all, select
from data_prep.fetch import RAW_DIR_ENV, RawStore

REPO = Path(__file__).resolve().parents[1]
MARKER = ".dl4nlp-demo"


def run_demo(folder: Path, jobs: int = 2, raw_dir: Path | None = None, log=print,
             only: list[str] | None = None, samples: dict[str, tuple[str, ...]] | None = None
             ) -> int:
    """The workflow for every lab of the catalog, or for the labs named in `only`; each lab
    with its catalog's sample submissions, or those `samples` names for it."""
    started = time.perf_counter()
    labs = [lab for lab in LABS.values()
            if (REPO / "source" / lab.name).is_dir() and (not only or lab.name in only)]
    course = _scratch_course(folder, [lab.name for lab in labs])
    reports = []
    _step(log, f"1. A scratch course in {course.root}",
          f"It has the repository's {NBGRADER_CONFIG} and source notebooks of "
          f"{', '.join(lab.name for lab in labs)}.")

    _step(log, "2. Datasets", "data_prep builds the students' files and the grader-only "
                              "held-out labels (autograder/heldout/).")
    datasets = sorted({name for lab in labs for name in lab.datasets})
    store = RawStore(raw_dir=raw_dir or os.environ.get(RAW_DIR_ENV) or None)
    build_all(select(datasets), store, course.data, course.heldout, report=log)

    for lab in labs:
        released = release(course, lab.name)
        _step(log, f"3. Release {lab.name}",
              f"nbgrader generate_assignment wrote {released} (solutions and hidden tests "
              "stripped), plus the students' data/ and the labs/ helpers.")

        inbox, descriptions = _lms_zip(lab, course, folder,
                                       (samples or {}).get(lab.name, lab.samples))
        report = collect(course, lab.name, inbox)
        _step(log, f"4. Collect {lab.name}", f"from {inbox}, an LMS-style zip:")
        for student in report.collected:
            log(f"   {student:10s} {descriptions[student]}")

        _step(log, f"5. Grade {lab.name}", "First the answer keys: each source notebook runs "
              "top to bottom in the sandbox; what its hidden tests record becomes the key, and "
              "its saved models and predictions are scored on the held-out data (what the "
              "reference solution earns on this course's data). Then nbgrader autograde runs "
              "every submitted notebook in the sandbox, and in separate processes the judge "
              "compares what its hidden tests recorded with the key and the held-out "
              "evaluators score its saved predictions.")
        results = grade(course, lab.name, jobs=jobs, log=lambda line: log("   " + line))
        log("")
        log(score_table(lab, results))

        waiting = {r.student: r.awaiting for r in results if r.awaiting}
        if waiting:
            _step(log, f"6. Written answers {lab.name}",
                  "`grade` leaves written answers to a TA (marked + above). In formgrader a TA "
                  "reads each against the rubric in the source notebook and sets a score; "
                  "here the demo plays the TA through nbgrader's Gradebook API, with the "
                  "writes formgrader makes, and gives full points to an answer that is the "
                  "source's model answer (every sample's is).")
            _grade_written_answers(course, lab, waiting, log)

        reports.append(write_report(course, lab.name))  # after the TA: its points count
        pages = feedback(course, lab.name)
        _step(log, f"7. Feedback {lab.name}",
              f"{len(pages)} HTML pages in {course.feedback}/STUDENT/{lab.name}/ "
              "(hidden tests show only the verdict of each check).")

    out = export(course, course.root / "grades.csv")
    _step(log, "8. Export", f"{out}:")
    log(out.read_text())
    _step(log, "What the instructor sees", "the class report: score and held-out "
          "distributions, the checks that fail most, run times, problems, answers waiting "
          "for a TA (`python -m autograder report LAB`; `grade` writes it too):")
    for path in reports:
        log(f"   {path}")
    _step(log, "What a student sees", "their feedback page: each test's verdict and points, the "
          "held-out score with its thresholds, the TA's points. Open one in a browser:")
    for lab in labs:
        for student in ("reference", "partial"):
            for page in sorted((course.feedback / student / lab.name).glob("*.html")):
                log(f"   {page}")
    log(f"Done in {time.perf_counter() - started:.0f} s. Look around in {course.root}: "
        "submitted/, autograded/, feedback/, grades.csv, gradebook.db.")
    return 0


def _grade_written_answers(course: Course, lab, waiting: dict[str, list[str]], log) -> None:
    """The demo's TA: full points for each waiting answer that is the source's model answer."""
    model = {}
    for notebook in lab.notebooks:
        source = nbformat.read(course.source / lab.name / f"{notebook}.ipynb", as_version=4)
        model.update(_written_answers(source, notebook, solution_code))
    for student, cells in waiting.items():
        answers = {}
        for notebook in {cell.split("/")[0] for cell in cells}:
            path = course.submitted / student / lab.name / f"{notebook}.ipynb"
            submitted = nbformat.reads(read_regular(path, MAX_NOTEBOOK_BYTES).decode(), 4)
            answers.update(_written_answers(submitted, notebook))
        marked = {cell: model[cell][1] for cell in cells
                  if cell in model and cell in answers and answers[cell][0] == model[cell][0]}
        gradebook.grade_by_hand(course, lab.name, student, marked)
        left = len(cells) - len(marked)
        log(f"   {student:10s} {len(marked)} answer(s) given full points"
            + (f", {left} left for a person" if left else "")
            + f": {gradebook.lab_scores(course, lab.name)[student]:g} points now")


def _written_answers(nb, notebook: str, text=str) -> dict[str, tuple[str, float]]:
    """{`notebook/grade_id`: (answer, points)} of the manually graded markdown answer cells."""
    answers = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("grade") and meta.get("solution"):
            answers[f"{notebook}/{meta['grade_id']}"] = (text(cell.source).strip(),
                                                         float(meta.get("points", 0)))
    return answers


def _scratch_course(folder: Path, labs: list[str]) -> Course:
    if folder.exists():
        if not (folder / MARKER).exists() and any(folder.iterdir()):
            raise GradingError(f"{folder} exists and is not a demo course: choose another --dir")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by `python -m autograder demo`; replaced on each run\n")
    shutil.copy(REPO / NBGRADER_CONFIG, folder / NBGRADER_CONFIG)
    for lab in labs:
        shutil.copytree(REPO / "source" / lab, folder / "source" / lab)
    return Course.at(folder)


def _lms_zip(lab, course: Course, folder: Path, kinds: tuple[str, ...]
             ) -> tuple[Path, dict[str, str]]:
    """Sample submissions in a zip, named as an LMS download names them."""
    samples = folder / "samples" / lab.name
    descriptions = make_samples(lab, course.source / lab.name, course.release / lab.name,
                                samples, kinds)
    archive = folder / "inbox" / f"{lab.name}_submissions.zip"
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(samples.glob("*/*.ipynb")):
            student = path.parent.name
            zf.write(path, f"{lab.name}_{student}_attempt_2026-11-20-09-30-00_{path.name}")
    return archive, descriptions


def _step(log, title: str, text: str) -> None:
    log(f"\n== {title}\n   {text}")
