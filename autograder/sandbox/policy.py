"""What a sandboxed process may see and use: a JSON file the launcher reads."""
from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.catalog import Limits


@dataclass(frozen=True)
class Bind:
    """A host file or folder shown at `inside`: read-only unless `writable`."""
    host: str
    inside: str
    writable: bool = False


@dataclass(frozen=True)
class Policy:
    binds: list[Bind]
    env: dict[str, str]                  # the whole environment of the sandboxed command
    cwd: str = "/tmp"
    limits: Limits = Limits()
    # A fresh, size-limited folder (the command's own); afterwards the launcher copies
    # the regular files listed in `keep` (relative paths) from it into `out_dir`.
    work: str | None = None
    keep: list[str] = field(default_factory=list)
    out_dir: str | None = None
    status_file: str | None = None       # the launcher's verdict: limits hit, files dropped
    # Jupyter's runtime folder: writable until the kernel has bound its `ipc_sockets`
    # sockets there, then read-only, so student code cannot swap them for links.
    ipc_dir: str | None = None
    ipc_sockets: int = 5
    # The command may create sandboxes of its own (user namespaces): for running the
    # grader itself as an unprivileged user, never for student code.
    may_sandbox: bool = False

    def save(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self), indent=1))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Policy":
        raw = json.loads(Path(path).read_text())
        return cls(**{**raw, "binds": [Bind(**b) for b in raw["binds"]],
                      "limits": Limits(**raw["limits"])})


def python_binds() -> list[Bind]:
    """This interpreter and its environment (a venv and its base), read-only, where they are."""
    prefixes = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)}
    return [Bind(p, p) for p in sorted(prefixes)]


def base_env(**extra: str) -> dict[str, str]:
    """The small, explicit environment of every sandboxed process (none of the grader's)."""
    return {"PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin", "HOME": "/tmp",
            "TMPDIR": "/tmp", "LANG": "C.UTF-8", "MPLCONFIGDIR": "/tmp/matplotlib",
            "PYTHONDONTWRITEBYTECODE": "1", **extra}
