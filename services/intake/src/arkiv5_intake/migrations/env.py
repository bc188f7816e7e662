"""Alembic environment of the intake service (see arkiv5_kit.migrations)."""

from arkiv5_intake.models import migration_metadata
from arkiv5_kit.migrations import run_env

run_env(migration_metadata)
