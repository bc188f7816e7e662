"""Alembic, the same way for every service: each owns `migrations/` next to its code.

A service's `migrations/env.py` is two lines (`run_env(metadata)`); `upgrade()` runs
`alembic upgrade head` on the service's own async engine — at start-up in the embedded
default, or as a Kubernetes Job (`python -m arkiv5_<service> migrate`). On PostgreSQL an
advisory lock keeps replicas that start together from migrating at the same time.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text

from .db import Database


def _config(script_location: Path, connection) -> Config:  # type: ignore[no-untyped-def]
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["connection"] = connection
    return config


async def upgrade(database: Database, script_location: Path, *, revision: str = "head") -> None:
    lock_id = zlib.crc32(str(script_location.name).encode() + database.url.encode()) & 0x7FFFFFFF
    async with database.engine.begin() as connection:
        if database.is_postgres:
            await connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
        await connection.run_sync(lambda sync: command.upgrade(_config(script_location, sync), revision))


async def current_revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        try:
            return await connection.scalar(text("SELECT version_num FROM alembic_version"))
        except Exception:
            return None


def run_env(target_metadata: MetaData | list[MetaData]) -> None:
    """Body of every service's `env.py`: migrate on the connection `upgrade()` handed in."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations with `python -m arkiv5_<service> migrate`, not the alembic CLI")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
