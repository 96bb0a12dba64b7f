"""Grading throughput: plain `nbgrader autograde` against `grade --jobs N` and a Dask cluster.

The same N copies of a lab's reference solution are graded, side by side in one
run, by each contender in a scratch course of its own:

- `nbgrader`: plain `nbgrader autograde LAB` (one process, students in turn, no
  sandbox, verdicts decided in the kernel), as a course without this project does;
- `grade --jobs J`: this project's grader (sandboxed kernels, judge, held-out step);
- `dask W`: the same on a Dask cluster of W workers with one thread each
  (`dask scheduler` and `dask worker` processes on 127.0.0.1).

Printed: wall time, CPU time of all processes, the scores (they must agree), the
ratio to plain nbgrader, and the overhead per notebook: `grade --jobs 1` runs
the notebooks one after another as plain nbgrader does, so the difference of
their wall times per notebook is what the grader adds (its start, the sandbox,
the judge and held-out step). Answer keys are built before the clock starts
(once per lab and source, like the release).

    .venv/bin/python bench/grading_throughput.py lab1 --students 4 --jobs 1,2 --dask 1,2
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]
from autograder import gradebook  # noqa: E402
from autograder.collect import collect  # noqa: E402
from autograder.course import NBGRADER_CONFIG, Course  # noqa: E402
from autograder.grade import answer_keys  # noqa: E402
from autograder.release import release  # noqa: E402
from autograder.samples import fill  # noqa: E402


def scratch_course(folder: Path, lab: str, students: int, heldout: Path) -> Course:
    """A course with the lab's source, release, data and held-out files (answer keys
    included, from `heldout`), and `students` submissions of the reference, collected."""
    folder.mkdir(parents=True)
    shutil.copy(REPO / NBGRADER_CONFIG, folder)
    shutil.copytree(REPO / "source" / lab, folder / "source" / lab)
    (folder / "data").symlink_to(REPO / "data")
    shutil.copytree(heldout, folder / "autograder" / "heldout")
    course = Course.at(folder)
    release(course, lab)  # the release, and the lab in this course's gradebook
    inbox = folder.parent / f"{folder.name}-inbox"
    for name in (p.stem for p in (course.source / lab).glob("*.ipynb")):
        source = nbformat.read(course.source / lab / f"{name}.ipynb", as_version=4)
        released = nbformat.read(course.release / lab / f"{name}.ipynb", as_version=4)
        reference = fill(source, released, lambda gid, solution: solution)
        for i in range(students):
            (inbox / f"s{i:03d}").mkdir(parents=True, exist_ok=True)
            nbformat.write(reference, inbox / f"s{i:03d}" / f"{name}.ipynb")
    if students:
        collect(course, lab, inbox)
    return course


def machine_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy (/proc/stat): the grader's processes are
    not all its children (task processes are reaped by the zygote, workers by Dask)."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, busy CPU seconds of the machine meanwhile)."""
    cpu, started = machine_cpu_seconds(), time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started, machine_cpu_seconds() - cpu


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaskCluster:
    """`dask scheduler` and `workers` × `dask worker --nthreads 1`, on 127.0.0.1."""

    def __init__(self, workers: int, folder: Path):
        bin_dir = Path(sys.executable).parent
        self.address = f"tcp://127.0.0.1:{free_port()}"
        folder.mkdir(parents=True, exist_ok=True)
        self.processes = [subprocess.Popen(
            [bin_dir / "dask", "scheduler", "--host", "127.0.0.1", "--port",
             self.address.rsplit(":", 1)[1], "--no-dashboard"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)]
        self.processes += [subprocess.Popen(
            [bin_dir / "dask", "worker", self.address, "--nthreads", "1", "--nworkers", "1",
             "--no-dashboard", "--memory-limit", "0", "--local-directory", str(folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)
            for _ in range(workers)]
        from distributed import Client
        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)

    def close(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            process.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lab")
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--jobs", default="1,2", help="--jobs values to try")
    parser.add_argument("--dask", default="1,2", help="worker counts to try ('' for none)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch courses")
    args = parser.parse_args()
    python = [sys.executable, "-m"]
    scratch = Path(tempfile.mkdtemp(prefix="dl4nlp-throughput-"))
    rows = []
    try:
        contenders = [("nbgrader", None)]
        contenders += [(f"grade --jobs {j}", None) for j in args.jobs.split(",") if j]
        contenders += [(f"dask {w} worker(s)", int(w)) for w in args.dask.split(",") if w]
        first = scratch_course(scratch / "keys", args.lab, 0, REPO / "autograder" / "heldout")
        answer_keys(first, first.lab(args.lab), sandboxed=True, log=lambda _: None)
        courses = {name: scratch_course(scratch / f"c{i}", args.lab, args.students,
                                        first.heldout)
                   for i, (name, _) in enumerate(contenders)}
        notebooks = args.students * len(courses["nbgrader"].lab(args.lab).notebooks)
        for name, workers in contenders:
            course = courses[name]
            if name == "nbgrader":
                command = [*python, "nbgrader", "autograde", args.lab,
                           f"--CourseDirectory.root={course.root}"]
            else:
                jobs = name.rsplit(" ", 1)[1] if name.startswith("grade") else "1"
                command = [*python, "autograder", "--course", str(course.root), "grade",
                           args.lab, "--jobs", jobs]
            cluster = DaskCluster(workers, scratch / f"dask{workers}") if workers else None
            try:
                if cluster:
                    command += ["--scheduler", cluster.address]
                wall, cpu = timed(command, course.root)
            finally:
                if cluster:
                    cluster.close()
            scores = sorted(set(gradebook.lab_scores(course, args.lab).values()))
            rows.append((name, wall, cpu, scores))
            print(f"{name}: {wall:.0f} s wall, {cpu:.0f} s CPU, scores {scores}", flush=True)
    finally:
        if args.keep:
            print(f"scratch courses kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    plain = rows[0][1]
    print(f"\n{args.students} submissions of {args.lab} ({notebooks} notebooks), "
          f"{os.cpu_count()} CPU cores")
    print(f"{'contender':22s} {'wall s':>7s} {'CPU s':>7s} {'vs nbgrader':>11s}  scores")
    for name, wall, cpu, scores in rows:
        print(f"{name:22s} {wall:7.0f} {cpu:7.0f} {plain / wall:10.2f}x  {scores}")
    sequential = next((wall for name, wall, *_ in rows if name == "grade --jobs 1"), None)
    if sequential is not None:
        print(f"overhead per notebook (grade --jobs 1 - nbgrader, sequential both): "
              f"{(sequential - plain) / notebooks:.1f} s")
    dask = {name: wall for name, wall, *_ in rows if name.startswith("dask")}
    if len(dask) == 2:
        (_, one), (_, two) = sorted(dask.items())
        print(f"Dask scaling 1 -> 2 workers: {one / two:.2f}x ({one / two / 2:.2f} of linear)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
