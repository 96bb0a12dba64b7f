"""The launcher's watch over a running sandbox: is it over one of its limits?

Disk: a writable tmpfs that is full (of bytes or of files). Processes: the
threads of every process in the sandbox but its init. Memory: resident memory
and page tables summed over those processes; above the limit, the proportional
set size decides, since forked processes share pages.
"""
from __future__ import annotations

import os
import time

import psutil

# Shared pages make summed resident memory overstate use, so above the limit the launcher
# measures proportional memory, which costs time per mapping. It stops the sandbox without
# measuring above this multiple of the limit, and when measuring takes longer than this.
SHARED_FACTOR, MEASURE_BUDGET_S = 4, 0.5


def disk_full(folders: list[int]) -> bool:
    """Whether a writable tmpfs has no room left, for bytes or for files."""
    return any(0 in (usage.f_bavail, usage.f_favail) for usage in map(os.fstatvfs, folders))


def over_limit(holder: int, folders: list[int], limits) -> str | None:
    if disk_full(folders):
        return "disk_bytes"
    try:
        processes = psutil.Process(holder).children(recursive=True)[1:]  # not the init
    except psutil.NoSuchProcess:
        return None
    usage = [_usage(p.pid) for p in processes]
    if sum(threads for threads, _, _ in usage) >= limits.processes:
        return "processes"
    resident = sum(memory for _, memory, _ in usage)
    if resident > limits.memory_bytes and (resident > SHARED_FACTOR * limits.memory_bytes or
                                           _proportional_memory(processes, usage,
                                                                limits.memory_bytes)):
        return "memory_bytes"
    return None


def _usage(pid: int) -> tuple[int, int, int]:
    """(threads, resident memory + page tables, page tables) of a process, in bytes."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
    except OSError:
        return 0, 0, 0
    kib = {key: int(fields.get(key, "0").split()[0] or 0) * 1024 for key in ("VmRSS", "VmPTE")}
    return int(fields.get("Threads", "0")), kib["VmRSS"] + kib["VmPTE"], kib["VmPTE"]


def _proportional_memory(processes, usage, limit: int) -> bool:
    """Whether the processes use more than `limit`, pages they share counted once.

    Largest first; taking longer than MEASURE_BUDGET_S (many mappings) counts as over.
    """
    deadline, total = time.monotonic() + MEASURE_BUDGET_S, 0
    for process, (_, memory, page_tables) in sorted(zip(processes, usage, strict=True),
                                                    key=lambda pair: -pair[1][1]):
        try:
            total += process.memory_full_info().pss + page_tables
        except psutil.NoSuchProcess:
            pass  # it ended since `usage` was read (a forked child exiting): it holds nothing
        except psutil.Error:
            total += memory
        if total > limit or time.monotonic() > deadline:
            return True
    return False
