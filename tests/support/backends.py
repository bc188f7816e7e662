"""The database a test runs on, as the root conftest's `db_backend` fixture yields it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatabaseBackend:
    """`name` is "sqlite" or "postgresql", `url` an async SQLAlchemy URL."""

    name: str
    url: str

    @property
    def is_postgresql(self) -> bool:
        return self.name == "postgresql"
