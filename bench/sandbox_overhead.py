"""What the sandbox adds per notebook: start a kernel, run one trivial cell, shut it down.

    .venv/bin/python bench/sandbox_overhead.py [--runs N]

Runs the two side by side, alternating (plain, sandboxed, plain, …), so that a
machine's drift hits both: the plain Python kernel as nbgrader starts it (TCP
on loopback), and the grader's sandboxed kernel (the same kernel under
`autograder.sandbox`, with the policy `grade` gives a notebook of a lab, over
IPC sockets). Prints the median, min and max of each and the median difference.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import KernelManager

from autograder.catalog import Lab
from autograder.course import Course
from autograder.sandbox import available
from autograder.sandbox import grading as policies


def one_run(kernel_name: str, runtime: Path | None) -> float:
    started = time.perf_counter()
    options = ({"transport": "ipc", "connection_file": str(runtime / "kernel.json")}
               if runtime else {})
    manager = KernelManager(kernel_name=kernel_name, **options)
    manager.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive("1 + 1", timeout=60, output_hook=lambda _: None)
        assert reply["content"]["status"] == "ok", reply
    finally:
        client.stop_channels()
        manager.shutdown_kernel()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    if (reason := available()) is not None:
        print(f"no sandbox on this machine: {reason}")
        return 1
    times: dict[str, list[float]] = {"plain": [], "sandboxed": []}
    with tempfile.TemporaryDirectory(prefix="dl4nlp-") as scratch:
        run = Path(scratch)
        runtime, out = run / "runtime", run / "out"
        runtime.mkdir()
        out.mkdir()
        course = Course(run / "course")  # no data: the kernel binds only what exists
        policy = policies.kernel_policy(course, Lab("bench", ("notebook",)), [],
                                        runtime, out, run / "sandbox.json")
        _, kernel_env = policies.kernel_setup(run, policy)
        os.environ["JUPYTER_PATH"] = kernel_env["JUPYTER_PATH"]
        for index in range(args.runs + 1):  # the first pair warms the caches up, uncounted
            for name, kernel, folder in (("plain", "python3", None),
                                         ("sandboxed", policies.SANDBOX_KERNEL, runtime)):
                seconds = one_run(kernel, folder)
                if index:
                    times[name].append(seconds)
    print(f"kernel start + one cell + shutdown, {args.runs} runs each, on {os.cpu_count()} CPUs "
          f"(Python {sys.version.split()[0]}, uid {os.getuid()})")
    for name, values in times.items():
        print(f"  {name:9s} median {statistics.median(values):.3f} s  "
              f"(min {min(values):.3f}, max {max(values):.3f})")
    differences = [s - p for p, s in zip(times["plain"], times["sandboxed"], strict=True)]
    print(f"  sandbox overhead per notebook: median {statistics.median(differences):+.3f} s, "
          f"ratio {statistics.median(times['sandboxed']) / statistics.median(times['plain']):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
