"""Run every service as its own process against PostgreSQL and Kafka, seeded and wired.

The same code and the same wiring as the one-process suite (`make run`), configured the
way Kubernetes runs it: one process per service, each with its own PostgreSQL database
(created if missing) and the Kafka transport, plus the KS SvarUt simulator. The wiring —
JWKS, issuer, token endpoint, client credentials, the other services' URLs, the simulator
and its certificate — comes from `arkiv5_suite.wiring`, as in `make run`; access seeds the
demo municipality (demo identities, password demo-password). Stops every process it
started (SIGTERM, graceful) on Ctrl-C or SIGTERM.

    uv run python scripts/run_distributed.py --pg-state-dir .cache/postgres --kafka-state-dir .cache/kafka
    uv run python scripts/run_distributed.py --postgres-url postgresql+asyncpg://u:p@host/arkiv5 \\
        --kafka-bootstrap host:9092 --base-port 9000

Ports: journal base+1, access base+2, conversion base+3, svarut-gateway base+4, intake
base+5, the SvarUt simulator base+6 (base 8000 unless `--base-port` or ARKIV5_BASE_PORT);
each one can be set on its own (`--journal-port`, … or ARKIV5_JOURNAL_PORT, …).

`--images` runs every process from its container image (`make images`) with podman instead
of from this checkout, wired the same way (`make run-images`; see `ContainerImages`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]

# name: (command after `python -m`, port offset from the base port, readiness path)
PROCESSES = {
    "journal": ("arkiv5_journal serve", 1, "/healthz/ready"),
    "access": ("arkiv5_access serve", 2, "/healthz/ready"),
    "conversion": ("arkiv5_conversion serve", 3, "/healthz/ready"),
    "svarut-gateway": ("arkiv5_svarut_gateway serve", 4, "/healthz/ready"),
    "intake": ("arkiv5_intake serve", 5, "/healthz/ready"),
    "svarut-simulator": ("arkiv5_svarut_gateway.simulator", 6, "/_simulator/forsendelser"),
}
SERVICES = [name for name in PROCESSES if name != "svarut-simulator"]
DEFAULT_BASE_PORT = 8000
# uvicorn re-raises SIGTERM after its graceful shutdown (-SIGTERM); a container's runtime
# reports a signal as 128 + its number.
CLEAN_EXIT = (0, -signal.SIGTERM, 128 + signal.SIGTERM)
# The image each process runs from: the SvarUt simulator is in the gateway's package.
IMAGE_OF = {**{name: name for name in SERVICES}, "svarut-simulator": "svarut-gateway"}
IMAGE_USER = "10001:10001"  # the images' unprivileged user (deploy/docker/Dockerfile)
# /tmp of each container, as deploy/compose.yaml sizes it: conversion works there (LibreOffice's profile, files).
TMPFS_SIZE = {"conversion": "2g"}


@dataclass(frozen=True)
class ContainerImages:
    """Run every process from its image (`make images`) with podman instead of from this checkout.

    Each process is one container on the host's network, so the ports and the wiring are
    exactly those of the processes it replaces. Each runs as deploy/compose.yaml runs it: as
    the image's user 10001, with a read-only root file system, a tmpfs /tmp, no capabilities
    and no-new-privileges. The folders the wiring names (each service's files, the journal's
    blobs, the simulator's keys) are under `var_dir`, which is bind-mounted at the same path
    (and handed to user 10001), so every path in the wiring holds inside the container too;
    so is the reference folder (ARKIV5_REFERENCE_DIR, read-only), for intake's XSDs. A
    container sees only the wiring's variables, not this process's environment.

    Needs root (rootful podman: the bind mounts are owned by uid 10001 on the host) and the
    same storage driver the images were built with. The OCI runtime is runc: crun refuses a
    host whose cgroup v2 hierarchy holds controllers beside v1 ("cgroups in hybrid mode not
    supported"), runc runs there and everywhere else.
    """

    prefix: str = "localhost/arkiv5"
    tag: str = "0.1.0"
    storage_driver: str = "overlay"
    podman: str = "podman"
    runtime: str = "runc"

    def image(self, process: str) -> str:
        return f"{self.prefix}/{IMAGE_OF[process]}:{self.tag}"

    def container_name(self, process: str, port: int) -> str:
        return f"arkiv5-{process}-{port}"

    def engine(self) -> list[str]:
        return [self.podman, "--storage-driver", self.storage_driver, "--runtime", self.runtime]

    @staticmethod
    def ulimits() -> list[str]:
        """Limits the runtime may set: podman asks for nofile 1048576 and nproc 4194304, which a
        root without CAP_SYS_RESOURCE (a VM or a container of its own) cannot grant — the start
        fails with "setrlimit `RLIMIT_NOFILE`: Operation not permitted". This process's hard
        limits, and for nproc no more than podman itself runs with (32768)."""
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
        nofile = 1048576 if nofile == resource.RLIM_INFINITY else min(nofile, 1048576)
        nproc = 32768 if nproc == resource.RLIM_INFINITY else min(nproc, 32768)
        return ["--ulimit", f"nofile={nofile}:{nofile}", "--ulimit", f"nproc={nproc}:{nproc}"]

    def missing(self) -> list[str]:
        """The images that are not in the storage (an empty list when all are)."""
        tools = [tool for tool in (self.podman, self.runtime) if shutil.which(tool) is None]
        if tools:
            return [f"{', '.join(tools)} (apt-get install podman runc)"]
        return [image for image in sorted({self.image(p) for p in PROCESSES})
                if subprocess.run([*self.engine(), "image", "exists", image], check=False).returncode != 0]

    def prepare(self, var_dir: Path) -> None:
        """Every folder the wiring names under `var_dir`, writable by the images' user."""
        for name in (*SERVICES, "blobs", "svarut-simulator"):
            (var_dir / name).mkdir(parents=True, exist_ok=True)
        uid, gid = (int(part) for part in IMAGE_USER.split(":"))
        for folder, _, files in os.walk(var_dir):
            os.chown(folder, uid, gid)
            for file in files:
                os.chown(os.path.join(folder, file), uid, gid)

    def argv(self, process: str, port: int, command: list[str], env: dict[str, str],
             mounts: Iterable[tuple[Path, bool]]) -> list[str]:
        """`podman run` of `command` (after `python`) in the process's image, with `env` only."""
        tmpfs = "/tmp:rw,mode=1777" + (f",size={TMPFS_SIZE[process]}" if process in TMPFS_SIZE else "")
        argv = [*self.engine(), "run", "--rm", "--name", self.container_name(process, port),
                "--network", "host", "--user", IMAGE_USER, "--read-only", "--tmpfs", tmpfs,
                "--cap-drop", "all", "--security-opt", "no-new-privileges", "--pull", "never", *self.ulimits()]
        for path, read_only in mounts:
            argv += ["--volume", f"{path}:{path}" + (":ro" if read_only else "")]
        for name, value in sorted(env.items()):
            argv += ["--env", f"{name}={value}"]
        return [*argv, self.image(process), "python", *command]

    def remove(self, process: str, port: int) -> None:
        """Remove a container whose podman was killed (it would otherwise keep running)."""
        subprocess.run([*self.engine(), "rm", "--force", "--ignore", self.container_name(process, port)],
                       check=False, capture_output=True)


@dataclass
class RunningService:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    ready_path: str = "/healthz/ready"
    host: str = "127.0.0.1"
    images: ContainerImages | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def env_name(process: str) -> str:
    return f"ARKIV5_{process.replace('-', '_').upper()}_PORT"


def choose_ports(base_port: int | None = None, overrides: dict[str, int | None] | None = None,
                 environ: dict[str, str] | None = None) -> dict[str, int]:
    """Each process's port: its own flag, else its ARKIV5_<NAME>_PORT, else base (+ offset)."""
    environ = dict(os.environ) if environ is None else environ
    base = base_port if base_port is not None else int(environ.get("ARKIV5_BASE_PORT", DEFAULT_BASE_PORT))
    ports = {}
    for name, (_, offset, _) in PROCESSES.items():
        given = (overrides or {}).get(name)
        ports[name] = given if given is not None else int(environ.get(env_name(name), base + offset))
    if len(set(ports.values())) != len(ports):
        raise SystemExit(f"two processes would share a port: {ports}")
    return ports


def database_url(server_url: str, service: str, prefix: str = "arkiv5_") -> str:
    base, _, _ = server_url.rpartition("/")
    return f"{base}/{prefix}{service.replace('-', '_')}"


async def create_databases(server_url: str, names: list[str]) -> None:
    import asyncpg

    dsn = server_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        existing = {r["datname"] for r in await connection.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def service_environments(
    database_urls: dict[str, str],
    kafka_bootstrap: str,
    ports: dict[str, int],
    var_dir: Path,
    *,
    host: str = "127.0.0.1",
    topic_prefix: str | None = None,
) -> dict[str, dict[str, str]]:
    """The environment of each service process: the suite's wiring on these ports, its database, Kafka."""
    from arkiv5_suite.wiring import ENV_PREFIXES, Endpoints, environment, service_values
    from arkiv5_svarut_gateway.simulator import encryption_keypair

    var_dir = var_dir.resolve()
    _, certificate = encryption_keypair(var_dir / "svarut-simulator")
    values = service_values(Endpoints.on_ports(ports, host), svarut_certificate_pem=certificate,
                            topic_prefix=topic_prefix, blob_dir=var_dir / "blobs")
    envs = environment(values)
    for service in SERVICES:
        prefix = ENV_PREFIXES[service]
        envs[service].update({
            f"{prefix}VAR_DIR": str(var_dir / service),
            f"{prefix}DATABASE_URL": database_urls[service],
            f"{prefix}BUS": "kafka",
            f"{prefix}KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        })
    return envs


def start_services(
    database_urls: dict[str, str],
    kafka_bootstrap: str,
    *,
    ports: dict[str, int],
    var_dir: Path,
    host: str = "127.0.0.1",
    topic_prefix: str | None = None,
    extra_env: dict[str, str] | None = None,
    log_dir: Path | None = None,
    images: ContainerImages | None = None,
) -> list[RunningService]:
    """Start the SvarUt simulator and every service (databases must exist); returns at once.

    With `images`, each process is a container of its image instead (`ContainerImages`).
    """
    envs = service_environments(database_urls, kafka_bootstrap, ports, var_dir, host=host, topic_prefix=topic_prefix)
    keys_dir = var_dir.resolve() / "svarut-simulator"
    mounts: list[tuple[Path, bool]] = [(var_dir.resolve(), False)]
    reference_dir = os.environ.get("ARKIV5_REFERENCE_DIR")
    if images is not None:
        images.prepare(var_dir.resolve())
        if reference_dir:
            mounts.append((Path(reference_dir).resolve(), True))
    running: list[RunningService] = []
    try:
        for name, (command, _, ready_path) in PROCESSES.items():
            port = ports[name]
            python_argv = ["-m", *command.split(), "--host", host, "--port", str(port)]
            if name == "svarut-simulator":
                python_argv += ["--keys-dir", str(keys_dir)]
            if images is None:
                argv = [sys.executable, *python_argv]
                env = {**os.environ, **envs.get(name, {}), **(extra_env or {})}
            else:
                inside = {**envs.get(name, {}), **(extra_env or {})}
                if reference_dir:
                    inside["ARKIV5_REFERENCE_DIR"] = str(Path(reference_dir).resolve())
                argv = images.argv(name, port, python_argv, inside, mounts)
                env = dict(os.environ)
            output: IO[bytes] | None = None
            if log_dir is not None:
                log_dir.mkdir(parents=True, exist_ok=True)
                output = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child writes to it
            process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=output,
                                       stderr=subprocess.STDOUT if output else None)
            if output is not None:
                output.close()  # the child holds its own descriptor
            running.append(RunningService(name, port, process, ready_path, host, images))
    except BaseException:
        stop_services(running)
        raise
    return running


def wait_ready(services: list[RunningService], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    for service in services:
        while True:
            if service.process.poll() is not None:
                raise RuntimeError(f"{service.name} exited with {service.process.returncode}")
            try:
                with urllib.request.urlopen(f"{service.base_url}{service.ready_path}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{service.name} not ready after {timeout_s}s")
            time.sleep(0.2)


def stop_services(services: list[RunningService], timeout_s: float = 30) -> dict[str, int]:
    """SIGTERM each process by its pid, wait for its graceful shutdown, kill what does not end."""
    for service in services:
        if service.process.poll() is None:
            service.process.send_signal(signal.SIGTERM)
    codes = {}
    for service in services:
        try:
            codes[service.name] = service.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            service.process.kill()
            codes[service.name] = service.process.wait()
        if service.images is not None:
            service.images.remove(service.name, service.port)
    return codes


def main() -> int:
    env = os.environ
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    servers = parser.add_argument_group("servers")
    servers.add_argument("--pg-state-dir", type=Path, default=Path(".cache/postgres"),
                         help="a server started by `make pg-up` (unless --postgres-url)")
    servers.add_argument("--postgres-url", default=env.get("ARKIV5_POSTGRES_URL"),
                         help="any PostgreSQL server (SQLAlchemy URL; env ARKIV5_POSTGRES_URL); each service "
                              "gets the database <prefix><service> on it, created if missing")
    servers.add_argument("--database-prefix", default=env.get("ARKIV5_DATABASE_PREFIX", "arkiv5_"))
    servers.add_argument("--kafka-state-dir", type=Path, default=Path(".cache/kafka"),
                         help="a broker started by `make kafka-up` (unless --kafka-bootstrap)")
    servers.add_argument("--kafka-bootstrap", default=env.get("ARKIV5_KAFKA_BOOTSTRAP"),
                         help="any Kafka broker list (env ARKIV5_KAFKA_BOOTSTRAP)")
    servers.add_argument("--topic-prefix", default=env.get("ARKIV5_KAFKA_TOPIC_PREFIX"),
                         help="prefix of every topic, to share a broker")
    where = parser.add_argument_group("where the processes listen")
    where.add_argument("--host", default=env.get("ARKIV5_HOST", "127.0.0.1"))
    where.add_argument("--base-port", type=int, default=None,
                       help=f"journal listens on base+1, …, the simulator on base+6 (env ARKIV5_BASE_PORT; "
                            f"default {DEFAULT_BASE_PORT})")
    for name in PROCESSES:
        where.add_argument(f"--{name}-port", type=int, default=None, dest=f"port_{name}",
                           help=f"(env {env_name(name)})")
    parser.add_argument("--ready-timeout", type=float, default=float(env.get("ARKIV5_READY_TIMEOUT_S", "300")),
                        help="seconds every process gets to answer ready (a busy machine starts slowly)")
    parser.add_argument("--var-dir", type=Path, default=Path(env.get("ARKIV5_VAR_DIR", "var/distributed")),
                        help="each service's files, the journal's blobs, the simulator's keys and the logs")
    from_images = parser.add_argument_group("from the images (`make images`) instead of this checkout")
    from_images.add_argument("--images", action="store_true",
                             help="run each process as a container of its image with podman (as root)")
    from_images.add_argument("--image-prefix", default=env.get("IMAGE_PREFIX", ContainerImages.prefix))
    from_images.add_argument("--image-tag", default=env.get("IMAGE_TAG", ContainerImages.tag))
    from_images.add_argument("--storage-driver", default=env.get("STORAGE_DRIVER", ContainerImages.storage_driver),
                             help="the one the images were built with")
    args = parser.parse_args()
    images = None
    if args.images:
        images = ContainerImages(args.image_prefix, args.image_tag, args.storage_driver)
        if absent := images.missing():
            print(f"not started: missing {', '.join(absent)} (make images)", file=sys.stderr)
            return 1

    ports = choose_ports(args.base_port, {name: getattr(args, f"port_{name}") for name in PROCESSES})
    server_url = args.postgres_url or subprocess.check_output(
        [sys.executable, str(ROOT / "scripts/postgres_local.py"), "url", "--state-dir", str(args.pg_state_dir)],
        text=True,
    ).strip()
    bootstrap = args.kafka_bootstrap or (args.kafka_state_dir / "bootstrap").read_text().strip()
    database_urls = {s: database_url(server_url, s, args.database_prefix) for s in SERVICES}
    asyncio.run(create_databases(server_url, [u.rpartition("/")[2] for u in database_urls.values()]))
    log_dir = args.var_dir / "logs"
    services = start_services(database_urls, bootstrap, ports=ports, var_dir=args.var_dir, host=args.host,
                              topic_prefix=args.topic_prefix, log_dir=log_dir, images=images)
    stop = False

    def request_stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    unclean: dict[str, int] = {}
    try:
        try:
            wait_ready(services, timeout_s=args.ready_timeout)
        except (RuntimeError, TimeoutError) as error:
            print(f"not started: {error}; see {log_dir}/<service>.log", file=sys.stderr)
            return 1
        by_name = {s.name: s for s in services}
        print(f"Arkiv5 distributed: PostgreSQL {server_url.rpartition('@')[2]}, Kafka {bootstrap}"
              + (f", from the images {images.prefix}/<service>:{images.tag}" if images else ""))
        for service in services:
            if service.name == "svarut-simulator":
                print(f"  {'svarut (sim.)':<15} {service.base_url}/api   (KS SvarUt simulator, for the gateway)")
            else:
                print(f"  {service.name:<15} {service.base_url}/   docs {service.base_url}/docs")
        access = by_name["access"].base_url
        print("A demo municipality is seeded (password demo-password for every role). A token for one:")
        print(f"  curl -s {access}/oauth2/token -d grant_type=password -d username=saksbehandler "
              "-d password=demo-password")
        print(f"Logs: {log_dir}/<service>.log. Ctrl-C stops every process.", flush=True)
        while not stop and all(s.process.poll() is None for s in services):
            time.sleep(0.5)
        for service in services:
            if service.process.poll() is not None and not stop:
                print(f"{service.name} ended with {service.process.returncode}: see {log_dir}/{service.name}.log")
    finally:
        codes = stop_services(services)
        unclean = {name: code for name, code in codes.items() if code not in CLEAN_EXIT}
        print("stopped: " + ("every process cleanly" if not unclean else
                             ", ".join(f"{name} exit {code}" for name, code in unclean.items())))
    return 0 if not unclean else 1


if __name__ == "__main__":
    sys.exit(main())
