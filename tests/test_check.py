"""`python -m labs.check`: the students' pre-submission check, on real kernels."""
import json
import shutil
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from autograder.catalog import LABS
from labs import artifacts
from labs.check import LAB_CONTRACT, check, check_artifacts
from conftest import REPO


def run_check(*paths, cwd):
    return subprocess.run([sys.executable, "-m", "labs.check", *map(str, paths)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_an_untouched_release_is_not_ready_and_a_solved_one_is(tiny_course_template, tmp_path):
    folder = tmp_path / "ps0"
    shutil.copytree(tiny_course_template / "release" / "ps0", folder)
    assert json.loads((folder / LAB_CONTRACT).read_text())["time_limit_s"] > 0

    untouched = run_check("tasks.ipynb", cwd=folder)
    assert untouched.returncode == 1, untouched.stdout + untouched.stderr
    assert "FAILED test_add: NotImplementedError" in untouched.stdout
    assert "unanswered: add" in untouched.stdout and "not ready" in untouched.stdout

    nb = nbformat.read(folder / "tasks.ipynb", as_version=4)
    nb.cells[1].source = "def add(a, b):\n    return a + b"
    nbformat.write(nb, folder / "tasks.ipynb")
    before = (folder / "tasks.ipynb").read_bytes()
    solved = run_check("tasks.ipynb", cwd=folder)
    assert solved.returncode == 0, solved.stdout + solved.stderr
    assert "visible tests: 1 passed, 0 failed" in solved.stdout and "ready to submit" in solved.stdout
    assert (folder / "tasks.ipynb").read_bytes() == before  # outputs stay in memory

    nb.cells[1].source = "def add(a, b):\n    return a - b"
    nbformat.write(nb, folder / "wrong.ipynb")
    wrong = run_check("wrong.ipynb", "missing.ipynb", cwd=folder)
    assert wrong.returncode == 1 and "FAILED test_add: AssertionError: add(1, 2) should be 3" \
        in wrong.stdout and "missing.ipynb: no such notebook" in wrong.stdout


@pytest.mark.slow
def test_a_lab_notebook_and_its_saved_artifacts(built, tmp_path):
    """Lab 0's reference run saves valid predictions; a broken file or a model saved without
    its settings, or with a vocabulary short of the training words, is named."""
    lab = LABS["lab0"]
    folder = tmp_path / "lab0"
    (folder / "data").mkdir(parents=True)
    shutil.copy(built["out"] / "sms_spam.h5", folder / "data")
    shutil.copy(REPO / "source" / "lab0" / "backprop_by_hand.ipynb", folder)
    (folder / LAB_CONTRACT).write_text(json.dumps(lab.contract()))
    report = check(folder / "backprop_by_hand.ipynb")
    assert report.ready, report.text()
    assert report.artifacts == {"predictions/sms_spam_numpy.npy": ""}
    assert report.passed and not report.failed and not report.unanswered

    np.save(folder / "predictions" / "sms_spam_numpy.npy", np.arange(5))
    expected = lab.contract()["artifacts"]["backprop_by_hand"]
    problem = check_artifacts(folder, expected)["predictions/sms_spam_numpy.npy"]
    assert "must have shape" in problem

    import keras
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    artifacts.save_language_model("dates_gru", model, ["<pad>", "<unk>", "a"], folder)
    translator = LABS["lab4"].contract()["artifacts"]["encoder_decoder"]
    assert "without the setting(s) target_vocabulary, max_source_len" in \
        check_artifacts(folder, translator)["models/dates_gru.keras"]
    # A word model for lab 2 whose vocabulary folds the common words into <unk>.
    shutil.copy(built["out"] / "shakespeare.h5", folder / "data")
    artifacts.save_language_model("nnlm", model, ["<unk>", "the", "and"], folder, context=2)
    word_model = LABS["lab2"].contract()["artifacts"]["nn_language_model"]
    assert "the vocabulary lacks 1998 of the 2,000 most frequent training words" in \
        check_artifacts(folder, word_model)["models/nnlm.keras"]
    assert "no file at models/dates_attention.keras" in \
        check_artifacts(folder, LABS["lab4"].contract()["artifacts"]["attention"])[
            "models/dates_attention.keras"]
