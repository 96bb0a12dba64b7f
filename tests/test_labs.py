"""Every lab end to end: the demo's scratch course (data, release, sample submissions,
collect, grade, feedback, export) is built once per session and examined here.

Every lab's reference solution runs once, as its answer key: its probes are the key and
its saved artifacts are scored on the held-out data. Lab 0 and lab 1 are then graded with
their whole sample sets; the other labs with the untouched release only, to keep CI within
its time (`python -m autograder demo --all` grades every lab's whole set)."""
import csv
import html
import re
import shutil
from pathlib import Path

import h5py
import nbformat
import pytest

from autograder import gradebook, keys
from autograder.catalog import LABS
from autograder.course import Course
from autograder.demo import run_demo
from autograder.grade import answer_keys, score
from labs import storage

# The demo course takes several minutes on 2 cores (five labs' reference runs, lab 0's and
# lab 1's sample runs): longer than the suite's default timeout.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
REPO = Path(__file__).resolve().parents[1]
FULL_SAMPLES = ("lab0", "lab1")
# The sample submissions' scores, from the catalog's sample settings:
EXPECTED = {
    # partial leaves mse/r_squared (regression_metrics, -6) and numerical_gradient (-6)
    # unsolved; the NumPy network whose predictions are scored uses neither.
    "lab0": {"reference": 100, "untouched": 0, "partial": 88},
    # partial leaves build_logistic_regression (-6) and build_ffn (-6) unsolved; the
    # CNN and the design model still train, and the design model, best on validation,
    # saves the predictions (held-out 15 of 15). buggy raises in majority_baseline (-4)
    # and most_confidently_wrong (-4). The 8 written points (2 questions per notebook)
    # count as earned for every sample but untouched and corrupt.
    "lab1": {"reference": 100, "untouched": 0, "partial": 88, "buggy": 92, "corrupt": 0},
    "lab2": {"untouched": 0},
    "lab3": {"untouched": 0},
    "lab4": {"untouched": 0},
}
LAB_NAMES = [name for name in EXPECTED if (REPO / "source" / name).is_dir()]
SAMPLED = [name for name in LAB_NAMES if "reference" in EXPECTED[name]]


@pytest.fixture(scope="session")
def demo(tmp_path_factory, raw_dir):
    folder = tmp_path_factory.mktemp("demo") / "course"
    lines = []
    samples = {lab: tuple(EXPECTED[lab]) for lab in LAB_NAMES}
    assert run_demo(folder, jobs=2, raw_dir=raw_dir, log=lines.append, samples=samples) == 0
    return Course.at(folder), "\n".join(lines)


def notebooks(lab):
    return [(lab, notebook) for notebook in LABS[lab].notebooks]


ALL_NOTEBOOKS = [pair for lab in LAB_NAMES for pair in notebooks(lab)]


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_sample_scores(demo, lab):
    course, _ = demo
    scores = gradebook.lab_scores(course, lab)
    assert {student: scores[student] for student in EXPECTED[lab]} == EXPECTED[lab]


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_untouched_release_scores_zero_on_every_graded_cell(demo, lab):
    course, _ = demo
    with gradebook.opened(course) as gb:
        grades = [g for nb in gb.find_submission(lab, "untouched").notebooks for g in nb.grades]
        assert grades and all(g.score == 0 for g in grades)


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_the_class_report_shows_scores_held_out_metrics_and_checks(demo, lab):
    course, log = demo
    page = (course.reports / f"{lab}.html").read_text()
    assert str(course.reports / f"{lab}.html") in log
    plots = len(LABS[lab].notebooks) + len(LABS[lab].evaluators)
    assert page.count("data:image/png;base64,") == plots
    for evaluator in LABS[lab].evaluators:
        assert f"held-out {evaluator.metric}" in page
    assert "Checks that fail most" in page and re.search(r"class=.num.>\d+/\d+</td>", page)
    if LABS[lab].evaluators:
        assert "the reference solution reached" in page


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_the_reference_run_earns_full_held_out_points(demo, lab):
    """Recorded with the answer key: what the reference's own artifacts score, which the
    grade step prints; for a sampled lab, the reference submission scores the same."""
    course, output = demo
    section = output.split(f"== 5. Grade {lab}")[1]
    for evaluator in LABS[lab].evaluators:
        [result] = [r for r in keys.reference_results(course, LABS[lab], evaluator.notebook)
                    if r["grade_id"] == evaluator.grade_id]
        assert result["fraction"] == 1, result["message"]
        assert f"the reference solution's {evaluator.notebook}/{evaluator.grade_id}: " \
               f"held-out {evaluator.metric} {result['value']:.4f}" in section
        if lab in SAMPLED:
            with gradebook.opened(course) as gb:
                grade = gb.find_grade(evaluator.grade_id, evaluator.notebook, lab, "reference")
                assert grade.score == grade.max_score > 0
    assert "SHORT OF FULL POINTS" not in section.split("== 6.")[0]


@pytest.mark.parametrize("lab", SAMPLED)
def test_written_answers_wait_for_a_ta_and_the_demo_plays_one(demo, lab):
    """`grade` leaves written answers to a person (`+`, "to grade by hand"); the demo's TA
    scores the samples' model answers through the gradebook; an unanswered one scores 0."""
    course, output = demo
    section = output.split(f"== 5. Grade {lab}")[1].split(f"== 7. Feedback {lab}")[0]
    graded, ta = section.split(f"== 6. Written answers {lab}")
    reference_row = next(line for line in graded.splitlines() if line.startswith("reference"))
    assert reference_row.split()[len(LABS[lab].notebooks) + 1].endswith("+")
    assert "to grade by hand: " in graded and "answer(s) given full points" in ta
    with gradebook.opened(course) as gb:
        for student in ("reference", "untouched"):
            answers = [g for nb in gb.find_submission(lab, student).notebooks for g in nb.grades
                       if g.cell.cell_type == "markdown"]
            assert len(answers) >= 2 * len(LABS[lab].notebooks)
            for answer in answers:
                assert not answer.needs_manual_grade
                assert answer.score == (answer.max_score if student == "reference" else 0)


def test_problems_are_reported(demo):
    _, output = demo
    table = output.split("== 5. Grade lab1")[1].split("== 6. ")[0]
    rows = {line.split()[0]: line for line in table.splitlines()
            if line.split()[:1] and line.split()[0] in EXPECTED["lab1"]}
    assert re.search(r"/100\+  to grade by hand: \w+/answer_\w+", rows["reference"])
    assert "not a valid notebook" in rows["corrupt"]
    assert "simulated student bug" in rows["buggy"]
    assert "no predictions file" in output  # partial's held-out result


def test_plain_nbgrader_autograde_then_score(demo):
    """`score` (judge + held-out step) after a plain `nbgrader autograde` (no sandbox) gives
    the scores `grade` gave; one notebook with an evaluator stands for the rest."""
    course, _ = demo
    lab, notebook = LABS["lab1"], "imbalanced_classes"
    shutil.copytree(course.submitted / "reference", course.submitted / "plain_reference",
                    dirs_exist_ok=True)
    run = course.nbgrader("autograde", lab.name, "--student=plain_reference",
                          f"--notebook={notebook}", env={"DL4NLP_DATA_DIR": str(course.data)})
    assert run.returncode == 0, run.stdout[-3000:]
    others = [nb for nb in lab.notebooks if nb != notebook]
    keys = answer_keys(course, lab, sandboxed=False)
    assert score(course, lab, "plain_reference", keys, skip=others) == []
    # The same, but for the written answers: the demo's TA scored the reference's, the plain
    # run's wait for a person.
    plain = gradebook.submission_grades(course, lab.name, "plain_reference")
    graded = gradebook.submission_grades(course, lab.name, "reference")
    written = [cell for cell in graded.by_hand if cell.startswith(f"{notebook}/")]
    assert written and [c for c in plain.awaiting if c.startswith(f"{notebook}/")] == written
    with gradebook.opened(course) as gb:
        written_points = sum(g.max_score for g in gb.find_submission_notebook(
            notebook, lab.name, "reference").grades if f"{notebook}/{g.name}" in written)
    score_by_hand, max_score = graded.scores[notebook]
    assert plain.scores[notebook] == (score_by_hand - written_points, max_score)
    assert score_by_hand == max_score > 0


def volatile_free(nb):
    for cell in nb.cells:
        cell.pop("execution_count", None)
        cell.pop("outputs", None)
        cell.pop("id", None)
    return nb


@pytest.mark.parametrize("lab, notebook", ALL_NOTEBOOKS)
def test_committed_release_is_in_sync_with_source(demo, lab, notebook):
    course, _ = demo
    fresh = nbformat.read(course.release / lab / f"{notebook}.ipynb", as_version=4)
    committed = nbformat.read(REPO / "release" / lab / f"{notebook}.ipynb", as_version=4)
    assert volatile_free(fresh) == volatile_free(committed), \
        f"release/{lab} is stale: run `python -m autograder release {lab}` and commit it"


def secret_lines(notebook_path, marker):
    """Lines (over 25 characters) between `### BEGIN <marker>` and `### END <marker>`."""
    lines = []
    for cell in nbformat.read(notebook_path, 4).cells:
        for block in cell.source.split(f"### BEGIN {marker}")[1:]:
            lines += [line.strip() for line in block.split(f"### END {marker}")[0].splitlines()
                      if len(line.strip()) > 25]
    return lines


@pytest.mark.parametrize("lab, notebook", ALL_NOTEBOOKS)
def test_release_has_no_solutions_or_hidden_tests(lab, notebook):
    source = REPO / "source" / lab / f"{notebook}.ipynb"
    released = nbformat.read(REPO / "release" / lab / f"{notebook}.ipynb", 4)
    text = "\n".join(cell.source for cell in released.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    released_lines = {line.strip() for line in text.splitlines()}
    secrets = secret_lines(source, "SOLUTION") + secret_lines(source, "HIDDEN TESTS")
    assert secrets and not [line for line in secrets if line in released_lines]


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_released_data_holds_no_held_out_labels(demo, lab):
    course, _ = demo
    files = sorted((course.release / lab / "data").glob("*.h5"))
    assert [f.stem for f in files] == sorted(LABS[lab].datasets)
    for path in files:
        with h5py.File(path) as f:
            assert not f.attrs.get("heldout", False)
            attrs = storage.read_attrs(f.attrs)
            if storage.LABEL_COLUMN in attrs:
                assert storage.labels(attrs).column not in f["test"]


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_feedback_never_shows_hidden_test_source(demo, lab):
    course, _ = demo
    paths = [course.source / lab / f"{notebook}.ipynb" for notebook in LABS[lab].notebooks]
    # A line that is also visible somewhere in the lab is no secret.
    visible = "\n".join(re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", cell.source,
                               flags=re.S) for path in paths for cell in nbformat.read(path, 4).cells)
    hidden = [line for path in paths for line in secret_lines(path, "HIDDEN TESTS")
              if line not in visible]
    assert hidden
    pages = sorted(course.feedback.glob(f"*/{lab}/*.html"))
    assert len(pages) == len(LABS[lab].notebooks) * len(EXPECTED[lab])
    for page in pages:
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        leaked = [line for line in hidden if line in text]
        assert not leaked, (page, leaked[:3])


def test_export_rows(demo):
    course, _ = demo
    lines = (course.root / "grades.csv").read_text().splitlines()
    assert lines[0] == "student," + ",".join(f"{lab}_{k}" for lab in LAB_NAMES
                                             for k in ("score", "percent", "to_grade_by_hand")
                                             ) + ",course_grade"
    reference = next(r for r in csv.DictReader(lines) if r["student"] == "reference")
    for lab in LAB_NAMES:
        assert [reference[f"{lab}_{k}"] for k in ("score", "percent", "to_grade_by_hand")] == (
            ["100", "100.0", "0"] if lab in SAMPLED else ["", "0.0", "0"])


def test_practice_labs_do_not_count_in_the_course_grade(demo):
    course, _ = demo
    partial = next(r for r in csv.DictReader((course.root / "grades.csv").open())
                   if r["student"] == "partial")
    weights = {lab: LABS[lab].weight for lab in LAB_NAMES}
    assert 0 in weights.values() and float(partial["lab0_percent"]) < 100
    course_grade = sum(w * float(partial[f"{lab}_percent"]) for lab, w in weights.items())
    assert partial["course_grade"] == f"{course_grade / sum(weights.values()):.1f}"


def test_make_demo_output_explains_each_step(demo):
    _, output = demo
    for step in ("1. A scratch course", "2. Datasets", "8. Export",
                 *(f"{n}. {verb} {lab}" for lab in LAB_NAMES
                   for n, verb in ((3, "Release"), (4, "Collect"), (5, "Grade"),
                                   (7, "Feedback"))),
                 *(f"6. Written answers {lab}" for lab in SAMPLED)):
        assert step in output
