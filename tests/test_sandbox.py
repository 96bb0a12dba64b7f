"""The kernel sandbox, driven directly: what student code can and cannot see or change."""
import subprocess
import sys
import textwrap

import pytest

from autograder.sandbox import available

pytestmark = pytest.mark.skipif(available() is not None, reason="no user namespaces here")

PROBE = textwrap.dedent("""
    import ctypes, os
    def can_write(path):
        try:
            open(path, "w").close()
            return True
        except OSError:
            return False
    libc = ctypes.CDLL(None, use_errno=True)
    print("pid", os.getpid())
    print("listing", sorted(os.listdir({course!r})))
    print("secret", os.path.exists({secret!r}))
    print("via_proc", os.path.exists("/proc/1/root" + {secret!r}))
    print("own_dir", can_write({own!r} + "/out.txt"))
    print("data_dir", can_write({data!r} + "/x"))
    print("venv", can_write({venv!r} + "/x"))
    print("tmp", can_write("/tmp/x"))
    print("umount", libc.umount2({course!r}.encode(), 2))
    print("cwd", os.getcwd() == {own!r}, sorted(os.listdir("..")))
""")


def test_student_code_sees_only_its_folder_and_the_data(tmp_path):
    course = tmp_path / "course"
    own = course / "autograded" / "alice" / "lab1"
    data = course / "data"
    for folder in (own, data, course / "autograder" / "heldout", course / "source",
                   course / "autograded" / "bob" / "lab1"):
        folder.mkdir(parents=True)
    secret = course / "autograder" / "heldout" / "sentiment.h5"
    secret.write_text("labels")
    code = PROBE.format(course=str(course), secret=str(secret), own=str(own), data=str(data),
                        venv=sys.prefix)
    run = subprocess.run(
        [sys.executable, "-m", "autograder.sandbox", "--hide", str(course),
         "--read-only", sys.prefix, "--read-only", str(data), "--writable", str(own),
         "--", sys.executable, "-c", code], cwd=own, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    seen = dict(line.split(" ", 1) for line in run.stdout.splitlines())
    assert seen == {"pid": "1", "listing": "['autograded', 'data']", "secret": "False",
                    "via_proc": "False", "own_dir": "True", "data_dir": "False",
                    "venv": "False", "tmp": "True", "umount": "-1", "cwd": "True ['lab1']"}
    assert (own / "out.txt").exists()  # what the kernel writes in its folder is kept
    assert not (tmp_path / "x").exists()


def test_exit_status_is_passed_on():
    run = subprocess.run([sys.executable, "-m", "autograder.sandbox", "--", sys.executable,
                          "-c", "raise SystemExit(7)"], capture_output=True, timeout=60)
    assert run.returncode == 7


def test_missing_command_is_an_error():
    run = subprocess.run([sys.executable, "-m", "autograder.sandbox", "--hide", "/nonexistent"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "no command given" in run.stderr
