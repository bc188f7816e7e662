"""Alembic environment of the svarut-gateway service (see arkiv5_kit.migrations)."""

from arkiv5_kit.migrations import run_env
from arkiv5_svarut_gateway.models import migration_metadata

run_env(migration_metadata)
