#!/usr/bin/env python3
"""Run a real single-node Apache Kafka broker (KRaft mode) for tests and local runs.

Arkiv5's services talk to each other through Kafka. Tests that mock the broker
hide exactly the failures that matter (rebalances, redelivery, a broker that
goes away mid-stream), so the test suite and local distributed runs use a real
broker instead. Apache Kafka publishes its broker as ordinary jars on Maven
Central, so this script needs only a JDK (17) and Maven: no Docker, no Kafka
package.

    python3 scripts/kafka_broker.py fetch
    python3 scripts/kafka_broker.py start --state-dir var/kafka
    python3 scripts/kafka_broker.py status --state-dir var/kafka
    python3 scripts/kafka_broker.py stop --state-dir var/kafka

The state directory holds everything about one broker: its configuration,
data, log, pid and the ports it uses, so a restart brings back the same broker
with the same data on the same ports.

Importable for pytest fixtures (the script has no third-party imports)::

    broker = KafkaBroker(tmp_path / "kafka")
    broker.start()
    ...  # use broker.bootstrap
    broker.kill(); broker.start()  # crash and recover
    broker.stop()
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

KAFKA_VERSION = "3.9.1"
DEFAULT_PORT = 19092
DEFAULT_CONTROLLER_PORT = 19093
DEFAULT_HEAP = "512m"
DEFAULT_START_TIMEOUT = 90.0
DEFAULT_STOP_TIMEOUT = 30.0

# Bind to loopback only: a test broker has no authentication and must never be
# reachable from another machine.
HOST = "127.0.0.1"

# KafkaRaftServer logs this at INFO once the broker and controller are both up.
# The port opens earlier than that, while the broker is still catching up on
# metadata, so an open port is not a readiness signal.
READY_LINE = "Kafka Server started"

HERE = Path(__file__).resolve().parent
POM = HERE / "kafka" / "pom.xml"
LOG4J_CONFIG = HERE / "kafka" / "log4j.properties"

EXIT_NOT_RUNNING = 3


class BrokerError(RuntimeError):
    """The broker could not be fetched, started or stopped."""


# --------------------------------------------------------------------------- #
# Fetching the jars
# --------------------------------------------------------------------------- #


def default_cache_dir() -> Path:
    """Where the broker jars are kept between runs, shared by all checkouts."""
    root = os.environ.get("ARKIV5_CACHE_DIR") or Path.home() / ".cache" / "arkiv5"
    return Path(root).expanduser() / f"kafka-{KAFKA_VERSION}"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock so parallel test workers don't race on one dir."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pom_digest() -> str:
    # The marker records which pom the jars came from, so changing the pom
    # (another version, another dependency) fetches again.
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def fetch(cache_dir: Path | None = None, *, quiet: bool = False) -> Path:
    """Make sure the broker's runtime jars are in the cache; return the jar dir.

    Idempotent and offline once done: the marker file is written only after a
    complete copy, so an interrupted fetch is redone rather than trusted.
    """
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    libs = cache / "libs"
    marker = cache / ".fetched"
    digest = _pom_digest()

    def complete() -> bool:
        return marker.is_file() and marker.read_text().strip() == digest

    if complete():
        return libs
    with _file_lock(cache / ".lock"):
        if complete():  # another process fetched while we waited for the lock
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerError("Maven ('mvn') is needed to fetch the Kafka jars; install it first")
        if not quiet:
            print(f"Fetching Kafka {KAFKA_VERSION} jars into {libs} ...", flush=True)
        # Copy into a scratch dir and swap it in, so a failed copy never leaves
        # a mix of old and new jars on the broker's class path.
        partial = cache / "libs.partial"
        shutil.rmtree(partial, ignore_errors=True)
        started = time.monotonic()
        result = subprocess.run(
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={partial}",
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            raise BrokerError(
                f"mvn dependency:copy-dependencies failed (exit {result.returncode}):\n"
                + (result.stdout + result.stderr)[-4000:]
            )
        if not any(partial.glob(f"kafka_2.13-{KAFKA_VERSION}.jar")):
            raise BrokerError(
                f"Maven finished but kafka_2.13-{KAFKA_VERSION}.jar is not in {partial}"
            )
        shutil.rmtree(libs, ignore_errors=True)
        partial.rename(libs)
        marker.write_text(digest + "\n")
        if not quiet:
            count = len(list(libs.glob("*.jar")))
            print(f"Fetched {count} jars in {time.monotonic() - started:.1f}s", flush=True)
    return libs


# --------------------------------------------------------------------------- #
# Process helpers
# --------------------------------------------------------------------------- #


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise BrokerError("Java ('java', 17 or newer) is needed to run the Kafka broker")
    return java


def _pid_alive(pid: int) -> bool:
    """True if pid names a live (not zombie) process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    # A child that exited but was not yet reaped still answers kill(0).
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): trust kill(0)
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")


def _cmdline(pid: int) -> str | None:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return None


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------- #
# The broker
# --------------------------------------------------------------------------- #


def random_cluster_id() -> str:
    """A cluster id as `kafka-storage.sh random-uuid` makes one, without a JVM start (1-4 s).

    Kafka's `Uuid.randomUuid()`: a random (version 4) UUID in URL-safe base64 without padding,
    drawn again when its text starts with "-" (the tools would read it as an option).
    """
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not text.startswith("-"):
            return text


class KafkaBroker:
    """One single-node KRaft broker (combined broker and controller) on loopback.

    Everything lives in ``state_dir``:

    - ``server.properties``: written on every start from the remembered ports
    - ``state.json``: the ports, so a restart comes back on the same ones
    - ``cluster.id``: the cluster id the storage was formatted with
    - ``data/``: the log dirs (topics, offsets, metadata log); survives restarts
    - ``broker.log``: the broker's stdout and stderr, appended across restarts
    - ``broker.pid``, ``bootstrap``: present while a broker runs

    ``port`` and ``controller_port`` default to the remembered ports, then to
    19092 and 19093 (not 9092, so a developer's own Kafka is left alone).
    """

    def __init__(
        self,
        state_dir: str | os.PathLike[str],
        port: int | None = None,
        controller_port: int | None = None,
        *,
        heap: str = DEFAULT_HEAP,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.state_dir = Path(state_dir).expanduser().resolve()
        remembered = self._read_state()
        self.port = int(port or remembered.get("port") or DEFAULT_PORT)
        self.controller_port = int(
            controller_port or remembered.get("controller_port") or DEFAULT_CONTROLLER_PORT
        )
        if self.port == self.controller_port:
            raise BrokerError("the broker port and the controller port must differ")
        self.heap = heap
        self.start_timeout = start_timeout
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._proc: subprocess.Popen[bytes] | None = None

    # -- paths --------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "broker.log"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "broker.pid"

    @property
    def properties_file(self) -> Path:
        return self.state_dir / "server.properties"

    @property
    def bootstrap(self) -> str:
        """The bootstrap servers string for clients, e.g. ``127.0.0.1:19092``."""
        return f"{HOST}:{self.port}"

    # -- state --------------------------------------------------------------

    def _read_state(self) -> dict[str, int]:
        try:
            return json.loads((self.state_dir / "state.json").read_text())
        except (OSError, ValueError):
            return {}

    def _write_state(self) -> None:
        state = {"port": self.port, "controller_port": self.controller_port}
        (self.state_dir / "state.json").write_text(json.dumps(state, indent=2) + "\n")

    @property
    def pid(self) -> int | None:
        """The pid of the running broker from this state dir, if any."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if self._proc is not None and self._proc.pid == pid:
            # We started it: poll() also reaps it, so a crashed broker does not
            # linger as a zombie that still looks alive.
            return pid if self._proc.poll() is None else None
        if not _pid_alive(pid):
            return None
        cmdline = _cmdline(pid)
        # Guard against a reused pid after a reboot or a stale pid file.
        if cmdline is not None and (
            "kafka.Kafka" not in cmdline or str(self.properties_file) not in cmdline
        ):
            return None
        return pid

    def is_running(self) -> bool:
        return self.pid is not None

    # -- configuration ------------------------------------------------------

    def _server_properties(self) -> str:
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{HOST}:{self.controller_port}",
            "listeners": (
                f"PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            # One node: every internal topic must make do with one replica.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            # Fast tests: no 3 s wait before the first consumer group rebalance,
            # and one partition for the internal topics, which are created on
            # first use and would otherwise take 50 partitions each.
            "group.initial.rebalance.delay.ms": "0",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.num.partitions": "1",
            # Topics appear when first used; three partitions so that message
            # keys (aggregate ids) decide ordering as they do in production.
            "auto.create.topics.enable": "true",
            "num.partitions": "3",
            # After a crash (SIGKILL) the controller keeps the dead broker's
            # registration until its session times out, and rejects the new
            # one (DUPLICATE_BROKER_REGISTRATION) until then: with the default
            # 9 s, plus the broker's retry backoff, a restart after a crash
            # took ~14 s; with 3 s it takes ~5 s (after a clean stop, ~2 s).
            # Heartbeats are loopback calls inside one process, so a short
            # session does not get the broker fenced even on a busy machine.
            "broker.session.timeout.ms": "3000",
            "broker.heartbeat.interval.ms": "500",
        }
        lines = ["# Written by scripts/kafka_broker.py on every start; edits are overwritten."]
        lines += [f"{key}={value}" for key, value in props.items()]
        return "\n".join(lines) + "\n"

    def _java_command(
        self, libs: Path, main: str, *args: str, heap: str | None = None
    ) -> list[str]:
        command = [_java()]
        if heap:
            command.append(f"-Xmx{heap}")
        command += [
            # The flags Kafka's own start scripts use.
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration={LOG4J_CONFIG.as_uri()}",
            # Java expands the wildcard itself; no shell is involved.
            "-cp",
            f"{libs}/*",
            main,
            *args,
        ]
        return command

    def _format_storage(self, libs: Path) -> None:
        """Format the data dir once; later starts reuse it and its cluster id."""
        if (self.data_dir / "meta.properties").is_file():
            return
        id_file = self.state_dir / "cluster.id"
        cluster_id = id_file.read_text().strip() if id_file.is_file() else ""
        if not cluster_id:
            cluster_id = random_cluster_id()
            id_file.write_text(cluster_id + "\n")
        result = subprocess.run(
            self._java_command(
                libs,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(self.properties_file),
                "--ignore-formatted",
                heap="256m",
            ),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BrokerError(
                f"kafka.tools.StorageTool format failed:\n{result.stdout}{result.stderr}"
            )

    # -- lifecycle ----------------------------------------------------------

    def start(self, timeout: float | None = None) -> KafkaBroker:
        """Start the broker and wait until it is ready. A running one is left as is."""
        timeout = self.start_timeout if timeout is None else timeout
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with _file_lock(self.state_dir / ".lock"):
            if self.is_running():
                # Report the ports it actually runs on, not the ones asked for.
                remembered = self._read_state()
                self.port = int(remembered.get("port", self.port))
                self.controller_port = int(remembered.get("controller_port", self.controller_port))
                return self
            libs = fetch(self.cache_dir)
            for port in (self.port, self.controller_port):
                if _port_in_use(port):
                    raise BrokerError(
                        f"port {HOST}:{port} is already in use by another process; "
                        "pass other ports (--port/--controller-port)"
                    )
            self._write_state()
            self.properties_file.write_text(self._server_properties())
            self._format_storage(libs)

            # Append, so the log of a crashed run is kept for inspection; only
            # the part written by this run is searched for the ready line.
            with open(self.log_file, "ab") as log:
                stamp = time.strftime("%Y-%m-%d %H:%M:%S")
                log.write(f"\n===== kafka_broker.py: starting broker at {stamp} =====\n".encode())
                log.flush()
                offset = log.tell()
                self._proc = subprocess.Popen(
                    self._java_command(
                        libs, "kafka.Kafka", str(self.properties_file), heap=self.heap
                    ),
                    cwd=self.state_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # Its own session: Ctrl-C in the terminal or the end of a
                    # pytest run does not signal it; it is stopped explicitly.
                    start_new_session=True,
                )
            self.pid_file.write_text(f"{self._proc.pid}\n")
            self._wait_ready(offset, timeout)
            (self.state_dir / "bootstrap").write_text(self.bootstrap + "\n")
        return self

    def _wait_ready(self, offset: int, timeout: float) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        needle = READY_LINE.encode()
        while True:
            with open(self.log_file, "rb") as log:
                log.seek(offset)
                if needle in log.read():
                    return
            if self._proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise BrokerError(
                    f"Kafka broker exited with code {self._proc.returncode} during start; "
                    f"last lines of {self.log_file}:\n{_tail(self.log_file)}"
                )
            if time.monotonic() > deadline:
                self._signal_and_wait(signal.SIGKILL, 10)
                raise BrokerError(
                    f"Kafka broker not ready after {timeout:.0f}s (killed it); "
                    f"last lines of {self.log_file}:\n{_tail(self.log_file)}"
                )
            time.sleep(0.2)

    def _signal_and_wait(self, sig: signal.Signals, timeout: float) -> bool:
        """Send sig to the broker; True once it has exited within timeout."""
        pid = self.pid
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return True
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid is None:
                self.pid_file.unlink(missing_ok=True)
                (self.state_dir / "bootstrap").unlink(missing_ok=True)
                return True
            time.sleep(0.1)
        return False

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        """Shut down cleanly (SIGTERM); SIGKILL if it takes longer than timeout."""
        if not self.state_dir.is_dir():
            return
        with _file_lock(self.state_dir / ".lock"):
            if not self._signal_and_wait(signal.SIGTERM, timeout):
                if not self._signal_and_wait(signal.SIGKILL, 10):
                    raise BrokerError(f"Kafka broker (pid {self.pid}) did not die after SIGKILL")

    def kill(self) -> None:
        """Kill the broker at once (SIGKILL), as a crash would; the data dir stays."""
        if not self.state_dir.is_dir():
            return
        with _file_lock(self.state_dir / ".lock"):
            if not self._signal_and_wait(signal.SIGKILL, 10):
                raise BrokerError(f"Kafka broker (pid {self.pid}) did not die after SIGKILL")

    def restart(self, timeout: float | None = None) -> KafkaBroker:
        self.stop()
        return self.start(timeout)

    def __enter__(self) -> KafkaBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- #
# Command line
# --------------------------------------------------------------------------- #


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cache-dir",
        type=Path,
        help=f"where the jars are kept (default: $ARKIV5_CACHE_DIR/kafka-{KAFKA_VERSION}, "
        "ARKIV5_CACHE_DIR defaulting to ~/.cache/arkiv5)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("fetch", help="download the broker jars into the cache (once)")

    def with_state_dir(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help)
        sub.add_argument(
            "--state-dir", type=Path, required=True, help="config, data, log and pid of this broker"
        )
        return sub

    for name, help in (
        ("start", "start the broker and wait until ready"),
        ("restart", "stop, then start"),
    ):
        sub = with_state_dir(name, help)
        sub.add_argument(
            "--port", type=int, help=f"client port (default: remembered, else {DEFAULT_PORT})"
        )
        sub.add_argument(
            "--controller-port",
            type=int,
            help=f"KRaft controller port (default: remembered, else {DEFAULT_CONTROLLER_PORT})",
        )
        sub.add_argument(
            "--heap", default=DEFAULT_HEAP, help=f"JVM max heap (default {DEFAULT_HEAP})"
        )
        sub.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_START_TIMEOUT,
            help="seconds to wait for readiness",
        )
    stop = with_state_dir("stop", "stop the broker (SIGTERM, then SIGKILL after --timeout)")
    stop.add_argument("--timeout", type=float, default=DEFAULT_STOP_TIMEOUT)
    with_state_dir("kill", "kill the broker at once (SIGKILL), for crash tests")
    with_state_dir("status", "exit 0 if the broker runs, 3 if not")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "fetch":
            libs = fetch(args.cache_dir)
            print(f"Kafka {KAFKA_VERSION} jars: {libs}")
            return 0

        broker = KafkaBroker(
            args.state_dir,
            port=getattr(args, "port", None),
            controller_port=getattr(args, "controller_port", None),
            heap=getattr(args, "heap", DEFAULT_HEAP),
            cache_dir=args.cache_dir,
        )
        if args.command in ("start", "restart"):
            if args.command == "start" and broker.is_running():
                print(f"Kafka broker already running (pid {broker.pid}) at {broker.bootstrap}")
                return 0
            if args.command == "restart":
                broker.stop()
            started = time.monotonic()
            broker.start(args.timeout)
            took = time.monotonic() - started
            print(f"Kafka broker ready at {broker.bootstrap} (pid {broker.pid}, {took:.1f}s)")
        elif args.command == "stop":
            was = broker.pid
            broker.stop(args.timeout)
            print(f"Kafka broker stopped (pid {was})" if was else "Kafka broker was not running")
        elif args.command == "kill":
            was = broker.pid
            broker.kill()
            print(f"Kafka broker killed (pid {was})" if was else "Kafka broker was not running")
        elif args.command == "status":
            if broker.is_running():
                print(f"running (pid {broker.pid}) at {broker.bootstrap}")
                return 0
            print("not running")
            return EXIT_NOT_RUNNING
    except BrokerError as error:
        print(f"kafka_broker: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
