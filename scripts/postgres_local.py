#!/usr/bin/env python3
"""Run a real PostgreSQL server for tests and local distributed runs.

Arkiv5's services keep their records in PostgreSQL, and the behaviour that
matters (transactions, constraints, locking, the inbox and outbox tables) is
PostgreSQL's own, so tests use a real server rather than SQLite or a mock. This
script runs one from the distribution's PostgreSQL binaries (on Debian and
Ubuntu ``/usr/lib/postgresql/<major>/bin``, the highest major installed), with
no Docker and no system service.

    python3 scripts/postgres_local.py start --state-dir var/postgres
    python3 scripts/postgres_local.py url --state-dir var/postgres
    python3 scripts/postgres_local.py stop --state-dir var/postgres

The server has a superuser ``arkiv5`` (password ``arkiv5``, so tests may create
and drop databases) and a database ``arkiv5``. It listens on 127.0.0.1 only;
its unix socket lives inside the state directory, out of the way of any system
PostgreSQL.

Importable for pytest fixtures (the script has no third-party imports)::

    server = PostgresServer(tmp_path / "pg").start()
    engine = create_async_engine(server.url)
    ...
    server.stop()
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

DEFAULT_PORT = 55432
DEFAULT_START_TIMEOUT = 60.0
HOST = "127.0.0.1"
USER = "arkiv5"
PASSWORD = "arkiv5"
DATABASE = "arkiv5"

# PostgreSQL refuses to run as root; as root the server runs as this user.
SERVICE_USER = "postgres"

# A unix socket path must fit in sun_path (107 bytes on Linux, 103 on macOS).
MAX_SOCKET_PATH = 100

EXIT_NOT_RUNNING = 3

# Settings for a test server, written to <data>/arkiv5.conf on every start and
# included from postgresql.conf. fsync stays on: tests that kill the server
# should see what production would.
SETTINGS = {
    "listen_addresses": f"'{HOST}'",
    "max_connections": "200",  # several services, each with a pool, plus tests
    "shared_buffers": "'256MB'",
    "logging_collector": "off",  # pg_ctl -l writes the log into the state dir
    "log_line_prefix": "'%m [%p] %q%u@%d '",
    "timezone": "'UTC'",
}


class PostgresError(RuntimeError):
    """The server could not be initialised, started or stopped."""


def find_bin_dir() -> Path:
    """The directory of the PostgreSQL server binaries (initdb, pg_ctl, postgres).

    Debian keeps them out of PATH, one directory per major version; elsewhere
    (other distributions, Homebrew) they are on PATH. ``ARKIV5_PG_BIN`` wins.
    """
    override = os.environ.get("ARKIV5_PG_BIN")
    if override:
        return Path(override)
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        majors = [
            int(entry.name)
            for entry in root.iterdir()
            if entry.name.isdigit() and (entry / "bin" / "initdb").is_file()
        ]
        if majors:
            return root / str(max(majors)) / "bin"
    if shutil.which("pg_config"):
        bindir = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True
        ).stdout.strip()
        if bindir and (Path(bindir) / "initdb").is_file():
            return Path(bindir)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise PostgresError(
        "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and on PATH); "
        "install the postgresql package"
    )


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise start/stop of one state dir across processes (parallel tests)."""
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class PostgresServer:
    """One PostgreSQL server whose data, socket, log and settings live in ``state_dir``.

    - ``data/``: the cluster (initdb runs once; later starts reuse it)
    - ``run/``: the unix socket directory (or a short one under /tmp when the
      state dir's path is too long for a socket path)
    - ``postgres.log``: the server log
    - ``state.json``: the port, so a restart comes back on the same one

    ``port`` defaults to the remembered port, then to 55432 (not 5432, so a
    system PostgreSQL is left alone).
    """

    def __init__(
        self,
        state_dir: str | os.PathLike[str],
        port: int | None = None,
        *,
        start_timeout: float = DEFAULT_START_TIMEOUT,
    ) -> None:
        self.state_dir = Path(state_dir).expanduser().resolve()
        self.port = int(port or self._read_state().get("port") or DEFAULT_PORT)
        self.start_timeout = start_timeout
        self._bin: Path | None = None

    # -- paths and addresses ---------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "postgres.log"

    @property
    def socket_dir(self) -> Path:
        own = self.state_dir / "run"
        if len(str(own / f".s.PGSQL.{self.port}")) <= MAX_SOCKET_PATH:
            return own
        # Deep pytest tmp paths overflow sun_path; a short, per-state-dir name
        # under the temp dir keeps the socket private to this server.
        digest = hashlib.sha256(str(self.state_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"arkiv5-pg-{digest}"

    @property
    def url(self) -> str:
        """SQLAlchemy URL for the asyncpg driver, as the services are configured."""
        return f"postgresql+asyncpg://{USER}:{PASSWORD}@{HOST}:{self.port}/{DATABASE}"

    @property
    def dsn(self) -> str:
        """Plain libpq/asyncpg DSN for the same database."""
        return f"postgresql://{USER}:{PASSWORD}@{HOST}:{self.port}/{DATABASE}"

    def _read_state(self) -> dict[str, int]:
        try:
            return json.loads((self.state_dir / "state.json").read_text())
        except (OSError, ValueError):
            return {}

    def _write_state(self) -> None:
        (self.state_dir / "state.json").write_text(json.dumps({"port": self.port}, indent=2) + "\n")

    # -- running tools as the right user ----------------------------------------

    @property
    def bin_dir(self) -> Path:
        if self._bin is None:
            self._bin = find_bin_dir()
        return self._bin

    @staticmethod
    def _as_root() -> bool:
        return os.geteuid() == 0

    def _run(
        self, tool: str, *args: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL tool, as the service user when we are root."""
        command = [str(self.bin_dir / tool), *args]
        if self._as_root():
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        result = subprocess.run(
            command,
            # The service user may not be allowed into the caller's cwd (e.g.
            # /root); the state dir is its own.
            cwd=self.state_dir,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            # A new session: the server pg_ctl leaves behind must not get the
            # terminal's Ctrl-C or a test runner's signals.
            start_new_session=True,
        )
        if check and result.returncode != 0:
            message = f"{tool} {' '.join(args)} failed (exit {result.returncode}):\n"
            message += result.stdout + result.stderr
            if tool == "pg_ctl":
                message += f"\nlast lines of {self.log_file}:\n{self._tail()}"
            raise PostgresError(message)
        return result

    def _ensure_service_user(self) -> None:
        """As root: make sure the service user exists and owns the state dir."""
        if not self._as_root():
            return
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--user-group",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    SERVICE_USER,
                ],
                check=True,
            )
        entry = pwd.getpwnam(SERVICE_USER)
        # The state dir and what sits directly in it (log, socket dir). The
        # cluster under data/ is created by that user and stays its own.
        for path in [self.state_dir, *self.state_dir.iterdir()]:
            with contextlib.suppress(FileNotFoundError):
                os.lchown(path, entry.pw_uid, entry.pw_gid)
        probe = subprocess.run(
            ["runuser", "-u", SERVICE_USER, "--", "test", "-w", str(self.state_dir)]
        )
        if probe.returncode != 0:
            raise PostgresError(
                f"user {SERVICE_USER!r} cannot reach {self.state_dir}: a parent directory is "
                "closed to it (as root, PostgreSQL runs as that user); choose a state dir "
                "outside /root, e.g. under /tmp"
            )

    def _tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # -- lifecycle ---------------------------------------------------------------

    def is_running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").is_file():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0

    def _running_port(self) -> int | None:
        """The port of the running server, from its postmaster.pid (line 4)."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            return int(lines[3])
        except (OSError, IndexError, ValueError):
            return None

    def _initdb(self) -> None:
        if (self.data_dir / "PG_VERSION").is_file():
            return
        # A half-finished initdb leaves a non-empty dir that initdb refuses.
        shutil.rmtree(self.data_dir, ignore_errors=True)
        pwfile = self.state_dir / ".pwfile"
        pwfile.write_text(PASSWORD + "\n")
        self._ensure_service_user()
        try:
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                # The bootstrap superuser is arkiv5 itself, with a password, so
                # there is no second role to keep in step.
                "-U",
                USER,
                f"--pwfile={pwfile}",
                # Unix socket (only reachable inside the state dir): trust, for
                # the script's own psql. TCP: a real password check, as the
                # services will meet in production.
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                # Locale C: identical sorting on every machine, no locale
                # packages needed; ordering for people is done by the services.
                "--locale=C",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        conf = self.data_dir / "postgresql.conf"
        include = (
            "\n# Test settings, see scripts/postgres_local.py\ninclude_if_exists = 'arkiv5.conf'\n"
        )
        conf.write_text(conf.read_text() + include)

    def _write_settings(self) -> None:
        settings = {
            **SETTINGS,
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
        }
        text = "# Written by scripts/postgres_local.py on every start; edits are overwritten.\n"
        text += "".join(f"{key} = {value}\n" for key, value in settings.items())
        (self.data_dir / "arkiv5.conf").write_text(text)

    def start(self, timeout: float | None = None) -> PostgresServer:
        """Start the server (initialising it the first time); wait until it accepts connections."""
        timeout = self.start_timeout if timeout is None else timeout
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with _file_lock(self.state_dir / ".lock"):
            if self.is_running():
                self.port = self._running_port() or self.port
                return self
            self._initdb()
            self._write_state()
            self.socket_dir.mkdir(parents=True, exist_ok=True)
            self._write_settings()
            self.log_file.touch()
            self._ensure_service_user()
            if self.socket_dir.parent != self.state_dir and self._as_root():
                entry = pwd.getpwnam(SERVICE_USER)
                os.chown(self.socket_dir, entry.pw_uid, entry.pw_gid)
            # -w: pg_ctl waits until the server reports it accepts connections.
            self._run(
                "pg_ctl",
                "start",
                "-w",
                "-t",
                str(int(timeout)),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
            )
            self._wait_accepting(timeout)
            self._ensure_database()
        return self

    def _wait_accepting(self, timeout: float) -> None:
        """Wait until the TCP listener answers, which is what clients use."""
        deadline = time.monotonic() + timeout
        while True:
            result = self._run(
                "pg_isready",
                "-q",
                "-h",
                HOST,
                "-p",
                str(self.port),
                "-U",
                USER,
                "-d",
                "postgres",
                check=False,
            )
            if result.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise PostgresError(
                    f"PostgreSQL not accepting connections on {HOST}:{self.port} "
                    f"after {timeout:.0f}s; last lines of {self.log_file}:\n{self._tail()}"
                )
            time.sleep(0.2)

    def _psql(self, sql: str, database: str = "postgres") -> str:
        # Over TCP with the password, like any client; works whether or not we
        # could reach the socket directory.
        result = self._run(
            "psql",
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            HOST,
            "-p",
            str(self.port),
            "-U",
            USER,
            "-d",
            database,
            "-c",
            sql,
            env={"PGPASSWORD": PASSWORD},
        )
        return result.stdout.strip()

    def _ensure_database(self) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", DATABASE):
            raise PostgresError(f"unsafe database name {DATABASE!r}")
        exists = self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'")
        if exists != "1":
            self._psql(f"CREATE DATABASE {DATABASE} OWNER {USER}")

    def stop(self, timeout: float = 60.0) -> None:
        """Stop the server (fast mode: roll back open transactions, then shut down)."""
        if not self.state_dir.is_dir():
            return
        with _file_lock(self.state_dir / ".lock"):
            if not self.is_running():
                return
            self._run(
                "pg_ctl",
                "stop",
                "-w",
                "-t",
                str(int(timeout)),
                "-m",
                "fast",
                "-D",
                str(self.data_dir),
            )
            if self.socket_dir.parent != self.state_dir:
                # The short socket dir outside the state dir; empty once stopped.
                with contextlib.suppress(OSError):
                    self.socket_dir.rmdir()

    def kill(self) -> None:
        """Stop at once, as a crash would (immediate mode: no checkpoint; recovery on start)."""
        if not self.state_dir.is_dir():
            return
        with _file_lock(self.state_dir / ".lock"):
            if self.is_running():
                self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self.data_dir))

    def restart(self, timeout: float | None = None) -> PostgresServer:
        self.stop()
        return self.start(timeout)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def with_state_dir(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help)
        sub.add_argument(
            "--state-dir",
            type=Path,
            required=True,
            help="data, socket, log and settings of this server",
        )
        return sub

    for name, help in (
        ("start", "start the server (initialise it once) and wait until ready"),
        ("restart", "stop, then start"),
    ):
        sub = with_state_dir(name, help)
        sub.add_argument(
            "--port",
            type=int,
            help=f"TCP port on {HOST} (default: remembered, else {DEFAULT_PORT})",
        )
        sub.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_START_TIMEOUT,
            help="seconds to wait for readiness",
        )
    with_state_dir("stop", "stop the server (fast shutdown)")
    with_state_dir("kill", "stop the server immediately, as a crash would, for recovery tests")
    with_state_dir("status", "exit 0 if the server runs, 3 if not")
    with_state_dir("url", "print the SQLAlchemy (asyncpg) URL of the server")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    server = PostgresServer(args.state_dir, port=getattr(args, "port", None))
    try:
        if args.command in ("start", "restart"):
            if args.command == "start" and server.is_running():
                server.port = server._running_port() or server.port
                print(f"PostgreSQL already running at {server.url}")
                return 0
            if args.command == "restart":
                server.stop()
            started = time.monotonic()
            server.start(args.timeout)
            print(f"PostgreSQL ready at {server.url} ({time.monotonic() - started:.1f}s)")
        elif args.command == "stop":
            running = server.is_running()
            server.stop()
            print("PostgreSQL stopped" if running else "PostgreSQL was not running")
        elif args.command == "kill":
            running = server.is_running()
            server.kill()
            print("PostgreSQL stopped immediately" if running else "PostgreSQL was not running")
        elif args.command == "status":
            if server.is_running():
                print(f"running at {server.url}")
                return 0
            print("not running")
            return EXIT_NOT_RUNNING
        elif args.command == "url":
            print(server.url)
    except PostgresError as error:
        print(f"postgres_local: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
