#!/usr/bin/env python3
"""Run a real RabbitMQ broker (Debian's rabbitmq-server) for tests and local distributed runs.

Fiks IO delivers over AMQP 0-9-1; intake's tests run the whole path through a real broker.
No system service: one node with its data, logs, Erlang cookie and its own port mapper
(epmd) inside the state folder and ports, listening on 127.0.0.1 only. The user is the
broker's default ``guest``/``guest`` (allowed from 127.0.0.1 only).

    python3 scripts/rabbitmq_local.py start --state-dir var/rabbitmq --port 15672
    python3 scripts/rabbitmq_local.py stop --state-dir var/rabbitmq

Importable for pytest fixtures (standard library only)::

    broker = RabbitServer(tmp_path / "rabbit", port=free_port()).start()
    broker.url  # amqp://guest:guest@127.0.0.1:<port>/
    broker.stop()
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


def installed() -> bool:
    return Path(SERVER).is_file() or shutil.which("rabbitmq-server") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RabbitServer:
    def __init__(self, state_dir: Path, *, port: int = 15672) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.port = port

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def node(self) -> str:
        return f"arkiv5-{self.port}@localhost"

    def _env(self) -> dict[str, str]:
        ports_file = self.state_dir / "ports"
        if ports_file.exists():
            epmd, dist = (int(p) for p in ports_file.read_text().split())
        else:
            epmd, dist = _free_port(), _free_port()
            ports_file.write_text(f"{epmd} {dist}")
        (self.state_dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users.guest = true\n"
            "log.console = false\nlog.file.level = info\n")
        (self.state_dir / "enabled_plugins").write_text("[].\n")
        return {
            **os.environ,
            "HOME": str(self.state_dir),  # the Erlang cookie lives here
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(dist),
            "ERL_EPMD_PORT": str(epmd),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_CONFIG_FILE": str(self.state_dir / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.state_dir / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.state_dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.state_dir / "log"),
            "RABBITMQ_PID_FILE": str(self.state_dir / "rabbitmq.pid"),
        }

    def start(self, timeout_s: float = 90) -> RabbitServer:
        if not installed():
            raise RuntimeError("rabbitmq-server is not installed (apt-get install rabbitmq-server)")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = self._env()
        log = (self.state_dir / "server.out").open("ab")
        process = subprocess.Popen([SERVER], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   start_new_session=True)
        (self.state_dir / "server.pid").write_text(str(process.pid))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited: {(self.state_dir / 'server.out').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                    connection.sendall(b"AMQP\x00\x00\x09\x01")
                    if connection.recv(1):
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("rabbitmq-server did not start in time")

    def stop(self, timeout_s: float = 60) -> None:
        """Stop the node (gracefully, then by its process group) and the port mapper it started."""
        pid_file = self.state_dir / "server.pid"
        if not pid_file.exists():
            return
        env = self._env()
        pid = int(pid_file.read_text())
        if _alive(pid):
            os.killpg(pid, signal.SIGTERM)  # RabbitMQ shuts down gracefully on SIGTERM
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
        epmd = shutil.which("epmd") or "/usr/lib/erlang/bin/epmd"
        subprocess.run([epmd, "-port", env["ERL_EPMD_PORT"], "-kill"], env=env, capture_output=True, check=False)
        pid_file.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished:
            return False
    except ChildProcessError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has finished; only its parent's reaping is missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=15672)
    args = parser.parse_args()
    broker = RabbitServer(args.state_dir, port=args.port)
    if args.command == "start":
        broker.start()
        print(f"RabbitMQ on {broker.url} (node {broker.node}), state in {broker.state_dir}")
    else:
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
