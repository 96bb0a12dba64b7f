"""The sandbox launcher, driven directly: what a sandboxed command can see, reach and use."""
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import host_http_server

from autograder.catalog import MB, Limits
from autograder.sandbox import Bind, Policy, available, base_env, python_binds

pytestmark = pytest.mark.skipif(available() is not None, reason="no namespaces here")
REPO = Path(__file__).resolve().parents[1]
SMALL = Limits(memory_bytes=300 * MB, processes=40, disk_bytes=40 * MB, output_bytes=MB)


def sandboxed(tmp_path, code, *, binds=(), keep=(), limits=SMALL, env=None, timeout=120, **kw):
    """Run `code` with the sandbox's python; returns (completed process, verdict, out folder)."""
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    policy = Policy(binds=[*python_binds(), *binds], env=base_env(), cwd="/submission",
                    work="/submission", keep=list(keep), out_dir=str(out),
                    status_file=str(tmp_path / "verdict.json"), limits=limits, **kw)
    policy.save(tmp_path / "policy.json")
    run = subprocess.run([sys.executable, "-I", "-m", "autograder.sandbox",
                          str(tmp_path / "policy.json"), "--", sys.executable, "-c",
                          textwrap.dedent(code)], capture_output=True, text=True,
                         timeout=timeout, cwd=tmp_path, env={**os.environ, **(env or {})})
    verdict = json.loads((tmp_path / "verdict.json").read_text())
    return run, verdict, out


PROBE = """
    import ctypes, json, os, socket
    def readable(path):
        try:
            with open(path, "rb") as f:
                f.read(1)
            return True
        except OSError:
            return False
    def writable(path):
        try:
            open(path, "w").close()
            return True
        except OSError:
            return False
    libc = ctypes.CDLL(None, use_errno=True)
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
    print(json.dumps(dict(
        other_course=readable({other!r}), raw_mirror=readable({raw!r}),
        repo_source=readable({source!r}), home=os.path.exists({home!r} + "/.bashrc"),
        secret_env="DL4NLP_TEST_SECRET" in os.environ, env=sorted(os.environ),
        init_env=readable("/proc/1/environ"),  # the sandbox's init was forked by the grader
        root=sorted(os.listdir("/")), data=readable("/data/x.h5"),
        write_data=writable("/data/y"), write_python=writable({prefix!r} + "/x"),
        write_usr=writable("/usr/x"), write_root=writable("/x"),
        own=writable("out.txt"), tmp=writable("/tmp/x"), cwd=os.getcwd(),
        processes=sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        uid=os.getuid(), capabilities=int(status["CapEff"], 16),
        no_new_privs=status["NoNewPrivs"].strip(), users=open("/etc/passwd").read().count("\\n"),
        mount=libc.mount(b"none", b"/tmp", b"tmpfs", 0, None),
        umount=libc.umount2(b"/data", 2), hostname=socket.gethostname(),
        user_namespace=libc.unshare(0x10000000),  # with it, a tmpfs of any size
    )))
"""


def test_only_the_allow_list_is_visible(tmp_path, raw_dir):
    other = tmp_path / "elsewhere" / "course" / "source" / "ps0" / "tasks.ipynb"
    other.parent.mkdir(parents=True)
    other.write_text("solutions and hidden tests")
    data = tmp_path / "data"
    data.mkdir()
    (data / "x.h5").write_text("students' data")
    raw = sorted(p for p in raw_dir.rglob("*") if p.is_file())[0]
    code = PROBE.format(other=str(other), raw=str(raw), source=str(REPO / "source" / "lab1" /
                        "sentiment_nn.ipynb"), home=os.path.expanduser("~"), prefix=sys.prefix)
    run, verdict, out = sandboxed(tmp_path, code, binds=[Bind(str(data), "/data")],
                                  env={"DL4NLP_TEST_SECRET": "x"})
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen.pop("env") == sorted(base_env())
    python_roots = sorted({p.split("/")[1] for p in (sys.prefix, sys.base_prefix)})
    assert set(seen.pop("root")) <= {"bin", "data", "dev", "etc", "lib", "lib32", "lib64",
                                     "libx32", "proc", "sbin", "submission", "tmp", "usr",
                                     *python_roots}
    # this process, and the sandbox's init unless it is another user's (a root grader's)
    assert seen.pop("processes") in ([1, 2], [2])
    assert seen.pop("uid") != 0
    assert seen == {"other_course": False, "raw_mirror": False, "repo_source": False,
                    "home": False, "secret_env": False, "init_env": False, "data": True,
                    "write_data": False, "write_python": False, "write_usr": False, "write_root": False, "own": True,
                    "tmp": True, "cwd": "/submission", "capabilities": 0, "no_new_privs": "1",
                    "users": 2, "mount": -1, "umount": -1, "hostname": "sandbox",
                    "user_namespace": -1}
    assert verdict["stopped"] is None and verdict["exit_status"] == 0
    assert list(out.iterdir()) == []  # out.txt was not expected: it stays behind


def test_no_network_but_loopback_inside(tmp_path):
    with host_http_server() as (port, hits):
        run, _, _ = sandboxed(tmp_path, f"""
            import socket, urllib.request
            try:
                urllib.request.urlopen("http://127.0.0.1:{port}/leak", timeout=5)
                print("host reached")
            except OSError as err:
                print("host unreachable:", type(err).__name__)
            listener = socket.create_server(("127.0.0.1", 0))
            socket.create_connection(listener.getsockname(), timeout=5).close()
            print("loopback works")
            print("interfaces:", [name for _, name in socket.if_nameindex()])
        """)
    assert run.stdout.splitlines() == ["host unreachable: URLError", "loopback works",
                                       "interfaces: ['lo']"], run.stderr
    assert hits == []


@pytest.mark.parametrize("kind, code, limit", [
    ("memory", "x = []\nwhile True:\n    x.append(bytearray(10**7))", "memory_bytes"),
    ("processes", "import os, time\nwhile True:\n    try:\n        os.fork()\n"
                  "    except OSError:\n        time.sleep(0.1)", "processes"),
    ("disk", "with open('big', 'wb') as f:\n    while True:\n        f.write(bytes(10**6))",
     "disk_bytes"),
    ("tmp", "with open('/tmp/big', 'wb') as f:\n    while True:\n        f.write(bytes(10**6))",
     "disk_bytes"),
])
def test_each_limit_stops_the_sandbox_with_its_reason(tmp_path, kind, code, limit):
    started = time.monotonic()
    run, verdict, _ = sandboxed(tmp_path, code)
    assert verdict["stopped"] == limit, (run.stderr, verdict)
    assert verdict["reason"] == SMALL.reason(limit)
    assert run.returncode != 0 and time.monotonic() - started < 60


def test_memory_that_no_process_shows_cannot_be_had(tmp_path):
    run, _, _ = sandboxed(tmp_path, """
        import ctypes, errno, os
        libc = ctypes.CDLL(None, use_errno=True)
        for name, call in [("memfd", lambda: os.memfd_create("x")),
                           ("shm", lambda: libc.shmget(0, 1 << 30, 0o1600)),
                           ("msg", lambda: libc.msgget(0, 0o1600)),
                           ("mq", lambda: libc.syscall(240, b"q", 0o100, 0o600, None)),
                           ("keyring", lambda: libc.syscall(248, b"user", b"k", b"v", 1, -2))]:
            try:
                result = call()
                print(name, "refused" if result == -1 else "allowed")
            except OSError as err:
                print(name, "refused" if err.errno == errno.ENOSYS else err)
    """)
    assert run.stdout.split() == ["memfd", "refused", "shm", "refused", "msg", "refused",
                                  "mq", "refused", "keyring", "refused"], run.stderr


def test_output_goes_through_the_launcher_capped(tmp_path):
    """The command never holds the grader's own stdout or stderr (a file, under nbgrader)."""
    with open(tmp_path / "grader.log", "w+") as log:
        policy = Policy(binds=python_binds(), env=base_env(), limits=SMALL)
        policy.save(tmp_path / "policy.json")
        code = textwrap.dedent("""
            import os, stat, sys
            print(stat.S_ISFIFO(os.fstat(1).st_mode), os.read(0, 10), flush=True)
            for _ in range(3):
                os.write(1, b"x" * 10**6)
        """)
        subprocess.run([sys.executable, "-I", "-m", "autograder.sandbox",
                        str(tmp_path / "policy.json"), "--", sys.executable, "-c", code],
                       stdout=log, stderr=subprocess.STDOUT, timeout=60)
        log.seek(0)
        output = log.read()
    assert output.startswith("True b''\n") and len(output) == SMALL.output_bytes


def test_extended_attributes_are_bounded_by_the_number_of_files(tmp_path):
    """They live in kernel memory that no size limit counts (about 1 KB per allowed file)."""
    run, _, _ = sandboxed(tmp_path, """
        import os
        for folder in ("/dev/shm", "/tmp", "/submission"):
            stored = 0
            try:
                for n in range(10**6):
                    open(f"{folder}/{n}", "w").close()
                    for k in range(64):
                        os.setxattr(f"{folder}/{n}", f"user.{k}", bytes(60000))
                        stored += 60000
            except OSError:
                print(stored // 10**6)
    """)
    shm, tmp, own = map(int, run.stdout.split())
    assert shm <= 2 and tmp <= 20 and own <= 20, run.stderr


def test_pages_shared_by_forked_processes_count_once(tmp_path):
    run, verdict, _ = sandboxed(tmp_path, """
        import os, time
        shared = bytearray(200 * 10**6)  # 200 MB, resident in the parent and its 3 children
        shared[::4096] = b"x" * len(range(0, len(shared), 4096))
        children = []
        for _ in range(3):
            pid = os.fork()
            if pid == 0:
                time.sleep(1.5)
                os._exit(0)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
        print("done")
    """)
    assert verdict["stopped"] is None and run.stdout == "done\n", (run.stderr, verdict)


def test_an_absurd_allocation_fails_at_once(tmp_path):
    run, verdict, _ = sandboxed(tmp_path, """
        try:
            bytearray(10**10)
        except MemoryError:
            print("MemoryError")
    """)
    assert run.stdout == "MemoryError\n" and verdict["stopped"] is None


def test_only_expected_regular_files_are_taken_out(tmp_path):
    target = tmp_path / "instructor.txt"
    target.write_text("the instructor's file")
    keep = ["predictions/good.npy", "predictions/link.npy", "predictions/fifo.npy",
            "predictions/folder.npy", "models/m.keras", "missing.npy"]
    run, verdict, out = sandboxed(tmp_path, f"""
        import os
        os.makedirs("predictions/folder.npy")
        open("predictions/good.npy", "wb").write(b"123")
        os.symlink({str(target)!r}, "predictions/link.npy")
        os.mkfifo("predictions/fifo.npy")
        os.symlink("/tmp", "models")
        open("/tmp/m.keras", "w").write("model")
        for name in ("sitecustomize.py", "nbgrader.py", "ipykernel_launcher.py"):
            open(name, "w").write("open({str(target)!r}, 'w').write('planted')")
    """, keep=keep)
    assert run.returncode == 0, run.stderr
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == \
        ["predictions", "predictions/good.npy"]
    assert (out / "predictions" / "good.npy").read_bytes() == b"123"
    assert verdict["notes"] == [
        "predictions/link.npy: dropped (a symbolic link)",
        "predictions/fifo.npy: dropped (a FIFO, not a file)",
        "predictions/folder.npy: dropped (a folder, not a file)",
        "models/m.keras: dropped (a folder on its path is a link or a file)",
        "3 other file(s) left in the folder were not kept: ipykernel_launcher.py, nbgrader.py, "
        "sitecustomize.py"]
    assert target.read_text() == "the instructor's file"


def test_ipc_folder_is_sealed_once_the_sockets_are_bound(tmp_path):
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    run, _, _ = sandboxed(tmp_path, f"""
        import os, socket, time
        sockets = []
        for port in range(1, 6):
            s = socket.socket(socket.AF_UNIX)
            s.bind({str(runtime)!r} + f"/kernel-ipc-{{port}}")
            sockets.append(s)
        time.sleep(0.5)
        try:
            os.unlink({str(runtime)!r} + "/kernel-ipc-1")
            print("replaced")
        except OSError as err:
            print(err.strerror)
    """, binds=[Bind(str(runtime), str(runtime), writable=True)], ipc_dir=str(runtime))
    assert run.stdout == "Read-only file system\n", run.stderr
    assert (runtime / "kernel-ipc-1").exists()


def test_the_command_exit_status_and_signals_are_passed_on(tmp_path):
    run, verdict, _ = sandboxed(tmp_path, "raise SystemExit(7)")
    assert run.returncode == 7 and verdict["exit_status"] == 7
    policy = tmp_path / "policy.json"
    process = subprocess.Popen(
        [sys.executable, "-I", "-m", "autograder.sandbox", str(policy), "--", sys.executable,
         "-c", "import time\ntry:\n    time.sleep(60)\nexcept KeyboardInterrupt:\n"
               "    print('interrupted', flush=True)"], stdout=subprocess.PIPE, text=True)
    time.sleep(1.5)
    process.send_signal(2)
    assert process.communicate(timeout=30)[0] == "interrupted\n"


def test_bad_usage_is_an_error(tmp_path):
    run = subprocess.run([sys.executable, "-I", "-m", "autograder.sandbox", "policy.json"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "usage:" in run.stderr


def test_works_with_the_interpreter_under_tmp(tmp_path):
    """A venv and course under /tmp (the private /tmp must not hide them)."""
    venv = Path("/tmp") / f"dl4nlp-venv-{os.getpid()}"
    try:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        policy = Policy(binds=[*python_binds(), Bind(str(venv), str(venv))], env=base_env(),
                        cwd="/submission", work="/submission", limits=SMALL)
        policy.save(tmp_path / "policy.json")
        run = subprocess.run([sys.executable, "-I", "-m", "autograder.sandbox",
                              str(tmp_path / "policy.json"), "--", str(venv / "bin" / "python"),
                              "-c", "import sys; print(sys.prefix)"],
                             capture_output=True, text=True, timeout=60)
        assert run.stdout.strip() == str(venv), run.stderr
    finally:
        shutil.rmtree(venv, ignore_errors=True)
