"""What people see, in a real browser: the class report, a feedback page, and formgrader.

Headless Chromium (Debian's `chromium`, which `make setup` installs) driven by Playwright.
Each test saves screenshots in its tmp folder.
"""
import csv
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import copy_tiny_course

from autograder import gradebook
from autograder.collect import collect
from autograder.export import export
from autograder.feedback import feedback
from autograder.grade import grade
from autograder.report import write_report

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium: `make setup` as root "
                                                          "installs it (apt-get install chromium)")


@pytest.fixture(scope="module")
def graded(tiny_course_template, tmp_path_factory):
    """The tiny course with two students graded, their feedback pages and the class report."""
    tiny = copy_tiny_course(tiny_course_template, tmp_path_factory.mktemp("browser") / "course")
    inbox = tiny.root.parent / "inbox"
    tiny.submit(inbox, "good", "def add(a, b):\n    return a + b")
    tiny.submit(inbox, "wrong", "def add(a, b):\n    return a - b")
    collect(tiny.course, "ps0", inbox)
    grade(tiny.course, "ps0", jobs=2, log=str)
    feedback(tiny.course, "ps0")
    return tiny


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


def test_the_class_report_and_a_feedback_page(graded, browser, tmp_path):
    page = browser.new_page()
    page.goto(write_report(graded.course, "ps0").as_uri())
    assert page.inner_text("h1") == "ps0: class report"
    assert page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)") == [540]
    checks = page.inner_text("h2:has-text('Checks that fail most') + p + table")
    # The four checks that the same student passed share a row.
    assert "4 checks: secret case: arrays, item by item; secret case: floats; secret case: " \
           "negative numbers (and 1 more)\t1/2" in checks
    students = page.inner_text("h2:has-text('Students') + table")
    assert "good\t2" in students and "wrong\t0" in students
    page.screenshot(path=tmp_path / "report.png", full_page=True)

    page.goto((graded.root / "feedback" / "wrong" / "ps0" / "tasks.html").as_uri())
    text = page.inner_text("body")
    assert "Checks: 0 of 4 passed" in text and "FAIL  the example: expected 3, got -1" in text
    assert "Probes(" not in text  # verdicts, not the hidden tests' code
    page.screenshot(path=tmp_path / "feedback.png", full_page=True)
    page.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, token: str, server: subprocess.Popen, seconds: float = 90) -> bytes:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[0]
        try:
            request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.read()
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer in {seconds} s")


def test_a_ta_sets_a_score_in_formgrader_and_the_export_shows_it(graded, browser, tmp_path):
    """Formgrader (nbgrader's Jupyter Server extension) on 127.0.0.1, against the course as
    `grade` left it: its manual-grading page shows the judge's verdicts and takes a score."""
    import json
    port, token = _free_port(), secrets.token_hex(16)
    config = tmp_path / "jupyter_server_config.py"
    config.write_text("c.ServerApp.jpserver_extensions = "
                      "{'nbgrader.server_extensions.formgrader': True}\n")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", f"--config={config}", "--no-browser",
         "--ip=127.0.0.1", f"--port={port}", f"--ServerApp.root_dir={graded.root}",
         f"--IdentityProvider.token={token}", "--allow-root"],
        cwd=graded.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True, env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path)})
    base = f"http://127.0.0.1:{port}/formgrader"
    try:
        notebooks = json.loads(_wait_for(f"{base}/api/submitted_notebooks/ps0/tasks", token,
                                         server))
        wrong = next(n["id"] for n in notebooks if n["student"] == "wrong")
        context = browser.new_context(extra_http_headers={"Authorization": f"token {token}"})
        page = context.new_page()
        page.goto(f"{base}/submissions/{wrong}/?index=0")
        page.wait_for_selector("input#test_add")
        assert "secret case: negative numbers: got 1" in page.inner_text("body")
        page.fill("input#test_add", "1.5")
        page.press("input#test_add", "Tab")  # formgrader saves a score when it changes
        deadline = time.monotonic() + 30
        while gradebook.lab_scores(graded.course, "ps0")["wrong"] != 1.5:
            assert time.monotonic() < deadline, "formgrader did not save the score"
            time.sleep(0.3)
        page.screenshot(path=tmp_path / "formgrader.png", full_page=True)
        context.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=30)
    rows = {r["student"]: r for r in csv.DictReader(export(graded.course,
                                                           tmp_path / "grades.csv").open())}
    assert rows["wrong"]["ps0_score"] == "1.5" and rows["good"]["ps0_score"] == "2"
    assert Path(tmp_path / "formgrader.png").stat().st_size > 10_000
