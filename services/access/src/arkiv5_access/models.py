"""Tables of the access service: its own metadata, migrated by its own Alembic history."""

from __future__ import annotations

from sqlalchemy import MetaData

from arkiv5_kit.messaging import messaging_metadata

metadata = MetaData()

# Everything Alembic compares against: the service's tables and the kit's outbox and inbox.
migration_metadata = [metadata, messaging_metadata]
