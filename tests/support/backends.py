"""The database a test runs on (the root conftest's `db_backend`), and fresh PostgreSQL databases."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from arkiv5_kit.testing import MigratedDatabases


class DatabaseBackend:
    """`name` is "sqlite" or "postgresql", `url` an async SQLAlchemy URL of an empty database.

    `await backend.migrated(MIGRATIONS_DIR)` makes that same database hold a service's newest
    schema, copied from the session's migrated template (`arkiv5_kit.testing.MigratedDatabases`)
    instead of migrating it again: a fixture then starts the service with
    `migrate_on_start=False`. On PostgreSQL (`server_url` given) the database is created only
    when first needed — empty when `url` is read first, from the template when `migrated()`
    comes first — and `drop()` removes it.
    """

    def __init__(self, name: str, url: str, templates: MigratedDatabases | None = None, *,
                 server_url: str | None = None) -> None:
        self.name = name
        self._url = url
        self.templates = templates
        self.server_url = server_url
        self._created = server_url is None  # without a server to create it on, it exists
        self._migrated: set[Path] = set()

    @property
    def is_postgresql(self) -> bool:
        return self.name == "postgresql"

    @property
    def url(self) -> str:
        if not self._created:
            # Read from a test's running event loop: create the empty database from a thread.
            with ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, self._create_empty()).result()
        return self._url

    async def _create_empty(self) -> None:
        assert self.server_url
        await run_admin(self.server_url, [f'CREATE DATABASE "{make_url(self._url).database}"'])
        self._created = True

    async def drop(self) -> None:
        if self.server_url and self._created:
            await run_admin(self.server_url, [f'DROP DATABASE IF EXISTS "{make_url(self._url).database}" WITH (FORCE)'])

    async def migrated(self, migrations_dir: Path) -> str:
        """`url`, at the newest revision of `migrations_dir`: a copy of the template while the
        database does not exist yet, else migrated in place (a no-op when it is current)."""
        key = migrations_dir.resolve()
        if key in self._migrated:
            return self._url
        if self.templates is not None and self.name == "sqlite":
            path = Path(make_url(self._url).database or "")
            if not path.exists():
                await self.templates.sqlite_copy(key, path)
                self._migrated.add(key)
                return self._url
        elif self.templates is not None and self.server_url and not self._created:
            name = make_url(self._url).database
            assert name
            await self.templates.postgres_copy(self.server_url, key, name)
            self._created = True
            self._migrated.add(key)
            return self._url
        from arkiv5_kit.db import Database
        from arkiv5_kit.migrations import upgrade

        database = Database(self.url, pool_size=1)
        try:
            await upgrade(database, key)
        finally:
            await database.dispose()
        self._migrated.add(key)
        return self._url


def _admin_dsn(postgres_url: str) -> str:
    return make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)


def database_url_named(postgres_url: str, name: str) -> str:
    """`postgres_url` with its database replaced by `name`."""
    return make_url(postgres_url).set(database=name).render_as_string(hide_password=False)


async def run_admin(postgres_url: str, statements: list[str]) -> None:
    """Run statements (CREATE/DROP DATABASE) on the server's maintenance connection."""
    import asyncpg

    admin = await asyncpg.connect(_admin_dsn(postgres_url))
    try:
        for statement in statements:
            await admin.execute(statement)
    finally:
        await admin.close()


@contextmanager
def postgres_databases(postgres_url: str, services: list[str], prefix: str = "h_") -> Iterator[dict[str, str]]:
    """A brand-new, empty database per service on `postgres_url`'s server, dropped afterwards."""
    names = {service: f"{prefix}{uuid.uuid4().hex[:12]}" for service in services}
    asyncio.run(run_admin(postgres_url, [f'CREATE DATABASE "{name}"' for name in names.values()]))
    try:
        yield {service: database_url_named(postgres_url, name) for service, name in names.items()}
    finally:
        asyncio.run(run_admin(postgres_url, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                                             for name in names.values()]))
