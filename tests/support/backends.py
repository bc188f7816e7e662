"""The database a test runs on (the root conftest's `db_backend`), and fresh PostgreSQL databases."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class DatabaseBackend:
    """`name` is "sqlite" or "postgresql", `url` an async SQLAlchemy URL."""

    name: str
    url: str

    @property
    def is_postgresql(self) -> bool:
        return self.name == "postgresql"


def _admin_dsn(postgres_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)


def database_url_named(postgres_url: str, name: str) -> str:
    """`postgres_url` with its database replaced by `name`."""
    from sqlalchemy.engine import make_url

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
