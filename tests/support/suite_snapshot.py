"""The one-process suite's state after its first start, taken once per test session and copied.

A suite start from nothing migrates five databases, seeds the demo municipality and makes
the signing and simulator keys: about 3 s of CPU, 10–15 s on a loaded 2-core machine, in
every cross-service test. Instead the suite is started and stopped once per session and
backend, and each test's suite starts on a copy of what that left behind — the var folder
(SQLite databases, the embedded bus, the keys) and, on PostgreSQL, one database per service
created with `CREATE DATABASE … TEMPLATE` — with `<SERVICE>_MIGRATE_ON_START=false`. The copy
is at the newest schema with the seed's events on the bus; the start-up steps themselves
(migrating, seeding, making keys) are still run from nothing by that first start, and by
the services' own tests and `tests/test_run.py`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from backends import database_url_named, run_admin

from arkiv5_suite.wiring import ENV_PREFIXES, SERVICES
from processes import free_port


@dataclass
class Snapshot:
    var_dir: Path
    server_url: str | None = None  # PostgreSQL's, when the services' databases live there
    templates: dict[str, str] = field(default_factory=dict)  # service → template database


_snapshots: dict[str, Snapshot] = {}  # by "sqlite" or the PostgreSQL server's URL
_taking = threading.Lock()


@contextmanager
def service_environment(database_urls: dict[str, str] | None, *, migrate: bool) -> Iterator[None]:
    """The variables the suite's settings read while it is built, put back afterwards."""
    values: dict[str, str] = {}
    for service, url in (database_urls or {}).items():
        values[f"{ENV_PREFIXES[service]}DATABASE_URL"] = url
    if not migrate:
        values.update({f"{prefix}MIGRATE_ON_START": "false" for prefix in ENV_PREFIXES.values()})
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


async def snapshot(server_url: str | None = None) -> Snapshot:
    """This session's snapshot on SQLite (`server_url` None) or on that PostgreSQL server."""
    # Its own thread and event loop, as the suite runs under uvicorn: nothing of it stays
    # bound to the loop of the test that happened to come first.
    return await asyncio.to_thread(_snapshot_once, server_url)


def _snapshot_once(server_url: str | None) -> Snapshot:
    key = server_url or "sqlite"
    with _taking:  # two suites started together take one snapshot, not two
        if key not in _snapshots:
            _snapshots[key] = asyncio.run(_take(server_url))
        return _snapshots[key]


async def _take(server_url: str | None) -> Snapshot:
    from arkiv5_suite.app import create_suite_app

    taken = Snapshot(Path(tempfile.mkdtemp(prefix="arkiv5-suite-snapshot-")) / "var", server_url)
    urls = None
    try:
        if server_url:
            taken.templates = {service: f"tpl_suite_{uuid.uuid4().hex[:12]}" for service in SERVICES}
            await run_admin(server_url, [f'CREATE DATABASE "{name}"' for name in taken.templates.values()])
            urls = {service: database_url_named(server_url, name) for service, name in taken.templates.items()}
        with service_environment(urls, migrate=True):
            # Nothing listens on this port: the services only start (migrate, seed, make keys) and stop.
            app = create_suite_app(var_dir=taken.var_dir, base_url=f"http://127.0.0.1:{free_port()}")
        async with app.router.lifespan_context(app):
            pass
        if server_url:
            # No one connects to a template again, so no test can write into what the next one copies.
            await run_admin(server_url, [f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'
                                         for name in taken.templates.values()])
    except BaseException:
        await _drop(taken)
        raise
    return taken


@asynccontextmanager
async def copy_of_snapshot(var_dir: Path, server_url: str | None = None) -> AsyncIterator[dict[str, str] | None]:
    """Put the snapshot's var folder at `var_dir` and, on PostgreSQL, a copy of each service's
    database (dropped afterwards); yields the database URLs (None on SQLite)."""
    taken = await snapshot(server_url)
    shutil.copytree(taken.var_dir, var_dir, dirs_exist_ok=True)
    if not server_url:
        yield None
        return
    names = {service: f"r_{uuid.uuid4().hex[:12]}" for service in SERVICES}
    await run_admin(
        server_url,
        [f'CREATE DATABASE "{names[service]}" TEMPLATE "{template}"' for service, template in taken.templates.items()],
    )
    try:
        yield {service: database_url_named(server_url, name) for service, name in names.items()}
    finally:
        await run_admin(server_url, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names.values()])


def drop_snapshots() -> None:
    """At the end of the session: the template databases and folders."""
    for taken in _snapshots.values():
        asyncio.run(_drop(taken))
    _snapshots.clear()


async def _drop(taken: Snapshot) -> None:
    if taken.server_url and taken.templates:
        await run_admin(
            taken.server_url,
            [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in taken.templates.values()],
        )
    shutil.rmtree(taken.var_dir.parent, ignore_errors=True)
