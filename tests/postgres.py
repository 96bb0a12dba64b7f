"""A real PostgreSQL server for tests: started once per session, on 127.0.0.1 only.

A test module uses it with

    from postgres import postgres  # noqa: F401

and asks for the `postgres` fixture: `postgres.new_database()` creates an empty database
and returns its SQLAlchemy URL. Without server binaries the tests skip (`make setup`
installs Debian's `postgresql` package as root). PostgreSQL refuses to run as root, so
under root the server runs as the `postgres` system user, or `nobody`.
"""
from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

SUPERUSER = "postgres"  # the database role; trust auth, so any OS user may connect as it
SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
SPEED_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def find_server_bin() -> Path | None:
    """The folder holding all of initdb, pg_ctl and postgres: PATH first, then the newest
    of Debian's /usr/lib/postgresql/VERSION/bin (not on PATH)."""
    on_path = shutil.which("initdb")
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True,
                    key=lambda folder: [int(n) for n in re.findall(r"\d+", folder.parent.name)])
    for folder in ([Path(on_path).parent] if on_path else []) + debian:
        if all(os.access(folder / program, os.X_OK) for program in SERVER_PROGRAMS):
            return folder
    return None


def as_server_user() -> tuple[list[str], pwd.struct_passwd | None]:
    """The command prefix that runs the server's programs, and the user it switches to."""
    if os.getuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        # setpriv, unlike runuser/su, needs no PAM session (absent in many containers).
        return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                "--init-groups", "--"], user
    pytest.fail("running as root, and neither a `postgres` nor a `nobody` user exists")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    def __init__(self, port: int):
        self.port = port
        self._names = itertools.count(1)

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL: the driver named, as SQLAlchemy 2.1's default is psycopg 3."""
        return f"postgresql+psycopg2://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        """A fresh, empty database of its own; returns its SQLAlchemy URL."""
        import psycopg2

        name = f"test_{next(self._names)}"
        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user=SUPERUSER,
                                      dbname="postgres")
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return self.url(name)


@pytest.fixture(scope="session")
def postgres():
    server_bin = find_server_bin()
    if server_bin is None:
        pytest.skip("PostgreSQL server binaries not found "
                    "(make setup installs Debian's postgresql package as root)")
    prefix, user = as_server_user()
    # Not tmp_path_factory: under root its folders are 0700, closed to the server's user.
    scratch = Path(tempfile.mkdtemp(prefix="dl4nlp-postgres-"))
    if user is not None:
        os.chown(scratch, user.pw_uid, user.pw_gid)
    data, log = scratch / "data", scratch / "server.log"
    pg_ctl = [*prefix, str(server_bin / "pg_ctl"), "-D", str(data)]

    def run(command, what):
        # cwd: the server's user may not be allowed into ours (e.g. /root).
        done = subprocess.run(command, cwd=scratch, capture_output=True, text=True,
                              timeout=120)
        if done.returncode != 0:
            pytest.fail(f"{what} failed:\n{done.stdout}{done.stderr}"[-3000:])

    try:
        run([*prefix, str(server_bin / "initdb"), "-D", str(data), "-U", SUPERUSER,
             "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"], "initdb")
        port = free_port()
        settings = {"listen_addresses": "127.0.0.1", "port": port,
                    "unix_socket_directories": str(scratch), **SPEED_SETTINGS}
        with open(data / "postgresql.conf", "a") as conf:  # appended: later lines win
            conf.writelines(f"{key} = '{value}'\n" for key, value in settings.items())
        started = subprocess.run([*pg_ctl, "-l", str(log), "-w", "-t", "60", "start"],
                                 cwd=scratch, capture_output=True, text=True, timeout=120)
        if started.returncode != 0:
            tail = log.read_text()[-3000:] if log.exists() else "(no server log)"
            pytest.fail(f"PostgreSQL did not start:\n{started.stdout}{started.stderr}\n"
                        f"server log:\n{tail}")
        yield PostgresServer(port)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*pg_ctl, "-m", "immediate", "stop"], cwd=scratch,
                           capture_output=True, timeout=60)
        shutil.rmtree(scratch, ignore_errors=True)
